// Compressed latent codes (`.llz`): a header naming the model and the shapes, each code dimension quantised
// uniformly to `bits` bits between its min and max, bit-packed, and a CRC-32 over the whole file.
//
// Layout (integers little-endian; bit fields most significant bit first, each padded to a whole byte):
//   magic 89 4c 4c 5a ("\x89LLZ") | version u8 | bits u8 (1..16) | label bits u8 (0, 8 or 16) | rank u8
//   model id (16 bytes) | sample shape (rank x u32) | latent u32 | count u32
//   min f32 x latent | max f32 x latent | labels (count x label bits) | codes (count x latent x bits) | CRC-32 u32
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { IoError } from '../errors.js';
import type { Matrix } from './arrays.js';
import { writeFileAtomic } from './atomic.js';
import { readManifest } from './model-files.js';

export const CODE_FILE_MAGIC = Buffer.from([0x89, 0x4c, 0x4c, 0x5a]);
export const CODE_FILE_VERSION = 1;
const MODEL_ID_BYTES = 16;
const MAX_RANK = 4;

export interface CodeFile {
  /** 32 hex digits identifying the saved model (see modelId). */
  modelId: string;
  sampleShape: number[];
  latentSize: number;
  /** Bits per code value, 1..16. */
  bits: number;
  count: number;
  /** Per latent dimension, the values the lowest and highest quantisation levels stand for. */
  min: Float32Array;
  max: Float32Array;
  /** Quantised codes [count * latentSize], each in 0..2^bits - 1. */
  levels: Uint16Array;
  /** Class labels [count] for conditional models. */
  labels?: Int32Array;
}

/** Pack unsigned integers of `bits` bits each (1..16), most significant bit first; the last byte is zero-padded. */
export function packBits(values: ArrayLike<number>, bits: number): Uint8Array {
  checkBits(bits);
  const out = new Uint8Array(Math.ceil((values.length * bits) / 8));
  let bit = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    for (let b = bits - 1; b >= 0; b--, bit++) if ((v >>> b) & 1) out[bit >>> 3] |= 0x80 >>> (bit & 7);
  }
  return out;
}

/** The inverse of packBits: `count` values of `bits` bits from `bytes`. */
export function unpackBits(bytes: Uint8Array, bits: number, count: number): Uint16Array {
  checkBits(bits);
  const out = new Uint16Array(count);
  let bit = 0;
  for (let i = 0; i < count; i++) {
    let v = 0;
    for (let b = 0; b < bits; b++, bit++) v = (v << 1) | ((bytes[bit >>> 3] >>> (7 - (bit & 7))) & 1);
    out[i] = v;
  }
  return out;
}

function checkBits(bits: number): void {
  if (!Number.isInteger(bits) || bits < 1 || bits > 16) {
    throw new IoError(`expected 1 to 16 bits per value, got ${bits}`, { path: 'bits' });
  }
}

/** Uniform quantisation of codes [rows, latent] per dimension, between that dimension's min and max. */
export function quantiseCodes(
  codes: Matrix,
  bits: number,
): { min: Float32Array; max: Float32Array; levels: Uint16Array } {
  checkBits(bits);
  const { rows, cols, data } = codes;
  const min = new Float32Array(cols).fill(Number.POSITIVE_INFINITY);
  const max = new Float32Array(cols).fill(Number.NEGATIVE_INFINITY);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = data[i * cols + j];
      if (!Number.isFinite(v)) throw new IoError(`code ${i} has a non-finite value in dimension ${j}`);
      if (v < min[j]) min[j] = v;
      if (v > max[j]) max[j] = v;
    }
  }
  if (rows === 0) {
    min.fill(0);
    max.fill(0);
  }
  const top = 2 ** bits - 1;
  const levels = new Uint16Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const span = max[j] - min[j];
      const t = span > 0 ? (data[i * cols + j] - min[j]) / span : 0;
      levels[i * cols + j] = Math.min(top, Math.max(0, Math.round(t * top)));
    }
  }
  return { min, max, levels };
}

/** Codes [count, latent] the levels stand for. */
export function dequantiseCodes(
  file: Pick<CodeFile, 'min' | 'max' | 'levels' | 'bits' | 'count' | 'latentSize'>,
): Matrix {
  const top = 2 ** file.bits - 1;
  const cols = file.latentSize;
  const data = new Float32Array(file.count * cols);
  for (let i = 0; i < data.length; i++) {
    const j = i % cols;
    data[i] = file.min[j] + (file.levels[i] / top) * (file.max[j] - file.min[j]);
  }
  return { rows: file.count, cols, data };
}

