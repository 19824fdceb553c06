// Image folders: PNG and JPEG, grey or RGB, resized, labelled by class subfolder; corrupt files named.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadData } from '../../src/data/load.js';
import { loadImages, resizeBilinear } from '../../src/data/sources/images.js';
import { DataError } from '../../src/errors.js';

type Rgba = [number, number, number, number];

/** A solid-colour PNG; `gray` writes an 8-bit greyscale file (colour type 0) to test that path too. */
function solidPng(width: number, height: number, [r, g, b, a]: Rgba, gray = false): Buffer {
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) png.data.set([r, g, b, a], 4 * i);
  return PNG.sync.write(png, gray ? { colorType: 0 } : { colorType: 6 });
}

function solidJpeg(width: number, height: number, [r, g, b]: Rgba): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set([r, g, b, 255], 4 * i);
  return jpeg.encode({ width, height, data }, 95).data;
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'latentlab-images-'));
  const classes = join(root, 'classes');
  await mkdir(join(classes, 'dogs'), { recursive: true });
  await mkdir(join(classes, 'cats'), { recursive: true });
  await mkdir(join(classes, 'empty'), { recursive: true });
  // Written out of order: loading must sort files and classes.
  await writeFile(join(classes, 'dogs', 'b.jpg'), solidJpeg(20, 10, [0, 0, 255, 255]));
  await writeFile(join(classes, 'dogs', 'a.png'), solidPng(8, 8, [255, 255, 255, 255], true));
  await writeFile(join(classes, 'cats', 'z.png'), solidPng(16, 16, [0, 255, 0, 0])); // fully transparent green
  await writeFile(join(classes, 'cats', 'm.PNG'), solidPng(4, 4, [255, 0, 0, 255]));
  await writeFile(join(classes, 'notes.txt'), 'not an image');

  const flat = join(root, 'flat');
  await mkdir(flat);
  await writeFile(join(flat, '1.png'), solidPng(3, 3, [51, 51, 51, 255]));
  await writeFile(join(flat, '2.jpeg'), solidJpeg(9, 9, [200, 200, 200, 255]));

  const corrupt = join(root, 'corrupt');
  await mkdir(corrupt);
  await writeFile(join(corrupt, 'good.png'), solidPng(3, 3, [0, 0, 0, 255]));
  await writeFile(join(corrupt, 'truncated.png'), solidPng(3, 3, [0, 0, 0, 255]).subarray(0, 40));
  await mkdir(join(root, 'nothing'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

const pixel = (x: Float32Array, sample: number, per: number) =>
  Array.from(x.subarray(sample * per, sample * per + 3));

describe('loadImages', () => {
  it('loads class subfolders at 8x8 grey, sorted, labelled by folder', async () => {
    const raw = await loadImages({ dir: join(root, 'classes'), height: 8, width: 8, channels: 1 });
    expect(raw.sampleShape).toEqual([8, 8, 1]);
    expect(raw.classNames).toEqual(['cats', 'dogs']);
    expect(Array.from(raw.train.labels!)).toEqual([0, 0, 1, 1]);
    expect(raw.train.x.length).toBe(4 * 64);
    // cats/m.PNG red -> luma 0.299; cats/z.png green with alpha 0 -> alpha dropped, 0.587.
    expect(raw.train.x[0]).toBeCloseTo(0.299, 5);
    expect(raw.train.x[64 + 10]).toBeCloseTo(0.587, 5);
    expect(raw.train.x[2 * 64 + 63]).toBeCloseTo(1, 5); // dogs/a.png white (greyscale PNG)
    expect(raw.train.x[3 * 64 + 5]).toBeCloseTo(0.114, 1); // dogs/b.jpg blue, lossy
  });

  it('loads the same folder as RGB', async () => {
    const raw = await loadImages({ dir: join(root, 'classes'), height: 8, width: 8, channels: 3 });
    expect(raw.sampleShape).toEqual([8, 8, 3]);
    const per = 8 * 8 * 3;
    expect(pixel(raw.train.x, 0, per)).toEqual([1, 0, 0]);
    expect(pixel(raw.train.x, 1, per)).toEqual([0, 1, 0]);
    expect(pixel(raw.train.x, 2, per)).toEqual([1, 1, 1]);
    const blue = pixel(raw.train.x, 3, per);
    expect(blue[0]).toBeLessThan(0.05);
    expect(blue[2]).toBeGreaterThan(0.95);
  });

  it('has no labels when the images are directly in the folder', async () => {
    const raw = await loadImages({ dir: join(root, 'flat'), height: 5, width: 6, channels: 1 });
    expect(raw.sampleShape).toEqual([5, 6, 1]);
    expect(raw.train.labels).toBeUndefined();
    expect(raw.classNames).toBeUndefined();
    expect(raw.train.x[0]).toBeCloseTo(0.2, 5);
    expect(raw.train.x[30]).toBeCloseTo(200 / 255, 1);
  });

  it('names a corrupt file', async () => {
    const file = join(root, 'corrupt', 'truncated.png');
    const error = await loadImages({ dir: join(root, 'corrupt'), height: 4, width: 4, channels: 1 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).path).toBe(file);
    expect((error as Error).message).toContain(`${file}: not a complete PNG (the file ends early`);
  });

  it('rejects a folder without images, and a missing folder', async () => {
    const empty = await loadImages({ dir: join(root, 'nothing'), height: 4, width: 4, channels: 1 }).catch(
      (e: unknown) => e,
    );
    expect(empty).toBeInstanceOf(DataError);
    expect((empty as Error).message).toMatch(/no images/);
    const missing = await loadImages({ dir: join(root, 'absent'), height: 4, width: 4, channels: 1 }).catch(
      (e: unknown) => e,
    );
    expect((missing as Error).message).toMatch(/absent: directory not found/);
  });

  it('goes through loadData with the spec defaults (28x28 grey)', async () => {
    const splits = await loadData({
      source: 'images',
      dir: join(root, 'classes'),
      height: 28,
      width: 28,
      channels: 1,
    });
    expect(splits.train.sampleShape).toEqual([28, 28, 1]);
    expect(splits.train.size + splits.validation.size + splits.test.size).toBe(4);
  });
});

describe('resizeBilinear', () => {
  it('interpolates between pixel centres when enlarging', () => {
    const out = resizeBilinear({ width: 2, height: 1, channels: 1, data: Float32Array.from([0, 1]) }, 1, 4);
    expect(Array.from(out)).toEqual([0, 0.25, 0.75, 1]);
  });

  it('averages every source pixel when shrinking', () => {
    const stripes = Float32Array.from({ length: 16 }, (_, i) => i % 2);
    const out = resizeBilinear({ width: 16, height: 1, channels: 1, data: stripes }, 1, 2);
    for (const v of out) expect(v).toBeCloseTo(0.5, 1);
  });
});
