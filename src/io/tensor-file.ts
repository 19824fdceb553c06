// A single-file container for named float32 arrays plus a JSON header, checksummed, for checkpoints.
// Layout: "LLTF" | u32 version | u32 headerBytes | header JSON | data (float32 LE, 4-byte aligned) | u32 crc32.
import { readFile } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { IoError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';

const MAGIC = 'LLTF';
const VERSION = 1;

export interface NamedArray {
  name: string;
  shape: number[];
  data: Float32Array;
}

interface Header {
  meta: unknown;
  arrays: Array<{ name: string; shape: number[]; offset: number; length: number }>;
}

export function encodeTensorFile(meta: unknown, arrays: NamedArray[]): Uint8Array {
  let offset = 0;
  const entries = arrays.map((a) => {
    const entry = { name: a.name, shape: a.shape, offset, length: a.data.length };
    offset += a.data.length;
    return entry;
  });
  const headerText = JSON.stringify({ meta, arrays: entries } satisfies Header);
  let headerBytes = Buffer.from(headerText, 'utf8');
  const pad = (4 - ((12 + headerBytes.length) % 4)) % 4;
  if (pad) headerBytes = Buffer.concat([headerBytes, Buffer.from(' '.repeat(pad))]);
  const total = 12 + headerBytes.length + offset * 4 + 4;
  const out = Buffer.alloc(total);
  out.write(MAGIC, 0, 'ascii');
  out.writeUInt32LE(VERSION, 4);
  out.writeUInt32LE(headerBytes.length, 8);
  headerBytes.copy(out, 12);
  const dataStart = 12 + headerBytes.length;
  const floats = new Float32Array(out.buffer, out.byteOffset + dataStart, offset);
  for (let i = 0; i < arrays.length; i++) floats.set(arrays[i].data, entries[i].offset);
  out.writeUInt32LE(crc32(out.subarray(0, total - 4)), total - 4);
  return out;
}

export function decodeTensorFile(bytes: Uint8Array, path: string): { meta: unknown; arrays: NamedArray[] } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 16 || buf.toString('ascii', 0, 4) !== MAGIC) {
    throw new IoError(`not a latentlab tensor file (expected magic "${MAGIC}")`, { path });
  }
  const version = buf.readUInt32LE(4);
  if (version !== VERSION)
    throw new IoError(`unsupported tensor file version ${version}, expected ${VERSION}`, { path });
  const stored = buf.readUInt32LE(buf.length - 4);
  if (crc32(buf.subarray(0, buf.length - 4)) !== stored) {
    throw new IoError('checksum mismatch: the file is truncated or corrupt', { path });
  }
  const headerLength = buf.readUInt32LE(8);
  const header = JSON.parse(buf.toString('utf8', 12, 12 + headerLength)) as Header;
  const dataStart = 12 + headerLength;
  const count = (buf.length - 4 - dataStart) / 4;
  const floats = new Float32Array(count);
  floats.set(
    new Float32Array(buf.buffer.slice(buf.byteOffset + dataStart, buf.byteOffset + dataStart + count * 4)),
  );
  const arrays = header.arrays.map((e) => ({
    name: e.name,
    shape: e.shape,
    data: floats.subarray(e.offset, e.offset + e.length),
  }));
  return { meta: header.meta, arrays };
}

export async function writeTensorFile(path: string, meta: unknown, arrays: NamedArray[]): Promise<void> {
  await writeFileAtomic(path, encodeTensorFile(meta, arrays));
}

export async function readTensorFile(path: string): Promise<{ meta: unknown; arrays: NamedArray[] }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new IoError('cannot read tensor file', { path, cause: error });
  }
  return decodeTensorFile(bytes, path);
}
