// PNG pictures: image grids (reconstructions, samples) written with pngjs, and PNGs read with their size checked
// before any pixel is decoded.
import { PNG } from 'pngjs';
import type { Tensor } from '../engine/tf.js';
import { DataError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';

/**
 * Largest image a command decodes: 40 megapixels (7,300 x 5,500, above most cameras). pngjs holds 4 bytes a
 * pixel and the loaders 4 more per channel, so this bounds one decode near 800 MB; the server's upload limit
 * (maxImageSide in src/server/context.ts) is far lower.
 */
export const MAX_IMAGE_PIXELS = 40_000_000;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

/** Width and height from a PNG's IHDR chunk (no decoding); undefined when the bytes are not a PNG. */
export function pngSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  if (bytes.length < 24 || !isPng(bytes)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/**
 * Decode a PNG read from `file`: its header size is checked against `maxPixels` first, and pngjs's errors come
 * back as DataErrors naming the file ("not a complete PNG" for a truncated one, not pngjs's internal message).
 */
export function readPng(
  bytes: Uint8Array,
  file: string,
  maxPixels = MAX_IMAGE_PIXELS,
): { width: number; height: number; data: Buffer } {
  const size = pngSize(bytes);
  if (!size) throw new DataError('not a PNG file (bad signature)', { path: file });
  const pixels = size.width * size.height;
  if (pixels > maxPixels)
    throw new DataError(
      `image is ${size.width}x${size.height} (${pixels.toLocaleString('en')} pixels); the limit is ${maxPixels.toLocaleString('en')} pixels`,
      { path: file },
    );
  try {
    return PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    const message = (error as Error).message;
    // pngjs says "There are some read requests waitng on finished stream" when the data runs out.
    if (/waiting|waitng|finished stream|unexpected end/i.test(message))
      throw new DataError(`not a complete PNG (the file ends early, after ${bytes.length} bytes)`, {
        path: file,
        cause: error,
      });
    throw new DataError(`not a valid PNG (${message})`, { path: file, cause: error });
  }
}

export interface GridOptions {
  rows: number;
  cols: number;
  /** Pixels of background between tiles. */
  padding?: number;
  /** Integer upscaling of each pixel, so small images stay readable. */
  scale?: number;
}

/**
 * Tile `count` images of shape [h, w, c] (values in [0, 1], c = 1 or 3) into one RGBA PNG, row by row.
 * Values outside [0, 1] are clipped.
 */
export function encodeImageGrid(
  pixels: Float32Array,
  imageShape: readonly number[],
  { rows, cols, padding = 2, scale = 1 }: GridOptions,
): Buffer {
  const [h, w, c] = imageShape.length === 3 ? imageShape : [imageShape[0], imageShape[1], 1];
  const tileH = h * scale;
  const tileW = w * scale;
  const width = cols * tileW + (cols + 1) * padding;
  const height = rows * tileH + (rows + 1) * padding;
  const png = new PNG({ width, height });
  png.data.fill(0);
  for (let i = 3; i < png.data.length; i += 4) {
    // Mid grey background separates tiles from black image borders.
    png.data[i - 3] = 96;
    png.data[i - 2] = 96;
    png.data[i - 1] = 96;
    png.data[i] = 255;
  }
  const per = h * w * c;
  const count = Math.min(rows * cols, Math.floor(pixels.length / per));
  const to8 = (v: number) => Math.round(Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)) * 255);
  for (let n = 0; n < count; n++) {
    const top = padding + Math.floor(n / cols) * (tileH + padding);
    const left = padding + (n % cols) * (tileW + padding);
    for (let y = 0; y < tileH; y++) {
      for (let x = 0; x < tileW; x++) {
        const src = n * per + (Math.floor(y / scale) * w + Math.floor(x / scale)) * c;
        const dst = ((top + y) * width + left + x) * 4;
        const r = to8(pixels[src]);
        png.data[dst] = r;
        png.data[dst + 1] = c === 3 ? to8(pixels[src + 1]) : r;
        png.data[dst + 2] = c === 3 ? to8(pixels[src + 2]) : r;
        png.data[dst + 3] = 255;
      }
    }
  }
  // Opaque pixels, grey where the images are: written as grey or RGB (a quarter or three quarters of RGBA's
  // bytes to filter and deflate), with the Paeth filter rather than pngjs trying all five on every line.
  return PNG.sync.write(png, { colorType: c === 3 ? 2 : 0, inputColorType: 6, filterType: 4 });
}

/** Write a [n, h, w, c] tensor as a grid PNG (atomically). */
export async function writeImageGrid(path: string, images: Tensor, options: GridOptions): Promise<void> {
  const data = (await images.data()) as Float32Array;
  await writeFileAtomic(path, encodeImageGrid(data, images.shape.slice(1), options));
}

export function decodePng(bytes: Buffer, file = 'PNG'): { width: number; height: number; rgba: Uint8Array } {
  const png = readPng(bytes, file);
  return { width: png.width, height: png.height, rgba: png.data };
}

/** Values in [0, 1] as 8-bit levels (clipped, rounded; non-finite values become 0). */
export function toBytes(pixels: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i];
    out[i] = Math.round(Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)) * 255);
  }
  return out;
}

/** One image [h, w, c] (values in [0, 1], c = 1 or 3) as an 8-bit greyscale or RGB PNG, no alpha. */
export function encodeImage(pixels: ArrayLike<number>, imageShape: readonly number[]): Buffer {
  const [h, w, c] = imageShape.length === 3 ? imageShape : [imageShape[0], imageShape[1], 1];
  if ((c !== 1 && c !== 3) || pixels.length !== h * w * c) {
    throw new RangeError(
      `expected an image of ${h}x${w} with 1 or 3 channels, got ${pixels.length} values and ${c} channels`,
    );
  }
  const png = new PNG({
    width: w,
    height: h,
    colorType: c === 1 ? 0 : 2,
    inputColorType: c === 1 ? 0 : 2,
    inputHasAlpha: false,
  });
  png.data = Buffer.from(toBytes(pixels));
  return PNG.sync.write(png, {
    colorType: c === 1 ? 0 : 2,
    inputColorType: c === 1 ? 0 : 2,
    inputHasAlpha: false,
  });
}
