// Uploads (multipart files, or one image/png or audio/wav body) turned into the JSON bodies the schemas validate:
// images decoded (on worker threads), converted to the model's channels and resized to its sample shape; WAV files
// of audio runs passed on as base64 `audio` (read with the model's features by the operation); form fields and
// query parameters read as JSON where they parse ("7" → 7, "[1,2]" → [1, 2]), as strings otherwise.
// A multipart body counts against the body limit as it arrives, all parts together.
import type { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import type { AudioFeatures } from '../data/audio/features.js';
import { looksLikeWav } from '../data/audio/wav.js';
import { pngSize } from '../io/png.js';
import {
  type AudioLimits,
  audioForImages,
  imageForAudio,
  readWavStream,
  WAV_TYPES,
  WavBytes,
} from './audio.js';
import { HttpError } from './errors.js';
import { DecodeError, ImageDecoder } from './image-decoder.js';

/** What an upload is read for: the run's model, its sample shape and, for audio runs, its features. */
export interface UploadTarget {
  kind: string;
  sampleShape: readonly number[];
  audio?: AudioFeatures;
}

const WAV_MIME = new Set(WAV_TYPES);
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
const looksLikePng = (bytes: Uint8Array) => Buffer.from(bytes.subarray(0, 4)).equals(PNG_SIGNATURE);

export interface ImageLimits {
  /** Largest width or height of an uploaded image, in pixels. */
  maxImageSide: number;
  /** Largest image file, bytes (multipart enforces it; named here in the error). */
  imageBytes: number;
  /** Largest request body, bytes: a multipart body's parts together. */
  bodyBytes: number;
}

/** Shared by every server in the process, as libuv's thread pool is. */
export const imageDecoder = new ImageDecoder();

/** The model's sample shape as an image's [h, w, 1 | 3], or a 400: a model of table rows takes no images. */
function imageShape(sampleShape: readonly number[], field: string): [number, number, 1 | 3] {
  const [height, width, channels] = sampleShape;
  if (sampleShape.length !== 3 || (channels !== 1 && channels !== 3))
    throw new HttpError(400, `this model takes samples of shape [${sampleShape}], not images`, field);
  return [height, width, channels];
}

/** One PNG as a flat sample of `sampleShape` [h, w, 1 | 3], values in [0, 1]; its size checked before decoding. */
export async function imageSample(
  bytes: Uint8Array,
  sampleShape: readonly number[],
  limits: Pick<ImageLimits, 'maxImageSide'>,
  field: string,
): Promise<number[]> {
  const shape = imageShape(sampleShape, field);
  const size = pngSize(bytes);
  if (!size) throw new HttpError(415, 'expected a PNG image (bad signature)', field);
  if (size.width > limits.maxImageSide || size.height > limits.maxImageSide)
    throw new HttpError(
      413,
      `image is ${size.width}x${size.height}; the limit is ${limits.maxImageSide} pixels a side`,
      field,
    );
  try {
    return Array.from(await imageDecoder.decode(bytes, shape, field));
  } catch (error) {
    if (error instanceof DecodeError) throw new HttpError(400, error.message, field);
    throw error;
  }
}

/** A multipart file's bytes, refused (413) as soon as it or the whole body passes its limit. */
async function readFile(
  file: Readable & { truncated?: boolean },
  received: { bytes: number },
  limits: ImageLimits,
  field: string,
): Promise<Buffer> {
  const fileTooLarge = () =>
    new HttpError(413, `image file larger than the limit of ${limits.imageBytes} bytes`, field);
  const chunks: Buffer[] = [];
  for await (const chunk of file as AsyncIterable<Buffer>) {
    received.bytes += chunk.length;
    if (received.bytes > limits.bodyBytes)
      throw new HttpError(
        413,
        `the upload is larger than the body limit of ${limits.bodyBytes} bytes (--body-limit)`,
        field,
      );
    if (file.truncated) throw fileTooLarge();
    chunks.push(chunk);
  }
  if (file.truncated) throw fileTooLarge();
  return Buffer.concat(chunks);
}

function fieldValue(name: string, text: string): unknown {
  let value: unknown = text;
  try {
    value = JSON.parse(text);
  } catch {
    // Not JSON: a plain string such as format=png.
  }
  if (name === 'labels') {
    if (typeof value === 'number') return [value];
    if (typeof value === 'string' && /^\d+(,\d+)*$/.test(value)) return value.split(',').map(Number);
  }
  return value;
}

/** Query parameters as body fields (for image/png bodies). */
export function queryFields(query: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries((query ?? {}) as Record<string, unknown>))
    if (typeof value === 'string') out[name] = fieldValue(name, value);
  return out;
}

