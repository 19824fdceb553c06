// IDX reader: round trips (plain and gzip), and each kind of broken file named in the error.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadIdx, readIdx } from '../../src/data/sources/idx.js';
import { DataError } from '../../src/errors.js';

/** An IDX file: 0, 0, type, ndims, big-endian dims, then the data. */
function idxBytes(dims: number[], data: ArrayLike<number>, type = 0x08): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = type;
  header[3] = dims.length;
  for (const [i, d] of dims.entries()) header.writeUInt32BE(d, 4 + 4 * i);
  return Buffer.concat([header, Buffer.from(Uint8Array.from(data))]);
}

let dir: string;
const images = [0, 255, 51, 102, 0, 0, 0, 0, 10, 20, 30, 40]; // 3 images of 2x2
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'latentlab-idx-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function expectDataError(promise: Promise<unknown>): Promise<DataError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DataError);
  return error as DataError;
}

describe('readIdx', () => {
  it('reads a plain file', async () => {
    const file = join(dir, 'plain-images-idx3-ubyte');
    await writeFile(file, idxBytes([3, 2, 2], images));
    const idx = await readIdx(file);
    expect(idx.dims).toEqual([3, 2, 2]);
    expect(Array.from(idx.data)).toEqual(images);
  });

  it('reads a gzipped file, told apart by its magic bytes', async () => {
    const file = join(dir, 'gz-images-idx3-ubyte.gz');
    await writeFile(file, gzipSync(idxBytes([3, 2, 2], images)));
    const idx = await readIdx(file);
    expect(idx.dims).toEqual([3, 2, 2]);
    expect(Array.from(idx.data)).toEqual(images);
  });

  it('names the file and both byte counts when the data is truncated', async () => {
    const file = join(dir, 'short-images-idx3-ubyte');
    await writeFile(file, idxBytes([3, 2, 2], images).subarray(0, 16 + 7));
    const error = await expectDataError(readIdx(file));
    expect(error.path).toBe(file);
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/expected 12 data bytes, got 7/);
  });

  it('rejects a truncated header', async () => {
    const file = join(dir, 'short-header');
    await writeFile(file, idxBytes([3, 2, 2], images).subarray(0, 10));
    const error = await expectDataError(readIdx(file));
    expect(error.message).toMatch(/expected 16 header bytes for 3 dimensions, got 10/);
  });

  it('rejects a wrong magic number', async () => {
    const file = join(dir, 'not-idx.bin');
    await writeFile(file, Buffer.from('PK\x03\x04 this is a zip, not IDX'));
    const error = await expectDataError(readIdx(file));
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/expected magic 0x000008NN.*got 0x504b0304/);
  });

  it('rejects element types other than unsigned byte', async () => {
    const file = join(dir, 'float-idx');
    await writeFile(file, idxBytes([1], [0, 0, 0, 0], 0x0d));
    const error = await expectDataError(readIdx(file));
    expect(error.message).toMatch(/unsupported IDX data type 0x0d \(float32\): expected 0x08/);
  });

  it('rejects a file that starts like gzip but is not', async () => {
    const file = join(dir, 'broken.gz');
    await writeFile(file, Buffer.from([0x1f, 0x8b, 1, 2, 3, 4, 5]));
    const error = await expectDataError(readIdx(file));
    expect(error.path).toBe(file);
    expect(error.message).toMatch(/gzip/);
  });

  it('names a missing file', async () => {
    const file = join(dir, 'missing-idx');
    const error = await expectDataError(readIdx(file));
    expect(error.message).toBe(`${file}: file not found`);
  });
});

describe('loadIdx', () => {
  it('scales images to [0, 1] and finds the labels file beside them', async () => {
    await writeFile(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(idxBytes([3, 2, 2], images)));
    await writeFile(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(idxBytes([3], [2, 0, 1], 0x08)));
    const raw = await loadIdx({ images: join(dir, 'train-images-idx3-ubyte.gz') });
    expect(raw.sampleShape).toEqual([2, 2, 1]);
    expect(raw.train.x).toBeInstanceOf(Float32Array);
    expect(Array.from(raw.train.x.subarray(0, 4))).toEqual([0, 1, Math.fround(0.2), Math.fround(0.4)]);
    expect(Array.from(raw.train.labels!)).toEqual([2, 0, 1]);
    expect(raw.classNames).toEqual(['0', '1', '2']);
    expect(raw.test).toBeUndefined();
  });

  it('has no labels when no sibling file exists', async () => {
    const raw = await loadIdx({ images: join(dir, 'plain-images-idx3-ubyte') });
    expect(raw.train.labels).toBeUndefined();
    expect(raw.train.x.length).toBe(12);
  });

  it('rejects a labels file whose count differs from the images', async () => {
    const labels = join(dir, 'two-labels-idx1-ubyte');
    await writeFile(labels, idxBytes([2], [1, 1]));
    const error = await expectDataError(loadIdx({ images: join(dir, 'plain-images-idx3-ubyte'), labels }));
    expect(error.path).toBe(labels);
    expect(error.message).toMatch(/expected 3 labels .* got 2/);
  });

  it('rejects a labels file given as images', async () => {
    const error = await expectDataError(loadIdx({ images: join(dir, 'two-labels-idx1-ubyte') }));
    expect(error.message).toMatch(/expected an image file with 3 dimensions/);
  });
});
