// `images:DIR`: a folder of PNG/JPEG files, or one subfolder per class; every image converted to grey or RGB
// and resized to one size. Files are taken in sorted order so the same folder always gives the same dataset.
import type { Dirent } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, join, relative, sep } from 'node:path';
import jpeg from 'jpeg-js';
import { DataError } from '../../errors.js';
import { MAX_IMAGE_PIXELS, readPng } from '../../io/png.js';
import type { RawData } from '../dataset.js';

export interface ImagesSpec {
  dir: string;
  height: number;
  width: number;
  channels: 1 | 3;
}

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

/** Decoded picture as float channels in [0, 1], row-major [height, width, channels]. */
export interface Picture {
  width: number;
  height: number;
  channels: number;
  data: Float32Array;
}

/** Decode a PNG or JPEG (told apart by content, not name) into `channels` channels; alpha is dropped. */
export function decodeImage(bytes: Uint8Array, channels: 1 | 3, file: string): Picture {
  let rgba: Uint8Array;
  let width: number;
  let height: number;
  const isPng = bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  const isJpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
  try {
    if (isPng) {
      // Sized from the header before decoding; errors already name the file.
      const png = readPng(bytes, file);
      ({ width, height } = png);
      rgba = png.data;
    } else if (isJpeg) {
      const decoded = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: true,
        maxMemoryUsageInMB: 1024,
        maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6,
      });
      ({ width, height } = decoded);
      rgba = decoded.data;
    } else {
      throw new Error('not a PNG or JPEG file (unknown signature)');
    }
  } catch (error) {
    if (error instanceof DataError) throw error;
    throw new DataError(`cannot decode image: ${(error as Error).message}`, { path: file, cause: error });
  }
  if (width <= 0 || height <= 0 || rgba.length < width * height * 4) {
    throw new DataError(`cannot decode image: got ${width}x${height} with ${rgba.length} bytes of pixels`, {
      path: file,
    });
  }
  const data = new Float32Array(width * height * channels);
  for (let p = 0; p < width * height; p++) {
    const r = rgba[4 * p] / 255;
    const g = rgba[4 * p + 1] / 255;
    const b = rgba[4 * p + 2] / 255;
    if (channels === 1) {
      // ITU-R BT.601 luma, as PIL's convert('L') and most MNIST-style tooling use.
      data[p] = 0.299 * r + 0.587 * g + 0.114 * b;
    } else {
      data[3 * p] = r;
      data[3 * p + 1] = g;
      data[3 * p + 2] = b;
    }
  }
  return { width, height, channels, data };
}

/**
 * Weights of a triangle (bilinear) filter along one axis, as PIL computes them: when shrinking, the filter
 * widens with the scale so every source pixel contributes (no aliasing); when enlarging, it is plain bilinear.
 */
function axisWeights(inSize: number, outSize: number): Array<{ start: number; weights: Float64Array }> {
  const scale = inSize / outSize;
  const support = Math.max(scale, 1);
  const result: Array<{ start: number; weights: Float64Array }> = [];
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const start = Math.max(0, Math.floor(center - support));
    const end = Math.min(inSize, Math.ceil(center + support));
    const weights = new Float64Array(end - start);
    let total = 0;
    for (let i = start; i < end; i++) {
      const w = Math.max(0, 1 - Math.abs(i + 0.5 - center) / support);
      weights[i - start] = w;
      total += w;
    }
    if (total > 0) for (let i = 0; i < weights.length; i++) weights[i] /= total;
    else weights[Math.min(weights.length - 1, Math.max(0, Math.floor(center) - start))] = 1;
    result.push({ start, weights });
  }
  return result;
}

