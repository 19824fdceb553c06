// The `.llz` code file: bit packing for 1..16 bits, quantisation, round trips, and every way a file can be wrong.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/data/random.js';
import {
  type CodeFile,
  checkCodeFileFits,
  codeFileSize,
  decodeCodeFile,
  dequantiseCodes,
  encodeCodeFile,
  packBits,
  quantiseCodes,
  readCodeFile,
  unpackBits,
  writeCodeFile,
} from '../../src/io/code-file.js';
import { withTempDir } from '../helpers.js';

const ID = '0123456789abcdef0123456789abcdef';

function setByte(bytes: Buffer, at: number, value: number): Buffer {
  bytes[at] = value;
  return bytes;
}

function sampleFile(bits = 5, labels = true): CodeFile {
  const rng = createRng(3);
  const count = 7;
  const latent = 3;
  const codes = {
    rows: count,
    cols: latent,
    data: Float32Array.from({ length: count * latent }, () => rng() * 4 - 2),
  };
  const q = quantiseCodes(codes, bits);
  return {
    modelId: ID,
    sampleShape: [28, 28, 1],
    latentSize: latent,
    bits,
    count,
    ...q,
    labels: labels ? Int32Array.from({ length: count }, (_, i) => i % 3) : undefined,
  };
}

describe('bit packing', () => {
  it('packs most significant bit first, padding the last byte', () => {
    // 101 001 111 → 1010 0111 | 1000 0000
    expect([...packBits([5, 1, 7], 3)]).toEqual([0xa7, 0x80]);
    expect([...packBits([1, 0, 1, 1, 0, 0, 0, 1, 1], 1)]).toEqual([0b10110001, 0b10000000]);
    expect([...packBits([0xabc, 0x123], 12)]).toEqual([0xab, 0xc1, 0x23]);
    expect([...unpackBits(Uint8Array.from([0xa7, 0x80]), 3, 3)]).toEqual([5, 1, 7]);
  });

  it('round-trips every width from 1 to 16 bits', () => {
    const rng = createRng(11);
    for (let bits = 1; bits <= 16; bits++) {
      const count = 37;
      const values = Uint16Array.from({ length: count }, (_, i) =>
        i === 0 ? 2 ** bits - 1 : i === 1 ? 0 : Math.floor(rng() * 2 ** bits),
      );
      const packed = packBits(values, bits);
      expect(packed.length).toBe(Math.ceil((count * bits) / 8));
      expect([...unpackBits(packed, bits, count)]).toEqual([...values]);
    }
    expect(() => packBits([1], 17)).toThrow('expected 1 to 16 bits per value, got 17');
  });
});

describe('quantisation', () => {
  it('maps each dimension between its min and max onto 2^bits levels', () => {
    const codes = { rows: 3, cols: 2, data: Float32Array.from([0, 5, 1, 5, 0.5, 5]) };
    const q = quantiseCodes(codes, 2);
    expect([...q.min]).toEqual([0, 5]);
    expect([...q.max]).toEqual([1, 5]);
    // 0.5 of the way is level 1.5, rounded to 2; a constant dimension is level 0.
    expect([...q.levels]).toEqual([0, 0, 3, 0, 2, 0]);
    const back = dequantiseCodes({ ...q, bits: 2, count: 3, latentSize: 2 });
    expect([...back.data]).toEqual([0, 5, 1, 5, Math.fround(2 / 3), 5]);
  });

  it('errs by at most half a step', () => {
    const rng = createRng(5);
    const codes = { rows: 50, cols: 4, data: Float32Array.from({ length: 200 }, () => rng() * 10 - 3) };
    for (const bits of [1, 4, 8, 12]) {
      const q = quantiseCodes(codes, bits);
      const back = dequantiseCodes({ ...q, bits, count: 50, latentSize: 4 });
      for (let i = 0; i < 200; i++) {
        const step = (q.max[i % 4] - q.min[i % 4]) / (2 ** bits - 1);
        expect(Math.abs(back.data[i] - codes.data[i])).toBeLessThanOrEqual(step / 2 + 1e-5);
      }
    }
  });
});

