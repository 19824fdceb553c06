// A POSIX ustar archive of files held in memory (what `tar -x` and node's tar unpack): one 512-byte header per
// file, its bytes padded to 512, two empty blocks at the end. Folders are implied by the paths.
const BLOCK = 512;

export interface TarEntry {
  /** Relative path with "/" separators, at most 100 bytes (ustar's name field; latentlab's run paths are short). */
  path: string;
  data: Uint8Array | string;
}

function field(header: Uint8Array, offset: number, length: number, value: string): void {
  const bytes = new TextEncoder().encode(value);
  if (bytes.length > length) throw new Error(`tar: "${value}" is longer than its ${length}-byte field`);
  header.set(bytes, offset);
}

const octal = (value: number, length: number) => `${value.toString(8).padStart(length - 1, '0')}\0`;

function header(path: string, size: number, mtime: number): Uint8Array {
  if (path.startsWith('/') || path.split('/').includes('..')) throw new Error(`tar: unsafe path "${path}"`);
  const block = new Uint8Array(BLOCK);
  field(block, 0, 100, path);
  field(block, 100, 8, octal(0o644, 8));
  field(block, 108, 8, octal(0, 8));
  field(block, 116, 8, octal(0, 8));
  field(block, 124, 12, octal(size, 12));
  field(block, 136, 12, octal(mtime, 12));
  field(block, 148, 8, '        '); // the checksum counts its own field as spaces
  field(block, 156, 1, '0');
  field(block, 257, 6, 'ustar\0');
  field(block, 263, 2, '00');
  const sum = block.reduce((a, b) => a + b, 0);
  field(block, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return block;
}

/** The archive of `entries`, in their order. */
export function tarArchive(entries: readonly TarEntry[], now = new Date()): Uint8Array {
  const mtime = Math.floor(now.getTime() / 1000);
  const files = entries.map((e) => ({
    path: e.path,
    bytes: typeof e.data === 'string' ? new TextEncoder().encode(e.data) : e.data,
  }));
  const total = files.reduce((n, f) => n + BLOCK + Math.ceil(f.bytes.length / BLOCK) * BLOCK, 2 * BLOCK);
  const out = new Uint8Array(total);
  let at = 0;
  for (const file of files) {
    out.set(header(file.path, file.bytes.length, mtime), at);
    at += BLOCK;
    out.set(file.bytes, at);
    at += Math.ceil(file.bytes.length / BLOCK) * BLOCK;
  }
  return out;
}