/** Bilinear resize of [h, w, c] float pixels, separable: rows first, then columns. */
export function resizeBilinear(picture: Picture, height: number, width: number): Float32Array {
  const { width: w0, height: h0, channels: c, data } = picture;
  if (w0 === width && h0 === height) return data;
  const across = axisWeights(w0, width);
  const wide = new Float32Array(h0 * width * c);
  for (let y = 0; y < h0; y++) {
    for (let x = 0; x < width; x++) {
      const { start, weights } = across[x];
      for (let ch = 0; ch < c; ch++) {
        let sum = 0;
        for (let k = 0; k < weights.length; k++) sum += weights[k] * data[(y * w0 + start + k) * c + ch];
        wide[(y * width + x) * c + ch] = sum;
      }
    }
  }
  const down = axisWeights(h0, height);
  const out = new Float32Array(height * width * c);
  for (let y = 0; y < height; y++) {
    const { start, weights } = down[y];
    for (let x = 0; x < width; x++) {
      for (let ch = 0; ch < c; ch++) {
        let sum = 0;
        for (let k = 0; k < weights.length; k++) sum += weights[k] * wide[((start + k) * width + x) * c + ch];
        out[(y * width + x) * c + ch] = Math.min(1, Math.max(0, sum));
      }
    }
  }
  return out;
}

const isImageFile = (entry: Dirent) =>
  entry.isFile() && !entry.name.startsWith('.') && IMAGE_EXTENSIONS.has(extname(entry.name).toLowerCase());

// Code-unit order, not locale order, so the class numbering does not depend on the machine's locale.
const byName = (a: Dirent, b: Dirent) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

async function listDir(dir: string): Promise<Dirent[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).sort(byName);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const what =
      code === 'ENOENT' ? 'directory not found' : code === 'ENOTDIR' ? 'not a directory' : 'cannot read';
    throw new DataError(`${what}: expected a folder of PNG/JPEG images or of class subfolders`, {
      path: dir,
      cause: error,
    });
  }
}

/** The image files of a folder, sorted, and their classes when the folder has one subfolder per class. */
export async function listImageFiles(
  dir: string,
): Promise<{ files: string[]; labels?: Int32Array; classNames?: string[] }> {
  const entries = await listDir(dir);
  const topFiles = entries.filter(isImageFile).map((e) => join(dir, e.name));
  const classes: Array<{ name: string; files: string[] }> = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const files = (await listDir(join(dir, entry.name)))
      .filter(isImageFile)
      .map((e) => join(dir, entry.name, e.name));
    if (files.length > 0) classes.push({ name: entry.name, files });
  }
  if (topFiles.length > 0 && classes.length > 0) {
    throw new DataError(
      `expected either images directly in the folder (unlabelled) or only in class subfolders, got both: ` +
        `${topFiles.length} at the top (e.g. ${basename(topFiles[0])}) and subfolders ${classes.map((c) => c.name).join(', ')}`,
      { path: dir },
    );
  }
  const labelled = classes.length > 0;
  const files = labelled ? classes.flatMap((c) => c.files) : topFiles;
  if (files.length === 0) {
    throw new DataError('no images: expected .png, .jpg or .jpeg files here or in class subfolders', {
      path: dir,
    });
  }
  if (!labelled) return { files };
  return {
    files,
    labels: Int32Array.from(classes.flatMap((c, k) => c.files.map(() => k))),
    classNames: classes.map((c) => c.name),
  };
}

/** One image file decoded and resized to the spec's size, as `height * width * channels` values in [0, 1]. */
export async function readImageFile(file: string, spec: ImagesSpec): Promise<Float32Array> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new DataError(`cannot read image: ${(error as Error).message}`, { path: file, cause: error });
  }
  return resizeBilinear(decodeImage(bytes, spec.channels, file), spec.height, spec.width);
}

/** File names inside the folder (class/name.png), so scores join back to the files. */
export const imageIds = (dir: string, files: readonly string[]): string[] =>
  files.map((file) => relative(dir, file).split(sep).join('/'));

export async function loadImages(spec: ImagesSpec): Promise<RawData> {
  const { dir, height, width, channels } = spec;
  const { files, labels, classNames } = await listImageFiles(dir);
  const per = height * width * channels;
  const x = new Float32Array(files.length * per);
  for (let i = 0; i < files.length; i++) x.set(await readImageFile(files[i], spec), i * per);
  return {
    name: basename(dir),
    sampleShape: [height, width, channels],
    classNames,
    train: { x, labels, ids: imageIds(dir, files) },
  };
}