function labelBitsFor(labels: Int32Array | undefined): number {
  if (!labels) return 0;
  let max = 0;
  for (const label of labels) {
    if (!Number.isInteger(label) || label < 0 || label > 0xffff)
      throw new IoError(`expected class labels between 0 and 65535, got ${label}`);
    if (label > max) max = label;
  }
  return max < 256 ? 8 : 16;
}

function headerBytes(rank: number, latent: number): number {
  return 8 + MODEL_ID_BYTES + 4 * rank + 8 + 8 * latent;
}

/** Bytes the file takes for `count` images: header, labels, packed codes and checksum. */
export function codeFileSize(
  rank: number,
  latent: number,
  bits: number,
  count: number,
  labelBits = 0,
): number {
  return (
    headerBytes(rank, latent) +
    Math.ceil((count * labelBits) / 8) +
    Math.ceil((count * latent * bits) / 8) +
    4
  );
}

export function encodeCodeFile(file: CodeFile): Buffer {
  checkBits(file.bits);
  const { sampleShape, latentSize, count } = file;
  if (!/^[0-9a-f]{32}$/.test(file.modelId))
    throw new IoError(`expected a model id of 32 hex digits, got "${file.modelId}"`);
  if (sampleShape.length < 1 || sampleShape.length > MAX_RANK)
    throw new IoError(`expected a sample shape of 1 to ${MAX_RANK} dimensions, got [${sampleShape}]`);
  if (file.levels.length !== count * latentSize)
    throw new IoError(
      `expected ${count * latentSize} code values (${count} x ${latentSize}), got ${file.levels.length}`,
    );
  if (file.labels && file.labels.length !== count)
    throw new IoError(`expected ${count} labels, got ${file.labels.length}`);
  const labelBits = labelBitsFor(file.labels);
  const out = Buffer.alloc(codeFileSize(sampleShape.length, latentSize, file.bits, count, labelBits));
  CODE_FILE_MAGIC.copy(out, 0);
  out[4] = CODE_FILE_VERSION;
  out[5] = file.bits;
  out[6] = labelBits;
  out[7] = sampleShape.length;
  Buffer.from(file.modelId, 'hex').copy(out, 8);
  let at = 8 + MODEL_ID_BYTES;
  for (const d of sampleShape) at = out.writeUInt32LE(d, at);
  at = out.writeUInt32LE(latentSize, at);
  at = out.writeUInt32LE(count, at);
  for (let j = 0; j < latentSize; j++) at = out.writeFloatLE(file.min[j], at);
  for (let j = 0; j < latentSize; j++) at = out.writeFloatLE(file.max[j], at);
  if (file.labels) {
    const packed = packBits(file.labels, labelBits);
    out.set(packed, at);
    at += packed.length;
  }
  const packed = packBits(file.levels, file.bits);
  out.set(packed, at);
  at += packed.length;
  out.writeUInt32LE(crc32(out.subarray(0, at)), at);
  return out;
}

const hexBytes = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');

