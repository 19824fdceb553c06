// Arrays in and out of the array API: rows (number[][]), flat Float32Arrays, tensors and decoded images, each
// checked against the shape expected, with errors naming the argument. Outputs take the form of the input.
import { sampleSize } from '../data/dataset.js';
import { type Tensor, tf } from '../engine/tf.js';
import { DataError } from '../errors.js';

/** A decoded image as ImageData, pngjs and jpeg-js give it: RGBA bytes, row by row. */
export interface DecodedImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array | Uint8ClampedArray;
}

/** Samples: rows of numbers, a flat Float32Array, a tensor [n, ...sampleShape], or decoded images. */
export type ArrayInput = readonly (readonly number[])[] | Float32Array | Tensor | readonly DecodedImage[];

/** How results come back: rows (number[][]), one flat Float32Array, or a tensor the caller disposes. */
export type ArrayFormat = 'rows' | 'flat' | 'tensor';

export interface Samples {
  readonly x: Float32Array;
  readonly count: number;
  readonly sampleShape: readonly number[];
  /** The form the samples came in, which results take. */
  readonly format: ArrayFormat;
}

const product = (shape: readonly number[]) => sampleSize({ sampleShape: shape });
const shapeText = (shape: readonly number[]) => `[n, ${shape.join(', ')}]`;

function isDecodedImage(value: unknown): value is DecodedImage {
  const image = value as Partial<DecodedImage> | null;
  return (
    typeof image === 'object' &&
    image !== null &&
    typeof image.width === 'number' &&
    typeof image.height === 'number' &&
    (image.data instanceof Uint8Array || image.data instanceof Uint8ClampedArray)
  );
}

/** RGBA bytes to [0, 1] values: grey by ITU-R BT.601 luma (as `images:DIR` reads files), or RGB. */
function imagePixels(images: readonly DecodedImage[], channels: number, name: string): Float32Array {
  const { width, height } = images[0];
  const per = width * height * channels;
  const out = new Float32Array(images.length * per);
  images.forEach((image, i) => {
    if (image.width !== width || image.height !== height) {
      throw new DataError(
        `image ${i} is ${image.width}x${image.height}, image 0 is ${width}x${height}: all images need one size`,
        { path: `${name}[${i}]` },
      );
    }
    if (image.data.length !== width * height * 4) {
      throw new DataError(
        `expected ${width * height * 4} bytes (RGBA, ${width}x${height}), got ${image.data.length}`,
        { path: `${name}[${i}].data` },
      );
    }
    for (let p = 0; p < width * height; p++) {
      const r = image.data[4 * p] / 255;
      const g = image.data[4 * p + 1] / 255;
      const b = image.data[4 * p + 2] / 255;
      const at = i * per + p * channels;
      if (channels === 1) out[at] = 0.299 * r + 0.587 * g + 0.114 * b;
      else out.set([r, g, b], at);
    }
  });
  return out;
}

/**
 * Samples of `input`, checked against `sampleShape` (the model's), or with no shape yet (fitting) taking it from
 * the input: rows give [features], a tensor its shape after the first axis, images [height, width, channels];
 * a flat Float32Array needs `sampleShape`.
 */
export function readSamples(
  input: ArrayInput,
  name: string,
  sampleShape?: readonly number[],
  channels: 1 | 3 = 1,
): Samples {
  if (input instanceof tf.Tensor) {
    const shape = input.shape.slice(1);
    if (input.rank < 2 || (sampleShape && shape.join('x') !== sampleShape.join('x'))) {
      throw new DataError(
        `expected a tensor of shape ${sampleShape ? shapeText(sampleShape) : '[n, ...sampleShape]'}, got [${input.shape}]`,
        { path: name },
      );
    }
    return {
      x: Float32Array.from(input.dataSync()),
      count: input.shape[0],
      sampleShape: shape,
      format: 'tensor',
    };
  }
  if (input instanceof Float32Array) {
    if (!sampleShape) {
      throw new DataError('a flat Float32Array needs the shape of one sample: give options.sampleShape', {
        path: name,
      });
    }
    const per = product(sampleShape);
    if (input.length === 0 || input.length % per !== 0) {
      throw new DataError(
        `expected a Float32Array of n × ${per} values (samples of shape [${sampleShape}]), got ${input.length}`,
        { path: name },
      );
    }
    return { x: input, count: input.length / per, sampleShape, format: 'flat' };
  }
  if (!Array.isArray(input) || input.length === 0) {
    throw new DataError(
      `expected rows (number[][]), a Float32Array, a tensor or decoded images, with at least one sample${
        sampleShape ? ` of shape [${sampleShape}]` : ''
      }`,
      { path: name },
    );
  }
  if (isDecodedImage(input[0])) {
    const images = input as readonly DecodedImage[];
    if (images.some((image) => !isDecodedImage(image))) {
      const i = images.findIndex((image) => !isDecodedImage(image));
      throw new DataError('expected a decoded image { width, height, data: RGBA bytes }', {
        path: `${name}[${i}]`,
      });
    }
    const [height, width, imageChannels] = sampleShape ?? [images[0].height, images[0].width, channels];
    const shape = [images[0].height, images[0].width, imageChannels];
    if (sampleShape && (shape.join('x') !== sampleShape.join('x') || sampleShape.length !== 3)) {
      throw new DataError(
        `expected images of ${width}x${height} (samples of shape [${sampleShape}]), got ${images[0].width}x${images[0].height}`,
        { path: name },
      );
    }
    return {
      x: imagePixels(images, imageChannels, name),
      count: images.length,
      sampleShape: shape,
      format: 'flat',
    };
  }
  const rows = input as readonly (readonly number[])[];
  const width = sampleShape ? product(sampleShape) : Array.isArray(rows[0]) ? rows[0].length : 0;
  const expected =
    sampleShape && sampleShape.length > 1
      ? `${width} values (flattened [${sampleShape}])`
      : `${width} values`;
  const x = new Float32Array(rows.length * width);
  rows.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== width || width === 0) {
      throw new DataError(
        `expected rows (number[][]) of ${expected}, got ${Array.isArray(row) ? `${row.length} values` : typeof row}`,
        { path: `${name}[${i}]` },
      );
    }
    for (let j = 0; j < width; j++) {
      const value = row[j];
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new DataError(`expected a finite number, got ${String(value)}`, {
          path: `${name}[${i}][${j}]`,
        });
      }
      x[i * width + j] = value;
    }
  });
  return { x, count: rows.length, sampleShape: sampleShape ?? [width], format: 'rows' };
}

/** Flat values [count, ...shape] in `format`. */
export function toFormat(
  values: Float32Array,
  count: number,
  shape: readonly number[],
  format: ArrayFormat,
): number[][] | Float32Array | Tensor {
  if (format === 'flat') return values;
  if (format === 'tensor') return tf.tensor(values, [count, ...shape]);
  const per = product(shape);
  return Array.from({ length: count }, (_, i) => Array.from(values.subarray(i * per, (i + 1) * per)));
}