describe('code files', () => {
  it('round-trip through bytes and disk, atomically, with and without labels', async () => {
    for (const bits of [1, 5, 8, 16]) {
      for (const labels of [true, false]) {
        const file = sampleFile(bits, labels);
        const bytes = encodeCodeFile(file);
        expect(bytes.length).toBe(codeFileSize(3, 3, bits, 7, labels ? 8 : 0));
        expect(decodeCodeFile(bytes, 'x.llz')).toEqual(file);
      }
    }
    await withTempDir(async (dir) => {
      const path = join(dir, 'codes.llz');
      const size = await writeCodeFile(path, sampleFile());
      expect((await readFile(path)).length).toBe(size);
      expect(await readCodeFile(path)).toEqual(sampleFile());
      expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    });
  });

  it('stores 8 bits per value of a 32-D code in 32 bytes plus the header', () => {
    // Header: 8 + 16 id + 12 shape + 8 + 2 x 4 x 32 ranges = 300; codes 100 x 32; CRC 4.
    expect(codeFileSize(3, 32, 8, 100)).toBe(300 + 3200 + 4);
  });

  it('names the file and what is wrong when it is corrupt, truncated or for another model', async () => {
    const good = encodeCodeFile(sampleFile());
    const bad = (edit: (b: Buffer) => Buffer) => {
      const copy = Buffer.from(good);
      return () => decodeCodeFile(edit(copy), 'in.llz');
    };
    expect(bad((b) => b.fill(0x50, 0, 4))).toThrow(
      'in.llz: not a latentlab code file: expected magic 89 4c 4c 5a, got 50 50 50 50',
    );
    expect(bad(() => Buffer.alloc(0))).toThrow(
      'in.llz: not a latentlab code file: expected magic 89 4c 4c 5a, got an empty file',
    );
    expect(bad((b) => b.subarray(0, 10))).toThrow(
      'in.llz: truncated code file: expected at least 24 header bytes, got 10',
    );
    expect(bad((b) => b.subarray(0, b.length - 3))).toThrow(
      `in.llz: truncated code file: 7 codes of 3 values at 5 bits need ${good.length} bytes, got ${good.length - 3}`,
    );
    expect(bad((b) => Buffer.concat([b, Buffer.from([0])]))).toThrow(
      `in.llz: code file longer than its header says: 7 codes of 3 values at 5 bits need ${good.length} bytes, got ${good.length + 1}`,
    );
    expect(bad((b) => setByte(b, 4, 9))).toThrow(
      'in.llz: code file format version 9 is not supported (this latentlab reads version 1)',
    );
    expect(bad((b) => setByte(b, 5, 0))).toThrow(
      'in.llz: corrupt header: expected 1 to 16 bits per value, got 0',
    );
    expect(bad((b) => setByte(b, 6, 3))).toThrow(
      'in.llz: corrupt header: expected 0, 8 or 16 bits per label, got 3',
    );
    expect(bad((b) => setByte(b, 7, 9))).toThrow(
      'in.llz: corrupt header: expected a sample shape of 1 to 4 dimensions, got 9',
    );
    // A flipped bit in the codes keeps every size right: only the checksum sees it.
    expect(bad((b) => setByte(b, b.length - 6, b[b.length - 6] ^ 0x10))).toThrow(
      /in\.llz: corrupt code file: CRC-32 is [0-9a-f]{8}, the file says [0-9a-f]{8}/,
    );

    const file = decodeCodeFile(good, 'in.llz');
    const fits = { modelId: ID, sampleShape: [28, 28, 1], latentSize: 3 };
    expect(() => checkCodeFileFits(file, fits, 'in.llz')).not.toThrow();
    expect(() => checkCodeFileFits(file, { ...fits, modelId: 'f'.repeat(32) }, 'in.llz')).toThrow(
      `in.llz: made with another model (model id ${ID}; this model's id is ${'f'.repeat(32)})`,
    );
    expect(() => checkCodeFileFits(file, { ...fits, sampleShape: [32, 32, 3] }, 'in.llz')).toThrow(
      'in.llz: holds samples of shape [28,28,1], the model makes [32,32,3]',
    );
    expect(() => checkCodeFileFits(file, { ...fits, latentSize: 8 }, 'in.llz')).toThrow(
      "in.llz: holds codes of size 3, the model's latent size is 8",
    );
    await withTempDir(async (dir) => {
      await expect(readCodeFile(join(dir, 'missing.llz'))).rejects.toThrow(
        `${join(dir, 'missing.llz')}: file not found`,
      );
      await writeFile(join(dir, 'text.llz'), 'hello');
      await expect(readCodeFile(join(dir, 'text.llz'))).rejects.toThrow('not a latentlab code file');
    });
  });
});
