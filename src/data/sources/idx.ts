// IDX files, the format MNIST and Fashion-MNIST ship in: a big-endian header (magic, dims) then raw uint8 data.
// Plain or gzip-compressed; images become float32 in [0, 1] with shape [rows, cols, 1].
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DataError } from '../../errors.js';
import type { RawData } from '../dataset.js';
import { readBytes } from './files.js';

const UBYTE = 0x08;
const TYPE_NAMES: Record<number, string> = {
  8: 'unsigned byte',
  9: 'signed byte',
  11: 'int16',
  12: 'int32',
  13: 'float32',
  14: 'float64',
};

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const hex = (value: number, digits: number) => `0x${value.toString(16).padStart(digits, '0')}`;

/** Parse an IDX file of unsigned bytes (the only element type MNIST-style data uses). */
export async function readIdx(file: string): Promise<IdxArray> {
  const bytes = await readBytes(file);
  if (bytes.length < 4) {
    throw new DataError(`truncated IDX file: expected at least 4 header bytes, got ${bytes.length}`, {
      path: file,
    });
  }
  const magic = bytes.readUInt32BE(0);
  const type = bytes[2];
  const ndims = bytes[3];
  if (bytes[0] !== 0 || bytes[1] !== 0 || ndims === 0) {
    throw new DataError(
      `not an IDX file: expected magic 0x000008NN (NN = number of dimensions, e.g. 0x00000803 for images), got ${hex(magic, 8)}`,
      { path: file },
    );
  }
  if (type !== UBYTE) {
    const name = TYPE_NAMES[type] ? ` (${TYPE_NAMES[type]})` : '';
    throw new DataError(`unsupported IDX data type ${hex(type, 2)}${name}: expected 0x08 (unsigned byte)`, {
      path: file,
    });
  }
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw new DataError(
      `truncated IDX file: expected ${headerBytes} header bytes for ${ndims} dimensions, got ${bytes.length}`,
      { path: file },
    );
  }
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(bytes.readUInt32BE(4 + 4 * i));
  const expected = dims.reduce((a, b) => a * b, 1);
  const got = bytes.length - headerBytes;
  if (got < expected) {
    throw new DataError(
      `truncated IDX file: header says [${dims.join(', ')}], expected ${expected} data bytes, got ${got}`,
      { path: file },
    );
  }
  if (got > expected) {
    // Trailing bytes mean the header and the data disagree; trusting either would be a guess.
    throw new DataError(
      `IDX file longer than its header says: [${dims.join(', ')}] needs ${expected} data bytes, got ${got}`,
      { path: file },
    );
  }
  // Copy out of the (possibly pooled or gunzipped) buffer so the result owns its memory.
  const data = new Uint8Array(expected);
  data.set(bytes.subarray(headerBytes, headerBytes + expected));
  return { dims, data };
}

/** The labels file that sits beside an images file, by the MNIST naming convention (`images`→`labels`, `idx3`→`idx1`). */
export function siblingLabelsFile(imagesFile: string): string | undefined {
  const name = basename(imagesFile);
  if (!name.includes('images')) return undefined;
  return join(dirname(imagesFile), name.replace('images', 'labels').replace('idx3', 'idx1'));
}

export interface IdxSamples {
  sampleShape: [number, number, 1];
  x: Float32Array;
  labels?: Int32Array;
}

/** Images (and labels when given) from a pair of IDX files, images scaled to [0, 1]. */
export async function readIdxSamples(imagesFile: string, labelsFile?: string): Promise<IdxSamples> {
  const images = await readIdx(imagesFile);
  if (images.dims.length !== 3) {
    throw new DataError(
      `expected an image file with 3 dimensions [n, rows, cols] (magic 0x00000803), got ${images.dims.length} [${images.dims.join(', ')}]`,
      { path: imagesFile },
    );
  }
  const [n, rows, cols] = images.dims;
  const x = new Float32Array(images.data.length);
  for (let i = 0; i < x.length; i++) x[i] = images.data[i] / 255;
  if (!labelsFile) return { sampleShape: [rows, cols, 1], x };

  const labels = await readIdx(labelsFile);
  if (labels.dims.length !== 1) {
    throw new DataError(
      `expected a label file with 1 dimension [n] (magic 0x00000801), got ${labels.dims.length} [${labels.dims.join(', ')}]`,
      { path: labelsFile },
    );
  }
  if (labels.dims[0] !== n) {
    throw new DataError(`expected ${n} labels (one per image in ${imagesFile}), got ${labels.dims[0]}`, {
      path: labelsFile,
    });
  }
  return { sampleShape: [rows, cols, 1], x, labels: Int32Array.from(labels.data) };
}

/** `idx:PATH`: one IDX image file, with labels from the given file or the conventional sibling if it exists. */
export async function loadIdx(spec: { images: string; labels?: string }): Promise<RawData> {
  const sibling = siblingLabelsFile(spec.images);
  const labelsFile = spec.labels ?? (sibling && existsSync(sibling) ? sibling : undefined);
  const samples = await readIdxSamples(spec.images, labelsFile);
  let classNames: string[] | undefined;
  if (samples.labels) {
    let max = -1;
    for (const label of samples.labels) if (label > max) max = label;
    classNames = Array.from({ length: max + 1 }, (_, i) => String(i));
  }
  // No test part: splitData holds out a share of it.
  return {
    name: basename(spec.images),
    sampleShape: samples.sampleShape,
    classNames,
    train: { x: samples.x, labels: samples.labels },
  };
}
