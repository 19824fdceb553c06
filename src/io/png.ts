// PNG pictures: image grids (reconstructions, samples) written with pngjs.
import { PNG } from 'pngjs';
import type { Tensor } from '../engine/tf.js';
import { writeFileAtomic } from './atomic.js';

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
  return PNG.sync.write(png);
}

/** Write a [n, h, w, c] tensor as a grid PNG (atomically). */
export async function writeImageGrid(path: string, images: Tensor, options: GridOptions): Promise<void> {
  const data = (await images.data()) as Float32Array;
  await writeFileAtomic(path, encodeImageGrid(data, images.shape.slice(1), options));
}

export function decodePng(bytes: Buffer): { width: number; height: number; rgba: Uint8Array } {
  const png = PNG.sync.read(bytes);
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
