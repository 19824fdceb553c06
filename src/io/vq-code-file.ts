// Range-coded code grids of a VQ-VAE (`.llq`): the code indices of each image, coded under the model's own prior
// (src/io/range-coder.ts), so only the model that wrote a file can read it back (the model id says which).
//
// Layout (integers little-endian):
//   magic 89 4c 4c 51 ("\x89LLQ") | version u8 | rank u8 | backend u8 (BACKEND_CODES) | reserved u8 (0)
//   model id (16 bytes) | sample shape (rank x u32) | grid height u16 | grid width u16 | codebook size u16
//   batch u16 (images the prior ran on at once while coding: decoding runs it the same way) | count u32
//   payload length u32 | payload (the range coder's bytes) | CRC-32 u32 over everything before it
import { crc32 } from 'node:zlib';
import { IoError } from '../errors.js';

export const VQ_FILE_MAGIC = Buffer.from([0x89, 0x4c, 0x4c, 0x51]);
export const VQ_FILE_VERSION = 1;
const MODEL_ID_BYTES = 16;

/**
 * The engine backend the prior ran on while coding, by number (0: not recorded). Range decoding needs the prior's
 * probabilities bit for bit, and backends round float32 differently (fused kernels, summation order), so a file
 * decodes only on the backend that coded it.
 */
const BACKEND_CODES = ['unknown', 'native', 'wasm', 'cpu', 'tensorflow', 'webgpu', 'webgl'] as const;
const MAX_RANK = 4;

export interface VqCodeFile {
  /** 32 hex digits identifying the saved model (io/code-file.ts modelId). */
  modelId: string;
  sampleShape: number[];
  grid: [number, number];
  codebookSize: number;
  batch: number;
  count: number;
  /** The engine backend the prior ran on while coding (tf.getBackend()); 'unknown' when not one of ours. */
  backend: string;
  /** The range coder's output. */
  payload: Uint8Array;
}

/** Bytes before the payload. */
export function vqHeaderBytes(rank: number): number {
  return 8 + MODEL_ID_BYTES + 4 * rank + 8 + 4 + 4;
}

const u16 = (value: number, what: string) => {
  if (!Number.isInteger(value) || value < 1 || value > 0xffff)
    throw new IoError(`expected ${what} from 1 to 65535, got ${value}`);
  return value;
};

export function encodeVqCodeFile(file: VqCodeFile): Buffer {
  if (!/^[0-9a-f]{32}$/.test(file.modelId))
    throw new IoError(`expected a model id of 32 hex digits, got "${file.modelId}"`);
  const rank = file.sampleShape.length;
  if (rank < 1 || rank > MAX_RANK)
    throw new IoError(`expected a sample shape of 1 to ${MAX_RANK} dimensions, got [${file.sampleShape}]`);
  const out = Buffer.alloc(vqHeaderBytes(rank) + file.payload.length + 4);
  VQ_FILE_MAGIC.copy(out, 0);
  out[4] = VQ_FILE_VERSION;
  out[5] = rank;
  out[6] = Math.max(0, (BACKEND_CODES as readonly string[]).indexOf(file.backend));
  Buffer.from(file.modelId, 'hex').copy(out, 8);
  let at = 8 + MODEL_ID_BYTES;
  for (const d of file.sampleShape) at = out.writeUInt32LE(d, at);
  at = out.writeUInt16LE(u16(file.grid[0], 'a grid height'), at);
  at = out.writeUInt16LE(u16(file.grid[1], 'a grid width'), at);
  at = out.writeUInt16LE(u16(file.codebookSize, 'a codebook size'), at);
  at = out.writeUInt16LE(u16(file.batch, 'a coding batch'), at);
  at = out.writeUInt32LE(file.count, at);
  at = out.writeUInt32LE(file.payload.length, at);
  out.set(file.payload, at);
  at += file.payload.length;
  out.writeUInt32LE(crc32(out.subarray(0, at)), at);
  return out;
}

const hexBytes = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');

/** Parse a `.llq` file; anything that does not add up is an IoError naming `path` and what was wrong. */
export function decodeVqCodeFile(bytes: Uint8Array, path: string): VqCodeFile {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 4 || !buf.subarray(0, 4).equals(VQ_FILE_MAGIC))
    throw new IoError(
      `not a latentlab VQ code file: expected magic ${hexBytes(VQ_FILE_MAGIC)}, got ${hexBytes(buf.subarray(0, 4)) || 'an empty file'}`,
      { path },
    );
  if (buf.length < 8)
    throw new IoError(`truncated VQ code file: expected at least 8 header bytes, got ${buf.length}`, {
      path,
    });
  const [version, rank] = [buf[4], buf[5]];
  if (version !== VQ_FILE_VERSION)
    throw new IoError(
      `VQ code file format version ${version} is not supported (this latentlab reads version ${VQ_FILE_VERSION})`,
      { path },
    );
  if (rank < 1 || rank > MAX_RANK)
    throw new IoError(`corrupt header: expected a sample shape of 1 to ${MAX_RANK} dimensions, got ${rank}`, {
      path,
    });
  const header = vqHeaderBytes(rank);
  if (buf.length < header + 4)
    throw new IoError(`truncated VQ code file: expected at least ${header + 4} bytes, got ${buf.length}`, {
      path,
    });
  const modelId = buf.subarray(8, 8 + MODEL_ID_BYTES).toString('hex');
  let at = 8 + MODEL_ID_BYTES;
  const sampleShape: number[] = [];
  for (let i = 0; i < rank; i++, at += 4) sampleShape.push(buf.readUInt32LE(at));
  const grid: [number, number] = [buf.readUInt16LE(at), buf.readUInt16LE(at + 2)];
  const codebookSize = buf.readUInt16LE(at + 4);
  const batch = buf.readUInt16LE(at + 6);
  const count = buf.readUInt32LE(at + 8);
  const length = buf.readUInt32LE(at + 12);
  const expected = header + length + 4;
  if (buf.length !== expected) {
    const what =
      buf.length < expected ? 'truncated VQ code file' : 'VQ code file longer than its header says';
    throw new IoError(
      `${what}: a payload of ${length} bytes needs ${expected} bytes in all, got ${buf.length}`,
      {
        path,
      },
    );
  }
  const stored = buf.readUInt32LE(buf.length - 4);
  const actual = crc32(buf.subarray(0, buf.length - 4));
  if (stored !== actual)
    throw new IoError(
      `corrupt VQ code file: CRC-32 is ${actual.toString(16).padStart(8, '0')}, the file says ${stored.toString(16).padStart(8, '0')}`,
      { path },
    );
  if (sampleShape.some((d) => d === 0) || grid[0] === 0 || grid[1] === 0 || codebookSize < 2 || batch === 0)
    throw new IoError(
      `corrupt header: sample shape [${sampleShape}], grid ${grid.join('x')}, codebook ${codebookSize} and batch ${batch} must be positive`,
      { path },
    );
  return {
    modelId,
    backend: BACKEND_CODES[buf[6]] ?? 'unknown',
    sampleShape,
    grid,
    codebookSize,
    batch,
    count,
    payload: Uint8Array.from(buf.subarray(header, header + length)),
  };
}

/** Whether these bytes start like a VQ code file (so `decompress` can tell it from a `.llz`). */
export function isVqCodeFile(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && Buffer.from(bytes.buffer, bytes.byteOffset, 4).equals(VQ_FILE_MAGIC);
}
