// VQ-VAE compression: code grids range-coded under the prior into a `.llq` file decode back exactly (over several
// coding batches), the coded size sits at the bits the coder's tables give, and damaged or foreign files are
// refused with errors that say what is wrong.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compressVq, decodeVqCodes } from '../../src/apps/vq-compress.js';
import type { Dataset } from '../../src/data/dataset.js';
import { tf } from '../../src/engine/tf.js';
import { decodeVqCodeFile, encodeVqCodeFile } from '../../src/io/vq-code-file.js';
import { parseModelConfig } from '../../src/models/registry.js';
import type { VqVaeModel } from '../../src/models/vq-vae/model.js';
import { blobs, useBackend, withTempDir } from '../helpers.js';
import { runInProcess } from './cli-helper.js';

beforeAll(async () => {
  await useBackend('wasm');
});

const ID = '0123456789abcdef0123456789abcdef';

function setup(): { model: VqVaeModel; data: Dataset } {
  const { family, config } = parseModelConfig({
    kind: 'vq-vae',
    filters: [4, 8],
    codebookSize: 8,
    embeddingDim: 4,
    priorFilters: 8,
    priorLayers: 2,
  });
  // 16x16 images: a 4x4 grid of codes each.
  const model = family.build(config, { sampleShape: [16, 16, 1], seed: 3 }) as VqVaeModel;
  const x = tf.tidy(() => tf.image.resizeBilinear(blobs(10, 5) as tf.Tensor4D, [16, 16]));
  const data: Dataset = {
    name: 'blobs',
    sampleShape: [16, 16, 1],
    size: 10,
    x: x.dataSync() as Float32Array,
  };
  x.dispose();
  return { model, data };
}

describe('vq-vae compression (.llq)', () => {
  it('round-trips the code grids exactly, in coding batches of 4, at the bits of its tables', async () => {
    const { model, data } = setup();
    const { bytes, indices, report } = await compressVq(model, ID, data, 4);
    expect(indices.length).toBe(10 * 16);
    const file = decodeVqCodeFile(bytes, 'codes.llq');
    expect(file).toMatchObject({ modelId: ID, grid: [4, 4], codebookSize: 8, batch: 4, count: 10 });
    expect([...decodeVqCodes(model, ID, file, 'codes.llq')]).toEqual([...indices]);
    // The payload is the tables' information content, within a couple of bytes.
    expect(file.payload.length).toBeLessThanOrEqual(Math.ceil((report.tableBitsPerImage * 10) / 8) + 2);
    expect(report.file.bytes).toBe(bytes.length);
    expect(report.uniformBitsPerImage).toBe(16 * 3);
    model.dispose();
  });

  it('refuses damaged, truncated and foreign files with what is wrong', async () => {
    const { model, data } = setup();
    const { bytes } = await compressVq(model, ID, data, 4);
    const flipped = Buffer.from(bytes);
    flipped[bytes.length - 6] ^= 0x10;
    expect(() => decodeVqCodeFile(flipped, 'x.llq')).toThrow(
      /corrupt VQ code file: CRC-32 is [0-9a-f]{8}, the file says/,
    );
    expect(() => decodeVqCodeFile(bytes.subarray(0, bytes.length - 3), 'x.llq')).toThrow(
      /truncated VQ code file: a payload of \d+ bytes needs \d+ bytes in all, got \d+/,
    );
    expect(() => decodeVqCodeFile(bytes.subarray(0, 10), 'x.llq')).toThrow(
      'truncated VQ code file: expected at least',
    );
    expect(() => decodeVqCodeFile(Buffer.from([0x89, 0x4c, 0x4c, 0x5a, 0, 0, 0, 0]), 'x.llq')).toThrow(
      'not a latentlab VQ code file: expected magic 89 4c 4c 51, got 89 4c 4c 5a',
    );
    const future = Buffer.from(bytes);
    future[4] = 2;
    expect(() => decodeVqCodeFile(future, 'x.llq')).toThrow('VQ code file format version 2 is not supported');
    const file = decodeVqCodeFile(bytes, 'x.llq');
    expect(() => decodeVqCodes(model, 'f'.repeat(32), file, 'x.llq')).toThrow(
      /made with another model \(model id 0123456789abcdef0123456789abcdef; this model's id is f{32}\)/,
    );
    // A header whose CRC was recomputed over a wrong grid is caught by the shape check.
    const other = encodeVqCodeFile({ ...file, grid: [2, 8] });
    expect(() => decodeVqCodes(model, ID, decodeVqCodeFile(other, 'x.llq'), 'x.llq')).toThrow(
      "holds 2x8 grids of 8 codes, the model's are 4x4 of 8",
    );
    // Coded on another backend: the prior's probabilities could differ in the last bit, so it is refused.
    expect(file.backend).toBe('wasm');
    const native = decodeVqCodeFile(encodeVqCodeFile({ ...file, backend: 'native' }), 'x.llq');
    expect(native.backend).toBe('native');
    expect(() => decodeVqCodes(model, ID, native, 'x.llq')).toThrow(
      'coded on the native backend, and this process runs wasm: decompress with --backend native',
    );
    model.dispose();
  });

  it('goes through the CLI: train, compress to .llq, decompress to a grid and to PNGs; --bits is refused', async () => {
    await withTempDir(async (dir) => {
      const run = join(dir, 'run');
      const trained = await runInProcess([
        'train',
        '--model',
        'vq-vae',
        '--data',
        'mnist',
        '--limit',
        '128',
        '--epochs',
        '2',
        '--out',
        run,
        '--filters',
        '4,8',
        '--codebook-size',
        '8',
        '--embedding-dim',
        '4',
        '--prior-filters',
        '8',
        '--prior-layers',
        '2',
        '--autoencoder-epochs',
        '1',
        '--prior-epochs',
        '1',
      ]);
      expect(trained.code, trained.stderr).toBe(0);
      const file = join(dir, 'codes.llq');
      const compressed = await runInProcess(['compress', run, '--limit', '12', '--out', file]);
      expect(compressed.code, compressed.stderr).toBe(0);
      expect(compressed.stdout).toMatch(
        /^12 images, 7x7 grids of 8 codes, range-coded under the prior: \d+ bytes/,
      );
      const grid = await runInProcess(['decompress', file, '--run', run, '--out', join(dir, 'grid.png')]);
      expect(grid.code, grid.stderr).toBe(0);
      expect(existsSync(join(dir, 'grid.png'))).toBe(true);
      const folder = await runInProcess(['decompress', file, '--run', run, '--out', join(dir, 'images')]);
      expect(folder.stdout).toContain('12 images');
      expect((await readdir(join(dir, 'images'))).length).toBe(12);
      const bits = await runInProcess(['compress', run, '--limit', '12', '--bits', '8', '--out', file]);
      expect(bits.code).not.toBe(0);
      expect(bits.stderr).toContain('--bits: is for .llz files of quantised codes');
      // A name of the other format is refused before anything is coded.
      const named = await runInProcess(['compress', run, '--limit', '12', '--out', join(dir, 'codes.llz')]);
      expect(named.code).not.toBe(0);
      expect(named.stderr).toContain(
        '--out: this run writes a .llq file (code indices range-coded under the prior), not .llz (quantised codes)',
      );
      expect(existsSync(join(dir, 'codes.llz'))).toBe(false);
    });
  }, 300_000);
});
