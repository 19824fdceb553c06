// Codes of data larger than memory written as they are made: CSV or .npy rows appended block by block to a
// temporary file renamed into place at the end, so a file is either complete or absent. (JSON is one document,
// which cannot be appended to and which no reader streams back: it is refused for streamed data.)
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { DataError } from '../errors.js';
import type { MatrixFormat } from './arrays.js';

export interface MatrixBlock {
  readonly rows: number;
  /** rows * cols values. */
  readonly data: Float32Array;
  readonly labels?: ArrayLike<number>;
  readonly ids?: readonly string[];
}

export interface MatrixStreamOptions {
  format: MatrixFormat;
  cols: number;
  /** Rows to come: .npy states its shape in its header, before the rows. */
  rows: number;
  labelled: boolean;
  withIds: boolean;
  prefix?: string;
}

const quoted = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);

/** The .npy header of a float32 C-order matrix (version 1.0, padded so the data starts on 64 bytes). */
function npyHeader(rows: number, cols: number): Buffer {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  const unpadded = 10 + dict.length + 1;
  const header = `${dict}${' '.repeat((64 - (unpadded % 64)) % 64)}\n`;
  const out = Buffer.alloc(10 + header.length);
  out.write('\x93NUMPY', 0, 'latin1');
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(header.length, 8);
  out.write(header, 10, 'latin1');
  return out;
}

/** Writes `blocks` to `path` as they come; returns the rows written (which must be `options.rows`). */
export async function writeMatrixStream(
  path: string,
  blocks: AsyncIterable<MatrixBlock>,
  options: MatrixStreamOptions,
): Promise<number> {
  if (options.format === 'json')
    throw new DataError(
      'streamed codes go to .csv or .npy (a JSON document cannot be written a block at a time)',
      {
        path,
      },
    );
  const temporary = `${path}.partial-${process.pid}`;
  const out = createWriteStream(temporary);
  const write = async (chunk: string | Buffer) => {
    if (!out.write(chunk)) await once(out, 'drain');
  };
  let written = 0;
  try {
    if (options.format === 'npy') {
      await write(npyHeader(options.rows, options.cols));
    } else {
      const header = Array.from({ length: options.cols }, (_, j) => `${options.prefix ?? 'z'}${j}`);
      if (options.labelled) header.push('label');
      if (options.withIds) header.unshift('id');
      await write(`${header.join(',')}\n`);
    }
    for await (const block of blocks) {
      if (options.format === 'npy') {
        await write(Buffer.from(block.data.buffer, block.data.byteOffset, block.data.byteLength));
      } else {
        const lines: string[] = [];
        for (let i = 0; i < block.rows; i++) {
          const row = Array.from(block.data.subarray(i * options.cols, (i + 1) * options.cols), String);
          if (options.labelled) row.push(String(block.labels?.[i] ?? ''));
          if (options.withIds) row.unshift(quoted(block.ids?.[i] ?? ''));
          lines.push(row.join(','));
        }
        await write(`${lines.join('\n')}\n`);
      }
      written += block.rows;
    }
    if (written !== options.rows)
      throw new DataError(`expected ${options.rows} rows, wrote ${written}`, { path });
    out.end();
    await once(out, 'finish');
    await rename(temporary, path);
    return written;
  } catch (error) {
    out.destroy();
    await rm(temporary, { force: true });
    throw error;
  }
}