/**
 * The JSON-shaped body of a multipart, image/png or audio/wav request, or undefined for a JSON request. Image
 * files go to `inputs` in order (WAV files of audio runs to `audio`), except files named `from` and `to`, which
 * become interpolation endpoints.
 */
export async function uploadedBody(
  request: FastifyRequest,
  target: () => Promise<UploadTarget>,
  limits: ImageLimits & AudioLimits,
): Promise<Record<string, unknown> | undefined> {
  if (request.isMultipart()) {
    const body: Record<string, unknown> = queryFields(request.query);
    const images: Buffer[] = [];
    const wavs: string[] = [];
    const ends: Record<string, Buffer> = {};
    const received = { bytes: 0 };
    let model: UploadTarget | undefined;
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        const end = part.fieldname === 'from' || part.fieldname === 'to' ? part.fieldname : undefined;
        // Whether the model takes images or audio at all, before reading any.
        model ??= await target();
        if (model.audio) {
          const field = end ? `${end}.audio` : `audio[${wavs.length}]`;
          if (part.mimetype === 'image/png') throw imageForAudio(model.audio, model.kind, field);
          const bytes = await readWavStream(part.file, limits, field, received);
          if (looksLikePng(bytes)) throw imageForAudio(model.audio, model.kind, field);
          if (end) body[end] = { audio: bytes.toString('base64') };
          else wavs.push(bytes.toString('base64'));
          continue;
        }
        const field = end ?? `inputs[${images.length}]`;
        if (WAV_MIME.has(part.mimetype)) throw audioForImages(model.sampleShape, model.kind, field);
        imageShape(model.sampleShape, field);
        const bytes = await readFile(part.file, received, limits, field);
        if (looksLikeWav(bytes)) throw audioForImages(model.sampleShape, model.kind, field);
        if (end) ends[end] = bytes;
        else images.push(bytes);
      } else if (typeof part.value === 'string') {
        received.bytes += part.fieldname.length + Buffer.byteLength(part.value);
        if (received.bytes > limits.bodyBytes)
          throw new HttpError(
            413,
            `the upload is larger than the body limit of ${limits.bodyBytes} bytes (--body-limit)`,
            part.fieldname,
          );
        body[part.fieldname] = fieldValue(part.fieldname, part.value);
      }
    }
    if (wavs.length > 0) body.audio = wavs;
    // One image at a time: a request's batch takes one decoding thread, leaving the others to other requests;
    // a client that went away takes the rest of its batch with it.
    const shape = model && !model.audio ? model.sampleShape : undefined;
    if (shape) {
      const inputs: number[][] = [];
      for (const [i, bytes] of images.entries()) {
        if (request.socket?.destroyed) throw new HttpError(400, 'the client closed the connection', 'inputs');
        inputs.push(await imageSample(bytes, shape, limits, `inputs[${i}]`));
      }
      if (images.length > 0) body.inputs = inputs;
      for (const [name, bytes] of Object.entries(ends))
        body[name] = { input: await imageSample(bytes, shape, limits, `${name}.input`) };
    }
    return body;
  }
  if (request.body instanceof WavBytes) {
    const model = await target();
    if (!model.audio) throw audioForImages(model.sampleShape, model.kind, 'audio[0]');
    return { ...queryFields(request.query), audio: [request.body.bytes.toString('base64')] };
  }
  if (Buffer.isBuffer(request.body)) {
    const model = await target();
    if (model.audio) throw imageForAudio(model.audio, model.kind, 'inputs[0]');
    return {
      ...queryFields(request.query),
      inputs: [await imageSample(request.body, model.sampleShape, limits, 'inputs[0]')],
    };
  }
  return undefined;
}
