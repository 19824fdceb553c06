// NumPy files written by numpy itself (scripts/make-numpy-fixtures.py): every dtype, byte order, version and
// order; npz stored and deflated; and each way an archive can be wrong, named in the error.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labelledTable, readNpy, readNpz } from '../../src/io/numpy.js';

const dir = join(import.meta.dirname, '..', 'fixtures', 'numpy');
const npy = (name: string) => readNpy(readFileSync(join(dir, name)), name);
const npz = (name: string) => readNpz(readFileSync(join(dir, name)), name);
const BASE = [1.5, -2.0, 3.25, 4.0, 5.5, -6.75];

describe('readNpy', () => {
  it('reads float64, big-endian float32 and Fortran order into C order', () => {
    const f8 = npy('f8.npy');
    expect(f8.dtype).toBe('f8');
    expect(f8.shape).toEqual([2, 3]);
    expect(f8.data).toBeInstanceOf(Float64Array);
    expect(Array.from(f8.data)).toEqual(BASE);
    const be = npy('f4-be.npy');
    expect(be.data).toBeInstanceOf(Float32Array);
    expect(Array.from(be.data)).toEqual(BASE);
    const fortran = npy('f8-fortran.npy');
    expect(fortran.shape).toEqual([2, 3]);
    expect(Array.from(fortran.data)).toEqual(BASE);
  });

  it('reads format versions 2.0 and 3.0', () => {
    for (const name of ['v2.npy', 'v3.npy']) {
      const a = npy(name);
      expect(a.dtype).toBe('f4');
      expect(Array.from(a.data)).toEqual(BASE);
    }
  });

  it('reads every integer and boolean dtype in either byte order', () => {
    expect(Array.from(npy('i1.npy').data)).toEqual([-128, 0, 127]);
    expect(Array.from(npy('i2-be.npy').data)).toEqual([-300, 2, 30000]);
    const i4 = npy('i4.npy');
    expect(i4.data).toBeInstanceOf(Int32Array);
    expect(i4.shape).toEqual([2, 2]);
    expect(Array.from(i4.data)).toEqual([-70000, 1, 2, 70000]);
    const i8 = npy('i8.npy');
    expect(i8.data).toBeInstanceOf(Float64Array);
    expect(Array.from(i8.data)).toEqual([-(2 ** 40), 0, 2 ** 40]);
    expect(Array.from(npy('u1.npy').data)).toEqual([0, 200, 255]);
    expect(Array.from(npy('u2.npy').data)).toEqual([0, 65535]);
    expect(Array.from(npy('u4-be.npy').data)).toEqual([4000000000, 1]);
    const b1 = npy('b1.npy');
    expect(b1.dtype).toBe('b1');
    expect(Array.from(b1.data)).toEqual([1, 0, 1]);
    const scalar = npy('scalar.npy');
    expect(scalar.shape).toEqual([]);
    expect(Array.from(scalar.data)).toEqual([7]);
  });

  it('refuses pickled object arrays, naming the file', () => {
    expect(() => npy('object.npy')).toThrow(
      /object\.npy: object arrays \(pickled Python objects\) are refused/,
    );
  });

  it('names what it expected from bad bytes', () => {
    expect(() => readNpy(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 'junk.npy')).toThrow(
      'junk.npy: not a .npy file (expected the magic bytes \\x93NUMPY)',
    );
    const truncated = readFileSync(join(dir, 'f8.npy')).subarray(0, 150);
    expect(() => readNpy(truncated, 'cut.npy')).toThrow(
      'cut.npy: expected 48 data bytes for shape (2, 3) of <f8, got 22',
    );
    const c8 = Buffer.from(readFileSync(join(dir, 'f8.npy')));
    c8.write("'<c8'", c8.indexOf("'<f8'"), 'latin1');
    expect(() => readNpy(c8, 'complex.npy')).toThrow(
      "complex.npy: unsupported dtype '<c8' (expected f4, f8, i1/i2/i4/i8, u1/u2/u4 or b1)",
    );
  });
});

describe('readNpz', () => {
  it('reads stored and deflated archives by array name', () => {
    const stored = npz('stored.npz');
    expect(Object.keys(stored).sort()).toEqual(['X', 'y']);
    expect(Array.from(stored.X.data)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(stored.y.dtype).toBe('i8');
    const deflated = npz('deflated.npz');
    expect(deflated.X.dtype).toBe('f4');
    expect(Array.from(deflated.y.data)).toEqual([0, 1, 0]);
    const table = labelledTable(deflated, 'deflated.npz');
    expect(table).toMatchObject({ rows: 3, cols: 2 });
    expect(Array.from(table.x)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Array.from(table.y!)).toEqual([0, 1, 0]);
  });

  it('says a file is not a zip', () => {
    expect(() => readNpz(readFileSync(join(dir, 'f8.npy')), 'f8.npz')).toThrow(
      'f8.npz: not a zip archive (an .npz is a zip of .npy files)',
    );
  });

  it('names the arrays an npz without X does have', () => {
    expect(() => labelledTable(npz('no-x.npz'), 'no-x.npz')).toThrow(
      'no-x.npz: no array named X (the features): the npz holds "features", "labels"',
    );
  });

  it('refuses y whose length differs from the rows of X', () => {
    expect(() => labelledTable(npz('short-y.npz'), 'short-y.npz')).toThrow(
      'short-y.npz: y: expected one label per row of X (3), got shape (2)',
    );
  });

  it('names the entry when an array inside is bad', () => {
    const bytes = Buffer.from(readFileSync(join(dir, 'stored.npz')));
    bytes.write("'<c8'", bytes.indexOf("'<f8'"), 'latin1');
    expect(() => readNpz(bytes, 'bad.npz')).toThrow("bad.npz#X.npy: unsupported dtype '<c8'");
  });
});