/** Parse a code file; anything that does not add up is an IoError naming `path` and what was wrong. */
export function decodeCodeFile(bytes: Uint8Array, path: string): CodeFile {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fixed = 8 + MODEL_ID_BYTES;
  if (buf.length < 4 || !buf.subarray(0, 4).equals(CODE_FILE_MAGIC)) {
    throw new IoError(
      `not a latentlab code file: expected magic ${hexBytes(CODE_FILE_MAGIC)}, got ${hexBytes(buf.subarray(0, 4)) || 'an empty file'}`,
      { path },
    );
  }
  if (buf.length < fixed)
    throw new IoError(`truncated code file: expected at least ${fixed} header bytes, got ${buf.length}`, {
      path,
    });
  const [version, bits, labelBits, rank] = [buf[4], buf[5], buf[6], buf[7]];
  if (version !== CODE_FILE_VERSION) {
    throw new IoError(
      `code file format version ${version} is not supported (this latentlab reads version ${CODE_FILE_VERSION})`,
      { path },
    );
  }
  if (bits < 1 || bits > 16)
    throw new IoError(`corrupt header: expected 1 to 16 bits per value, got ${bits}`, { path });
  if (labelBits !== 0 && labelBits !== 8 && labelBits !== 16)
    throw new IoError(`corrupt header: expected 0, 8 or 16 bits per label, got ${labelBits}`, { path });
  if (rank < 1 || rank > MAX_RANK)
    throw new IoError(`corrupt header: expected a sample shape of 1 to ${MAX_RANK} dimensions, got ${rank}`, {
      path,
    });
  if (buf.length < fixed + 4 * rank + 8) {
    throw new IoError(
      `truncated code file: expected at least ${fixed + 4 * rank + 8} header bytes, got ${buf.length}`,
      {
        path,
      },
    );
  }
  const modelId = buf.subarray(8, fixed).toString('hex');
  let at = fixed;
  const sampleShape: number[] = [];
  for (let i = 0; i < rank; i++, at += 4) sampleShape.push(buf.readUInt32LE(at));
  const latentSize = buf.readUInt32LE(at);
  const count = buf.readUInt32LE(at + 4);
  at += 8;
  if (sampleShape.some((d) => d === 0) || latentSize === 0) {
    throw new IoError(
      `corrupt header: sample shape [${sampleShape}] and latent size ${latentSize} must be positive`,
      {
        path,
      },
    );
  }
  const expected = codeFileSize(rank, latentSize, bits, count, labelBits);
  if (buf.length !== expected) {
    const what = buf.length < expected ? 'truncated code file' : 'code file longer than its header says';
    throw new IoError(
      `${what}: ${count} codes of ${latentSize} values at ${bits} bits need ${expected} bytes, got ${buf.length}`,
      { path },
    );
  }
  const stored = buf.readUInt32LE(buf.length - 4);
  const actual = crc32(buf.subarray(0, buf.length - 4));
  if (stored !== actual) {
    throw new IoError(
      `corrupt code file: CRC-32 is ${actual.toString(16).padStart(8, '0')}, the file says ${stored.toString(16).padStart(8, '0')}`,
      { path },
    );
  }
  const min = new Float32Array(latentSize);
  const max = new Float32Array(latentSize);
  for (let j = 0; j < latentSize; j++, at += 4) min[j] = buf.readFloatLE(at);
  for (let j = 0; j < latentSize; j++, at += 4) max[j] = buf.readFloatLE(at);
  for (let j = 0; j < latentSize; j++) {
    if (!Number.isFinite(min[j]) || !Number.isFinite(max[j]) || min[j] > max[j])
      throw new IoError(`corrupt header: dimension ${j} has range [${min[j]}, ${max[j]}]`, { path });
  }
  let labels: Int32Array | undefined;
  if (labelBits > 0) {
    const size = Math.ceil((count * labelBits) / 8);
    labels = Int32Array.from(unpackBits(buf.subarray(at, at + size), labelBits, count));
    at += size;
  }
  const levels = unpackBits(buf.subarray(at, buf.length - 4), bits, count * latentSize);
  return { modelId, sampleShape, latentSize, bits, count, min, max, levels, labels };
}

export async function writeCodeFile(path: string, file: CodeFile): Promise<number> {
  const bytes = encodeCodeFile(file);
  await writeFileAtomic(path, bytes);
  return bytes.length;
}

/** A code file's bytes (`.llz` or `.llq`); a missing or unreadable file is an IoError naming it. */
export async function readCodeFileBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new IoError(missing ? 'file not found' : `cannot read file: ${(error as Error).message}`, {
      path,
      cause: error,
    });
  }
}

export async function readCodeFile(path: string): Promise<CodeFile> {
  return decodeCodeFile(await readCodeFileBytes(path), path);
}

/**
 * A saved model's id: the first 16 bytes of SHA-256 over each network's model.json and weight files, in the
 * manifest's order. The same saved weights always give the same id; retraining or another model gives another.
 */
export async function modelId(modelDir: string): Promise<string> {
  const manifest = await readManifest(modelDir);
  const hash = createHash('sha256');
  hash.update(`${manifest.kind}\n`);
  for (const name of manifest.networks) {
    const modelJson = await readFile(join(modelDir, name, 'model.json'));
    hash.update(`${name}\n`).update(modelJson);
    const parsed = JSON.parse(modelJson.toString('utf8')) as { weightsManifest?: Array<{ paths: string[] }> };
    for (const group of parsed.weightsManifest ?? [])
      for (const p of group.paths) hash.update(await readFile(join(modelDir, name, p)));
  }
  return hash.digest('hex').slice(0, MODEL_ID_BYTES * 2);
}

/** Refuse a code file made for another model or shape, naming the file and the difference. */
export function checkCodeFileFits(
  file: CodeFile,
  model: { modelId: string; sampleShape: readonly number[]; latentSize: number },
  path: string,
): void {
  if (file.modelId !== model.modelId) {
    throw new IoError(
      `made with another model (model id ${file.modelId}; this model's id is ${model.modelId}): decompress with the run that compressed it`,
      { path },
    );
  }
  if (file.sampleShape.join('x') !== model.sampleShape.join('x')) {
    throw new IoError(
      `holds samples of shape [${file.sampleShape}], the model makes [${model.sampleShape}]`,
      { path },
    );
  }
  if (file.latentSize !== model.latentSize) {
    throw new IoError(
      `holds codes of size ${file.latentSize}, the model's latent size is ${model.latentSize}`,
      {
        path,
      },
    );
  }
}
