// NumPy's files in memory: `.npy` (format 1.0/2.0/3.0, numeric and boolean dtypes, either byte order, C or
// Fortran order) and `.npz` (a zip of .npy, stored or deflated). Pickled (object) arrays are refused, never run.
// The zip reader is hand-written on node:zlib: an npz needs only the central directory and inflateRaw, and the
// zip libraries installed here (tar) do not read zips.
import { inflateRawSync } from 'node:zlib';
import { DataError } from '../errors.js';

export type NumpyDtype = 'f4' | 'f8' | 'i1' | 'i2' | 'i4' | 'i8' | 'u1' | 'u2' | 'u4' | 'b1';

export type NumpyData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array;

/** One array, its values in C (row-major) order whatever the file's order; i8 values come as Float64Array. */
export interface NumpyArray {
  dtype: NumpyDtype;
  shape: number[];
  data: NumpyData;
}

const MAGIC = '\x93NUMPY';

interface DtypeReader {
  size: number;
  make(n: number): NumpyData;
  read(view: DataView, offset: number, little: boolean): number;
}

const READERS: Record<NumpyDtype, DtypeReader> = {
  f4: { size: 4, make: (n) => new Float32Array(n), read: (v, o, le) => v.getFloat32(o, le) },
  f8: { size: 8, make: (n) => new Float64Array(n), read: (v, o, le) => v.getFloat64(o, le) },
  i1: { size: 1, make: (n) => new Int8Array(n), read: (v, o) => v.getInt8(o) },
  i2: { size: 2, make: (n) => new Int16Array(n), read: (v, o, le) => v.getInt16(o, le) },
  i4: { size: 4, make: (n) => new Int32Array(n), read: (v, o, le) => v.getInt32(o, le) },
  // Float64 holds every int64 up to 2^53 exactly; larger ones are refused where they are read.
  i8: { size: 8, make: (n) => new Float64Array(n), read: (v, o, le) => Number(v.getBigInt64(o, le)) },
  u1: { size: 1, make: (n) => new Uint8Array(n), read: (v, o) => v.getUint8(o) },
  u2: { size: 2, make: (n) => new Uint16Array(n), read: (v, o, le) => v.getUint16(o, le) },
  u4: { size: 4, make: (n) => new Uint32Array(n), read: (v, o, le) => v.getUint32(o, le) },
  b1: { size: 1, make: (n) => new Uint8Array(n), read: (v, o) => (v.getUint8(o) === 0 ? 0 : 1) },
};

/** `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }` read field by field. */
function parseHeader(header: string, file: string): { descr: string; fortran: boolean; shape: number[] } {
  if (/'descr':\s*\[/.test(header))
    throw new DataError('structured (record) arrays are not supported: expected a plain numeric dtype', {
      path: file,
    });
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shape === undefined)
    throw new DataError(
      `cannot read the .npy header (expected 'descr', 'fortran_order' and 'shape'), got ${header.trim()}`,
      { path: file },
    );
  const dims = shape
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => Number(s.replace(/L$/, '')));
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0))
    throw new DataError(`bad shape (${shape}) in the .npy header`, { path: file });
  return { descr, fortran: fortran === 'True', shape: dims };
}

/** The dtype of a descr such as '<f8', '>i4' or '|b1', and whether its bytes are little-endian. */
function dtypeOf(descr: string, file: string): { dtype: NumpyDtype; little: boolean } {
  if (descr === '|O' || descr.endsWith('O'))
    throw new DataError(
      'object arrays (pickled Python objects) are refused: they would run code to load. Save a numeric array',
      { path: file },
    );
  const match = /^([<>|=])([fiub])(\d+)$/.exec(descr);
  const dtype = match ? (`${match[2]}${match[3]}` as NumpyDtype) : undefined;
  if (!match || !dtype || !(dtype in READERS))
    throw new DataError(`unsupported dtype '${descr}' (expected f4, f8, i1/i2/i4/i8, u1/u2/u4 or b1)`, {
      path: file,
    });
  // '=' is the writer's native order; every machine numpy saves from today is little-endian.
  return { dtype, little: match[1] !== '>' };
}

