// File formats: checkpoint container (round trip, corruption caught), .npy/CSV/JSON matrices, PNG grids.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeMatrix, readMatrix } from '../../src/io/arrays.js';
import { writeDirAtomic } from '../../src/io/atomic.js';
import { decodePng, encodeImageGrid } from '../../src/io/png.js';
import {
  decodeTensorFile,
  encodeTensorFile,
  readTensorFile,
  writeTensorFile,
} from '../../src/io/tensor-file.js';
import { withTempDir } from '../helpers.js';

describe('tensor file (checkpoints)', () => {
  const arrays = [
    { name: 'a', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
    { name: 'b', shape: [1], data: Float32Array.from([-0.5]) },
  ];

  it('round-trips arrays and metadata', async () => {
    await withTempDir(async (dir) => {
      await writeTensorFile(join(dir, 'c.lltf'), { epoch: 3 }, arrays);
      const back = await readTensorFile(join(dir, 'c.lltf'));
      expect(back.meta).toEqual({ epoch: 3 });
      expect(back.arrays.map((a) => [a.name, a.shape, Array.from(a.data)])).toEqual([
        ['a', [2, 3], [1, 2, 3, 4, 5, 6]],
        ['b', [1], [-0.5]],
      ]);
      expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    });
  });

  it('detects a flipped byte and a truncated file', () => {
    const bytes = encodeTensorFile({ epoch: 1 }, arrays);
    const flipped = Uint8Array.from(bytes);
    flipped[flipped.length - 10] ^= 0xff;
    expect(() => decodeTensorFile(flipped, 'ckpt')).toThrow(
      'ckpt: checksum mismatch: the file is truncated or corrupt',
    );
    expect(() => decodeTensorFile(bytes.subarray(0, bytes.length - 7), 'ckpt')).toThrow(/checksum mismatch/);
    expect(() => decodeTensorFile(Buffer.from('hello world, not a checkpoint'), 'x')).toThrow(
      /not a latentlab tensor file/,
    );
  });
});

describe('matrices', () => {
  const m = { rows: 2, cols: 3, data: Float32Array.from([0.5, -1, 2, 3.25, 0, 1e-3]) };

  it('.npy, CSV and JSON round-trip', async () => {
    await withTempDir(async (dir) => {
      for (const ext of ['npy', 'csv', 'json'] as const) {
        const file = join(dir, `m.${ext}`);
        await writeFile(file, encodeMatrix(ext, m, [7, 8]));
        const back = await readMatrix(file);
        expect([back.rows, back.cols]).toEqual([2, 3]);
        expect(Array.from(back.data)).toEqual(Array.from(m.data));
      }
      // NumPy's format: magic, version 1.0, header length, a dict, data on a 64-byte boundary.
      const npy = await readFile(join(dir, 'm.npy'));
      expect(npy.subarray(0, 8)).toEqual(Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]));
      expect((10 + npy.readUInt16LE(8)) % 64).toBe(0);
      expect(npy.toString('latin1', 10, 80)).toContain("'shape': (2, 3)");
    });
  });

  it('names the line of a bad CSV cell and the field of bad JSON', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'bad.csv'), 'z0,z1\n1,2\n3,x\n');
      await expect(readMatrix(join(dir, 'bad.csv'))).rejects.toThrow(
        `${join(dir, 'bad.csv')}:3: column "z1": expected a number, got "x"`,
      );
      await writeFile(
        join(dir, 'bad.json'),
        JSON.stringify({
          codes: [
            [1, 2],
            [3, 'a'],
          ],
        }),
      );
      await expect(readMatrix(join(dir, 'bad.json'))).rejects.toThrow(/at \[1\]\[1\]/);
      await writeFile(join(dir, 'ragged.json'), JSON.stringify([[1, 2], [3]]));
      await expect(readMatrix(join(dir, 'ragged.json'))).rejects.toThrow('row 1 has 1 values, expected 2');
    });
  });
});

describe('atomic directories', () => {
  it('leave the old directory in place when filling the new one fails', async () => {
    await withTempDir(async (dir) => {
      const target = join(dir, 'model');
      await writeDirAtomic(target, async (tmp) => writeFile(join(tmp, 'v'), '1'));
      await expect(
        writeDirAtomic(target, async (tmp) => {
          await writeFile(join(tmp, 'v'), '2');
          throw new Error('disk full');
        }),
      ).rejects.toThrow('disk full');
      expect(await readFile(join(target, 'v'), 'utf8')).toBe('1');
      expect(await readdir(dir)).toEqual(['model']);
    });
  });
});

describe('PNG grids', () => {
  it('tile images row by row with padding and scaling', () => {
    // Two 2x2 grey images: all black, all white.
    const pixels = Float32Array.from([0, 0, 0, 0, 1, 1, 1, 1]);
    const png = decodePng(encodeImageGrid(pixels, [2, 2, 1], { rows: 1, cols: 2, padding: 1, scale: 2 }));
    expect([png.width, png.height]).toEqual([2 * 4 + 3, 4 + 2]);
    const at = (x: number, y: number) => png.rgba[(y * png.width + x) * 4];
    expect(at(1, 1)).toBe(0);
    expect(at(6, 1)).toBe(255);
    expect(at(0, 0)).toBe(96);
  });
});
