// `latentlab compress` / `decompress`: a small MNIST autoencoder against PCA at the same bytes per image, the
// file's sizes and ratios, decompression equal to decoding the dequantised codes, and refusals naming the file.
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compressDataset, decodeToImages, decompressCodes } from '../../src/apps/compress.js';
import { type Dataset, head } from '../../src/data/dataset.js';
import { imageQuality } from '../../src/eval/image-quality.js';
import { codeFileSize, decodeCodeFile, dequantiseCodes, modelId } from '../../src/io/code-file.js';
import { encodeImage } from '../../src/io/png.js';
import type { Autoencoder } from '../../src/models/family.js';
import { trainRun } from '../../src/train/run.js';
import { useBackend } from '../helpers.js';
import { cliInProcess } from './cli-helper.js';

let dir: string;
let run: string;
let model: Autoencoder;
let train: Dataset;
let test: Dataset;

beforeAll(async () => {
  await useBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'latentlab-compress-'));
  run = join(dir, 'run');
  const result = await trainRun(
    {
      model: { kind: 'dense-ae', hidden: [256], latent: 16 },
      data: { source: 'mnist' },
      train: { epochs: 4, limit: 4000, batchSize: 64, previewCount: 0 },
    },
    run,
    { monitor: false },
  );
  model = result.model as Autoencoder;
  train = head(result.splits!.train, 2000);
  test = head(result.splits!.test, 100);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('compress', () => {
  it('writes 16 bytes per image at 8 bits, compares with PCA at the same bytes, and decompresses what it measured', async () => {
    const id = await modelId(join(run, 'model'));
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(await modelId(join(run, 'model'))).toBe(id);
    const { file, bytes, report } = await compressDataset(
      model,
      id,
      test,
      { bits: 8, pcaSamples: 2000 },
      train,
    );
    expect(bytes.length).toBe(codeFileSize(3, 16, 8, 100));
    expect(report.file).toEqual({
      bytes: bytes.length,
      bytesPerImage: bytes.length / 100,
      payloadBytesPerImage: 16,
    });
    expect(report.raw).toEqual({ bytesPerImage: 784, ratio: 784 / (bytes.length / 100) });
    let png = 0;
    for (let i = 0; i < 100; i++)
      png += encodeImage(test.x.subarray(i * 784, (i + 1) * 784), [28, 28, 1]).length;
    expect(report.png.bytesPerImage).toBe(png / 100);
    expect(report.pca?.components).toBe(16);
    expect(report.pca?.payloadBytesPerImage).toBe(16);
    // A model this small and short-trained need not beat PCA; the figures only have to be sane.
    expect(report.pca?.quality.psnr).toBeGreaterThan(12);
    expect(report.quality.psnr).toBeGreaterThan(12);
    // 8-bit codes lose little against unquantised ones.
    expect(Math.abs(report.quality.psnr - report.unquantised.psnr)).toBeLessThan(0.5);
    const parsed = decodeCodeFile(bytes, 'x.llz');
    expect(parsed).toEqual(file);
    const images = await decompressCodes(model, id, parsed, 'x.llz');
    expect(images).toEqual(await decodeToImages(model, dequantiseCodes(parsed)));
    expect(imageQuality(test.x, images, [28, 28, 1])).toEqual(report.quality);

    const coarse = await compressDataset(model, id, test, { bits: 2, pcaSamples: 0 });
    expect(coarse.report.pca).toBeUndefined();
    expect(coarse.report.file.payloadBytesPerImage).toBe(4);
    expect(coarse.report.quality.psnr).toBeLessThan(report.quality.psnr);
    await expect(compressDataset(model, id, test, { bits: 17 })).rejects.toThrow('bits');
  });

  it('CLI: compress, decompress to a folder; another model, a corrupt file and a truncated one are refused', async () => {
    const llz = join(dir, 'out', 'test.llz');
    const r = await cliInProcess([
      'compress',
      run,
      '--bits',
      '6',
      '--limit',
      '40',
      '--out',
      llz,
      '--pca-samples',
      '1000',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('40 images, 16-D codes at 6 bits');
    expect(r.stdout).toContain('ratio to raw 8-bit pixels (784 bytes per image)');
    expect(r.stdout).toContain(
      'PCA, 16 components at 6 bits (12 bytes per image, fitted on 1000 training images)',
    );
    const folder = join(dir, 'decoded');
    const d = await cliInProcess(['decompress', llz, '--run', run, '--out', folder]);
    expect(d.code, d.stderr).toBe(0);
    expect((await readdir(folder)).length).toBe(40);
    // Another model: same architecture, one weight changed.
    const other = join(dir, 'other');
    await cp(join(run, 'model'), other, { recursive: true });
    const weights = join(other, 'decoder', 'weights.bin');
    const bytes = await readFile(weights);
    bytes[0] ^= 1;
    await writeFile(weights, bytes);
    const wrong = await cliInProcess(['decompress', llz, '--run', other, '--out', join(dir, 'x.png')]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`latentlab: error: ${llz}: made with another model`);

    const original = await readFile(llz);
    const corrupt = Buffer.from(original);
    corrupt[corrupt.length - 10] ^= 0xff;
    await writeFile(join(dir, 'corrupt.llz'), corrupt);
    const c = await cliInProcess([
      'decompress',
      join(dir, 'corrupt.llz'),
      '--run',
      run,
      '--out',
      join(dir, 'c.png'),
    ]);
    expect(c.code).toBe(1);
    expect(c.stderr).toContain(`${join(dir, 'corrupt.llz')}: corrupt code file: CRC-32`);
    await writeFile(join(dir, 'short.llz'), original.subarray(0, 100));
    const t = await cliInProcess([
      'decompress',
      join(dir, 'short.llz'),
      '--run',
      run,
      '--out',
      join(dir, 't.png'),
    ]);
    expect(t.code).toBe(1);
    expect(t.stderr).toContain(`${join(dir, 'short.llz')}: truncated code file`);
    // .llq is the range-coded format of models with discrete codes: this run's file may not take its name.
    const named = await cliInProcess(['compress', run, '--limit', '4', '--out', join(dir, 'x.llq')]);
    expect(named.code).not.toBe(0);
    expect(named.stderr).toContain(
      '--out: this run writes a .llz file (quantised codes), not .llq (code indices range-coded under the prior)',
    );
  });
});
