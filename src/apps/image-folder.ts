// A folder of PNG/JPEG images as a dataset that remembers each image's file name, so results can be written
// back under the same names. Loaded by the project's own images loader; listed by the same rules (sorted by
// code unit, hidden files skipped, either images at the top or one subfolder per class).
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { type Dataset, makeDataset } from '../data/dataset.js';
import { loadImages } from '../data/sources/images.js';
import { DataError } from '../errors.js';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);
const isImage = (e: Dirent) =>
  e.isFile() && !e.name.startsWith('.') && IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase());
const byName = (a: Dirent, b: Dirent) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export interface ImageFolder {
  dataset: Dataset;
  /** Path of each image relative to the folder, in dataset order. */
  files: string[];
}

/** Read `dir` at the model's sample shape [h, w, c] (every image resized to it). */
export async function readImageFolder(dir: string, sampleShape: readonly number[]): Promise<ImageFolder> {
  if (sampleShape.length !== 3 || (sampleShape[2] !== 1 && sampleShape[2] !== 3)) {
    throw new DataError(`a folder of images needs a model for images [h, w, 1 or 3], got [${sampleShape}]`, {
      path: dir,
    });
  }
  const [height, width, channels] = sampleShape as [number, number, 1 | 3];
  const raw = await loadImages({ dir, height, width, channels });
  const entries = (await readdir(dir, { withFileTypes: true })).sort(byName);
  const files = entries.filter(isImage).map((e) => e.name);
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const inner = (await readdir(join(dir, entry.name), { withFileTypes: true })).sort(byName);
    files.push(...inner.filter(isImage).map((e) => join(entry.name, e.name)));
  }
  const dataset = makeDataset(raw.name, raw.sampleShape, raw.train.x, raw.train.labels, raw.classNames);
  if (files.length !== dataset.size) {
    throw new DataError(`listed ${files.length} images but loaded ${dataset.size}`, { path: dir });
  }
  return { dataset, files };
}
