// Writing labelled datasets in the formats latentlab reads: an IDX pair (images + labels), a CSV with a label
// column, or a folder of PNGs with one subfolder per class. Images are stored as 8-bit levels.
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { type Dataset, sampleSize } from '../data/dataset.js';
import { DataError } from '../errors.js';
import { writeDirAtomic, writeFileAtomic } from './atomic.js';
import { encodeImage, toBytes } from './png.js';

export const DatasetFormat = z.enum(['idx', 'csv', 'png']);
export type DatasetFormat = z.infer<typeof DatasetFormat>;

/** IDX images [n, rows, cols] of unsigned bytes (magic 0x00000803). */
export function encodeIdxImages(dataset: Dataset): Buffer {
  const [h, w, c] = dataset.sampleShape;
  if (dataset.sampleShape.length !== 3 || c !== 1) {
    throw new DataError(
      `IDX holds greyscale images [h, w, 1], got samples of shape [${dataset.sampleShape}]`,
      {
        path: dataset.name,
      },
    );
  }
  const out = Buffer.alloc(16 + dataset.x.length);
  out.writeUInt32BE(0x00000803, 0);
  out.writeUInt32BE(dataset.size, 4);
  out.writeUInt32BE(h, 8);
  out.writeUInt32BE(w, 12);
  out.set(toBytes(dataset.x), 16);
  return out;
}

/** IDX labels [n] of unsigned bytes (magic 0x00000801). */
export function encodeIdxLabels(labels: Int32Array): Buffer {
  const out = Buffer.alloc(8 + labels.length);
  out.writeUInt32BE(0x00000801, 0);
  out.writeUInt32BE(labels.length, 4);
  labels.forEach((label, i) => {
    if (label < 0 || label > 255) throw new DataError(`IDX labels are bytes (0 to 255), got ${label}`);
    out[8 + i] = label;
  });
  return out;
}

/** CSV: `label,pixel0,...` with values in [0, 1] at 8-bit precision (4 decimals recover the level exactly). */
export function encodeCsvDataset(dataset: Dataset): string {
  const labels = requireLabels(dataset);
  const per = sampleSize(dataset);
  const bytes = toBytes(dataset.x);
  const lines = [['label', ...Array.from({ length: per }, (_, j) => `pixel${j}`)].join(',')];
  for (let i = 0; i < dataset.size; i++) {
    const row = [String(labels[i])];
    for (let j = 0; j < per; j++) row.push(String(Number((bytes[i * per + j] / 255).toFixed(4))));
    lines.push(row.join(','));
  }
  return `${lines.join('\n')}\n`;
}

function requireLabels(dataset: Dataset): Int32Array {
  if (!dataset.labels) throw new DataError('expected labelled samples', { path: dataset.name });
  return dataset.labels;
}

/** Subfolder name of class k: the number, zero-padded when there are 10 or more classes so they sort in order. */
export function classFolderName(k: number, numClasses: number): string {
  return String(k).padStart(String(Math.max(1, numClasses - 1)).length, '0');
}

export interface WrittenDataset {
  /** What to pass as --data to read it back. */
  spec: string;
  files: string[];
}

/**
 * Write a labelled dataset atomically. `idx`: `path` is the images file when its name contains "images" (labels
 * beside it, as the IDX loader looks for them), else a directory receiving train-images-idx3-ubyte and
 * train-labels-idx1-ubyte. `csv`: the file. `png`: a directory with one subfolder per class.
 */
export async function writeLabelledDataset(
  format: DatasetFormat,
  path: string,
  dataset: Dataset,
  numClasses: number,
): Promise<WrittenDataset> {
  const labels = requireLabels(dataset);
  switch (format) {
    case 'idx': {
      const named = basename(path).includes('images');
      const images = named ? path : join(path, 'train-images-idx3-ubyte');
      const labelsFile = join(
        dirname(images),
        basename(images).replace('images', 'labels').replace('idx3', 'idx1'),
      );
      const imageBytes = encodeIdxImages(dataset);
      await mkdir(dirname(images), { recursive: true });
      await writeFileAtomic(images, imageBytes);
      await writeFileAtomic(labelsFile, encodeIdxLabels(labels));
      return { spec: `idx:${images}`, files: [images, labelsFile] };
    }
    case 'csv':
      await mkdir(dirname(path), { recursive: true });
      await writeFileAtomic(path, encodeCsvDataset(dataset));
      return { spec: `csv:${path}`, files: [path] };
    case 'png': {
      const per = sampleSize(dataset);
      const width = String(Math.max(0, dataset.size - 1)).length;
      const files: string[] = [];
      await mkdir(dirname(path), { recursive: true });
      await writeDirAtomic(path, async (temp) => {
        const folders = new Set<number>();
        for (let i = 0; i < dataset.size; i++) {
          const folder = classFolderName(labels[i], numClasses);
          if (!folders.has(labels[i])) {
            await mkdir(join(temp, folder), { recursive: true });
            folders.add(labels[i]);
          }
          const name = join(folder, `${String(i).padStart(width, '0')}.png`);
          await writeFile(
            join(temp, name),
            encodeImage(dataset.x.subarray(i * per, (i + 1) * per), dataset.sampleShape),
          );
          files.push(join(path, name));
        }
      });
      return { spec: `images:${path}`, files };
    }
  }
}