/** Values of an array stored in Fortran (column-major) order, put in C order. */
function toCOrder(values: NumpyData, shape: readonly number[]): NumpyData {
  if (shape.length < 2) return values;
  const out = values.slice() as NumpyData;
  const n = values.length;
  const index = new Array<number>(shape.length).fill(0);
  // Walk the Fortran layout (first axis fastest) and write each value at its C position.
  const cStrides = shape.map((_, k) => shape.slice(k + 1).reduce((a, b) => a * b, 1));
  for (let f = 0; f < n; f++) {
    let c = 0;
    for (let k = 0; k < shape.length; k++) c += index[k] * cStrides[k];
    out[c] = values[f];
    for (let k = 0; k < shape.length; k++) {
      if (++index[k] < shape[k]) break;
      index[k] = 0;
    }
  }
  return out;
}

/** One .npy file's bytes as an array; `file` names it in errors. */
export function readNpy(bytes: Uint8Array, file: string): NumpyArray {
  if (bytes.length < 10 || Buffer.from(bytes.subarray(0, 6)).toString('latin1') !== MAGIC)
    throw new DataError('not a .npy file (expected the magic bytes \\x93NUMPY)', { path: file });
  const major = bytes[6];
  if (major !== 1 && major !== 2 && major !== 3)
    throw new DataError(`unsupported .npy format version ${major}.${bytes[7]} (expected 1.0, 2.0 or 3.0)`, {
      path: file,
    });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = major === 1 ? 10 : 12;
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (start + headerLength > bytes.length)
    throw new DataError(`the .npy header runs past the end of the file (${bytes.length} bytes)`, {
      path: file,
    });
  const header = Buffer.from(bytes.subarray(start, start + headerLength)).toString(
    major === 3 ? 'utf8' : 'latin1',
  );
  const { descr, fortran, shape } = parseHeader(header, file);
  const { dtype, little } = dtypeOf(descr, file);
  const reader = READERS[dtype];
  const count = shape.reduce((a, b) => a * b, 1);
  const body = start + headerLength;
  if (bytes.length - body < count * reader.size)
    throw new DataError(
      `expected ${count * reader.size} data bytes for shape (${shape.join(', ')}) of ${descr}, got ${bytes.length - body}`,
      { path: file },
    );
  let data = reader.make(count);
  for (let i = 0; i < count; i++) data[i] = reader.read(view, body + i * reader.size, little);
  if (dtype === 'i8') {
    const bad = data.findIndex((v) => !Number.isSafeInteger(v));
    if (bad >= 0)
      throw new DataError(`int64 value ${data[bad]} at ${bad} is beyond 2^53 and would lose digits`, {
        path: file,
      });
  }
  if (fortran) data = toCOrder(data, shape);
  return { dtype, shape, data };
}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL = 0x06054b50;
const ZIP64_END = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;

interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

