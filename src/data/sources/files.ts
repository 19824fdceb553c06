// Reading data files (plain or gzip), with errors that name the file.
import { type FileHandle, open, readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { DataError } from '../../errors.js';

/** A whole file's bytes as they are; a missing or unreadable file is a DataError naming it. */
export async function readFileNamed(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new DataError(missing ? 'file not found' : `cannot read file: ${(error as Error).message}`, {
      path: file,
      cause: error,
    });
  }
}

/** A file opened for reading (a columnar file read a part at a time); a missing or unreadable one is named. */
export async function openFileNamed(file: string): Promise<FileHandle> {
  try {
    return await open(file, 'r');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new DataError(missing ? 'file not found' : `cannot read file: ${(error as Error).message}`, {
      path: file,
      cause: error,
    });
  }
}

/** Read a whole data file (gunzipped when it is gzip); a missing or unreadable file is a DataError naming it. */
export async function readBytes(file: string): Promise<Buffer> {
  const bytes = await readFileNamed(file);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return gunzipSync(bytes);
    } catch (error) {
      throw new DataError(`starts like gzip (1f 8b) but does not decompress: ${(error as Error).message}`, {
        path: file,
        cause: error,
      });
    }
  }
  return bytes;
}