/** The entries listed in a zip's central directory (zip64 sizes and offsets included, as numpy writes them). */
function zipEntries(bytes: Uint8Array, file: string): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end record is in the last 22 + 65535 (comment) bytes.
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === END_OF_CENTRAL) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new DataError('not a zip archive (an .npz is a zip of .npy files)', { path: file });
  let count = view.getUint16(end + 10, true);
  let offset = view.getUint32(end + 16, true);
  if (
    (count === 0xffff || offset === 0xffffffff) &&
    end >= 20 &&
    view.getUint32(end - 20, true) === ZIP64_LOCATOR
  ) {
    const zip64End = Number(view.getBigUint64(end - 20 + 8, true));
    if (view.getUint32(zip64End, true) !== ZIP64_END)
      throw new DataError('corrupt zip: the zip64 end record is missing', { path: file });
    count = Number(view.getBigUint64(zip64End + 32, true));
    offset = Number(view.getBigUint64(zip64End + 48, true));
  }
  const entries: ZipEntry[] = [];
  for (let k = 0; k < count; k++) {
    if (offset + 46 > bytes.length || view.getUint32(offset, true) !== CENTRAL_HEADER)
      throw new DataError(`corrupt zip: central directory entry ${k} is missing`, { path: file });
    const method = view.getUint16(offset + 10, true);
    let compressedSize = view.getUint32(offset + 20, true);
    let size = view.getUint32(offset + 24, true);
    const nameLength = view.getUint16(offset + 28, true);
    const extraLength = view.getUint16(offset + 30, true);
    const commentLength = view.getUint16(offset + 32, true);
    let localOffset = view.getUint32(offset + 42, true);
    const name = Buffer.from(bytes.subarray(offset + 46, offset + 46 + nameLength)).toString('utf8');
    // A zip64 extra field (id 1) holds, in order, whichever of size, compressed size and offset overflowed.
    for (let e = offset + 46 + nameLength; e + 4 <= offset + 46 + nameLength + extraLength; ) {
      const id = view.getUint16(e, true);
      const length = view.getUint16(e + 2, true);
      if (id === 1) {
        let p = e + 4;
        const next = () => {
          const v = Number(view.getBigUint64(p, true));
          p += 8;
          return v;
        };
        if (size === 0xffffffff) size = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (localOffset === 0xffffffff) localOffset = next();
      }
      e += 4 + length;
    }
    entries.push({ name, method, compressedSize, size, localOffset });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

function entryBytes(bytes: Uint8Array, entry: ZipEntry, file: string): Uint8Array {
  const where = `${file}#${entry.name}`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(entry.localOffset, true) !== LOCAL_HEADER)
    throw new DataError('corrupt zip: the entry has no local header', { path: where });
  const start =
    entry.localOffset +
    30 +
    view.getUint16(entry.localOffset + 26, true) +
    view.getUint16(entry.localOffset + 28, true);
  const stored = bytes.subarray(start, start + entry.compressedSize);
  if (stored.length !== entry.compressedSize)
    throw new DataError('corrupt zip: the entry runs past the end of the file', { path: where });
  if (entry.method === 0) return stored;
  if (entry.method !== 8)
    throw new DataError(`unsupported zip compression method ${entry.method} (expected stored or deflate)`, {
      path: where,
    });
  try {
    return inflateRawSync(stored);
  } catch (error) {
    throw new DataError(`corrupt deflate data (${(error as Error).message})`, { path: where, cause: error });
  }
}

/** An .npz's arrays by name (the entry name without `.npy`, as numpy.load gives them). */
export function readNpz(bytes: Uint8Array, file: string): Record<string, NumpyArray> {
  const arrays: Record<string, NumpyArray> = {};
  for (const entry of zipEntries(bytes, file)) {
    if (entry.name.endsWith('/')) continue;
    const name = entry.name.replace(/\.npy$/, '');
    arrays[name] = readNpy(entryBytes(bytes, entry, file), `${file}#${entry.name}`);
  }
  return arrays;
}

/** Rows of features and, when present, one 0/1 label per row: ADBench's `X` and `y`. */
export interface LabelledTable {
  rows: number;
  cols: number;
  /** [rows * cols], C order */
  x: Float32Array;
  y?: Uint8Array;
}

/**
 * The `X` (2-D, numeric) and optional `y` (one 0/1 per row) arrays of an npz, as ADBench ships them; `file`
 * names the archive in errors.
 */
export function labelledTable(arrays: Record<string, NumpyArray>, file: string): LabelledTable {
  const X = arrays.X;
  if (!X) {
    const names = Object.keys(arrays);
    throw new DataError(
      `no array named X (the features): the npz holds ${names.length ? names.map((n) => `"${n}"`).join(', ') : 'no arrays'}`,
      { path: file },
    );
  }
  if (X.shape.length !== 2)
    throw new DataError(`X: expected a 2-D array (rows, features), got shape (${X.shape.join(', ')})`, {
      path: file,
    });
  const [rows, cols] = X.shape;
  const x = Float32Array.from(X.data);
  const bad = x.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0)
    throw new DataError(
      `X: value ${x[bad]} at row ${Math.floor(bad / cols)}, column ${bad % cols} is not a finite number`,
      { path: file },
    );
  const Y = arrays.y;
  if (!Y) return { rows, cols, x };
  const yCount = Y.shape.reduce((a, b) => a * b, 1);
  if (yCount !== rows || Y.shape.length > 2)
    throw new DataError(`y: expected one label per row of X (${rows}), got shape (${Y.shape.join(', ')})`, {
      path: file,
    });
  const y = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    const v = Y.data[i];
    if (v !== 0 && v !== 1)
      throw new DataError(`y: expected labels 0 (normal) or 1 (anomaly), got ${v} at row ${i}`, {
        path: file,
      });
    y[i] = v;
  }
  return { rows, cols, x, y };
}
