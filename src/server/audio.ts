// Sound in and out of the /v1 operations for runs whose manifest holds audio features: WAV files (one audio/wav
// body, multipart files, or base64 in JSON) read with the model's features (resampled, cut or padded), and outputs
// answered as WAV (spectrograms resynthesised by Griffin-Lim) beside their spectrogram as a PNG.
import type { Readable } from 'node:stream';
import { setImmediate } from 'node:timers/promises';
import type { z } from 'zod';
import {
  type AudioFeatures,
  clipFeatures,
  clipFromFeatures,
  describeFeatures,
} from '../data/audio/features.js';
import { clipFromWav } from '../data/audio/sources.js';
import { encodeWav, looksLikeWav } from '../data/audio/wav.js';
import { type Dataset, makeDataset } from '../data/dataset.js';
import { rowsOf, spectrogramGrid, spectrogramOf, spectrogramPng } from '../io/audio-files.js';
import { HttpError } from './errors.js';
import type { CachedModel } from './model-cache.js';
import type { ClipRead } from './schemas.js';

/** Content types taken as one WAV body. */
export const WAV_TYPES = ['audio/wav', 'audio/x-wav', 'audio/wave', 'audio/vnd.wave'];

/** Griffin-Lim iterations of one request (clips × iterations): about 2.5 ms each for a 1 s clip at 8 kHz. */
export const RESYNTHESIS_BUDGET = 8192;

export interface AudioLimits {
  /** Longest recording, seconds, as its header declares it: checked before the rest is read. */
  maxAudioSeconds: number;
  /** Largest uploaded file, bytes. */
  imageBytes: number;
  /** Largest request body, bytes. */
  bodyBytes: number;
}

/** One WAV file: a raw audio/wav body as the content-type parser hands it on (a PNG body stays a Buffer), or an answer. */
export class WavBytes {
  constructor(readonly bytes: Buffer) {}
}

const tag = (b: Uint8Array, at: number) => String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);

export interface WavHeader {
  sampleRate: number;
  /** Sample frames the data chunk declares (all channels of one instant count once). */
  frames: number;
}

/**
 * What the header of a WAV file declares, from its first bytes: 'more' while the fmt and data chunk headers
 * have not both arrived, undefined when the bytes are no WAV header (readWav names the problem later).
 */
export function wavHeader(b: Uint8Array): WavHeader | 'more' | undefined {
  if (b.length < 12) return 'more';
  if (!looksLikeWav(b)) return undefined;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const little = tag(b, 0) !== 'RIFX';
  let sampleRate: number | undefined;
  let blockAlign: number | undefined;
  let rf64Data: number | undefined;
  for (let at = 12; ; ) {
    if (at + 8 > b.length) return 'more';
    const id = tag(b, at);
    const size = view.getUint32(at + 4, little);
    const body = at + 8;
    if (id === 'data') {
      if (sampleRate === undefined || !blockAlign) return undefined;
      // RF64 keeps the real size in its ds64 chunk (the data chunk says 0xFFFFFFFF).
      const bytes = size === 0xffffffff && rf64Data !== undefined ? rf64Data : size;
      return { sampleRate, frames: Math.floor(bytes / blockAlign) };
    }
    if (id === 'fmt ' || id === 'ds64') {
      if (body + Math.min(size, 24) > b.length) return 'more';
      if (id === 'fmt ' && size >= 14) {
        sampleRate = view.getUint32(body + 4, little);
        blockAlign = view.getUint16(body + 12, little);
      }
      if (id === 'ds64' && size >= 16)
        rf64Data = view.getUint32(body + 8, true) + view.getUint32(body + 12, true) * 2 ** 32;
    }
    // Chunks are padded to an even size.
    at = body + size + (size % 2);
  }
}

/** A 413 when the header declares more than `maxAudioSeconds` of sound; true once the header has been read. */
export function checkWavLength(
  prefix: Uint8Array,
  limits: Pick<AudioLimits, 'maxAudioSeconds'>,
  field: string,
) {
  const header = wavHeader(prefix);
  if (header === 'more') return false;
  if (header && header.sampleRate > 0 && header.frames > limits.maxAudioSeconds * header.sampleRate)
    throw new HttpError(
      413,
      `the WAV file declares ${(header.frames / header.sampleRate).toFixed(1)} s of audio; the limit is ${limits.maxAudioSeconds} s (--max-audio-seconds)`,
      field,
    );
  return true;
}

/**
 * A WAV file's bytes from a stream, refused (413) as soon as it passes the file or body limit or its header
 * declares a recording longer than the limit: a long recording is never buffered whole.
 */
export async function readWavStream(
  stream: Readable & { truncated?: boolean },
  limits: AudioLimits,
  field: string,
  received: { bytes: number } = { bytes: 0 },
  fileBytes = limits.imageBytes,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  let headerChecked = false;
  const fileTooLarge = () =>
    new HttpError(413, `audio file larger than the limit of ${fileBytes} bytes`, field);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    received.bytes += chunk.length;
    length += chunk.length;
    if (received.bytes > limits.bodyBytes)
      throw new HttpError(
        413,
        `the upload is larger than the body limit of ${limits.bodyBytes} bytes (--body-limit)`,
        field,
      );
    if (stream.truncated || length > fileBytes) throw fileTooLarge();
    chunks.push(chunk);
    // The chunk headers come first: once they are here, the length is known.
    if (!headerChecked && length <= 65_536)
      headerChecked = checkWavLength(Buffer.concat(chunks), limits, field);
  }
  if (stream.truncated) throw fileTooLarge();
  const bytes = Buffer.concat(chunks);
  if (!headerChecked) checkWavLength(bytes, limits, field);
  return bytes;
}

/** The run's audio features, or a 400 on `field`: the model was not trained on audio. */
export function audioOf(cached: CachedModel, field: string): AudioFeatures {
  const audio = cached.manifest.audio;
  if (!audio)
    throw new HttpError(
      400,
      `"${cached.model.kind}" was not trained on audio: it takes samples of shape [${cached.manifest.context.sampleShape}] (arrays${cached.manifest.context.sampleShape.length === 3 ? ' or PNG images' : ''}), not WAV`,
      field,
    );
  return audio;
}

/** The refusal of an image sent to an audio run. */
export function imageForAudio(audio: AudioFeatures, kind: string, field: string): HttpError {
  return new HttpError(
    400,
    `"${kind}" was trained on audio (${describeFeatures(audio)}): send WAV files (audio/wav, multipart, or base64 in "audio"), not images`,
    field,
  );
}

/** The refusal of a WAV sent to a run of images or values. */
export function audioForImages(sampleShape: readonly number[], kind: string, field: string): HttpError {
  return new HttpError(
    400,
    `"${kind}" was not trained on audio: it takes samples of shape [${sampleShape}]${sampleShape.length === 3 ? ' (PNG images or arrays)' : ' (arrays)'}, not WAV`,
    field,
  );
}

/**
 * The WAV headers of a JSON body's base64 files (`audio`, interpolation ends) checked against the length limit
 * before any of them is read as audio (the body itself is bounded by the body limit).
 */
export function checkJsonAudio(body: unknown, limits: Pick<AudioLimits, 'maxAudioSeconds'>): void {
  if (typeof body !== 'object' || body === null) return;
  const peek = (text: unknown, field: string) => {
    if (typeof text === 'string') checkWavLength(Buffer.from(text, 'base64'), limits, field);
  };
  const { audio, from, to } = body as {
    audio?: unknown;
    from?: { audio?: unknown };
    to?: { audio?: unknown };
  };
  if (Array.isArray(audio)) for (const [i, text] of audio.entries()) peek(text, `audio[${i}]`);
  peek(from?.audio, 'from.audio');
  peek(to?.audio, 'to.audio');
}

/**
 * WAV files (base64) as a request dataset of the model's features, with what reading did to each: resampled to
 * the model's rate, cut or padded to its clip. A bad file is a 400 naming its field with readWav's reason.
 */
export async function audioDataset(
  cached: CachedModel,
  wavs: readonly string[],
  labels: Int32Array | undefined,
  field = 'audio',
  single = false,
): Promise<{ dataset: Dataset; clips: z.output<typeof ClipRead>[] }> {
  const features = audioOf(cached, field);
  const shape = cached.manifest.context.sampleShape;
  const width = shape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(wavs.length * width);
  const clips: z.output<typeof ClipRead>[] = [];
  for (const [i, text] of wavs.entries()) {
    const name = single ? field : `${field}[${i}]`;
    const bytes = Buffer.from(text, 'base64');
    // readWav's DataErrors name the field (their path) and the problem, never the file's contents.
    const clip = await clipFromWav(bytes, features, name);
    x.set(clipFeatures(clip.wave, features), i * width);
    const { cut, padded, clipped, resampled, silent } = clip;
    clips.push({ cut, padded, clipped, resampled, silent });
  }
  return { dataset: makeDataset('request', shape, x, labels), clips };
}

export interface Sounds {
  /** One WAV file per output, base64. */
  wavs: string[];
  /** The spectrogram of each output as a PNG data URL. */
  spectrograms: string[];
}

const dataUrl = (png: Buffer) => `data:image/png;base64,${png.toString('base64')}`;

/**
 * Griffin-Lim iterations for `count` clips, checked against the request's budget: a 400 on runs not trained on
 * audio; waveform runs take none (their outputs are the sound).
 */
export function checkIterations(cached: CachedModel, count: number, iterations: number | undefined): number {
  if (iterations === undefined) return cached.manifest.audio?.representation === 'mel' ? 32 : 0;
  const audio = audioOf(cached, 'iterations');
  if (audio.representation !== 'mel') return 0;
  if (count * iterations > RESYNTHESIS_BUDGET)
    throw new HttpError(
      400,
      `${count} clips × ${iterations} Griffin-Lim iterations is more than the ${RESYNTHESIS_BUDGET} a request may take: ask for fewer of either`,
      'iterations',
    );
  return iterations;
}

/**
 * Outputs as WAV files and spectrogram PNGs: spectrograms resynthesised by Griffin-Lim (seeded, so an answer is
 * reproducible), waveforms clamped to [-1, 1]. Between clips the event loop gets a turn, so other requests are
 * answered while a batch is resynthesised.
 */
export async function soundsOf(
  cached: CachedModel,
  values: Float32Array,
  count: number,
  iterations: number,
  seed = 0,
): Promise<Sounds & { waves: Float32Array[] }> {
  const features = audioOf(cached, 'format');
  const out: Sounds & { waves: Float32Array[] } = { wavs: [], spectrograms: [], waves: [] };
  for (const [i, sample] of rowsOf(values, count).entries()) {
    const wave = clipFromFeatures(sample, features, { iterations, seed: seed + i });
    out.waves.push(wave);
    out.wavs.push(Buffer.from(encodeWav(wave, features.sampleRate)).toString('base64'));
    out.spectrograms.push(dataUrl(spectrogramPng(spectrogramOf(sample, features, wave), features, 2)));
    await setImmediate();
  }
  return out;
}

/** Spectrograms of samples (the model's features) as PNG data URLs, without resynthesis. */
export function spectrogramsOf(cached: CachedModel, values: Float32Array, count: number): string[] {
  const features = audioOf(cached, 'format');
  return rowsOf(values, count).map((sample) =>
    dataUrl(spectrogramPng(spectrogramOf(sample, features), features, 2)),
  );
}

/** A grid of the spectrograms of samples, for `format=png` on audio runs. */
export function spectrogramGridPng(
  cached: CachedModel,
  values: Float32Array,
  count: number,
  cols: number,
): Buffer {
  const features = audioOf(cached, 'format');
  const spectrograms = rowsOf(values, count).map((sample) => spectrogramOf(sample, features));
  return spectrogramGrid(spectrograms, features, { cols, scale: 2 });
}

/** One clip as a WAV body: `format=wav` answers a single clip, the rest is JSON's job. */
export async function wavBody(
  cached: CachedModel,
  values: Float32Array,
  count: number,
  iterations: number,
  seed = 0,
): Promise<Buffer> {
  const features = audioOf(cached, 'format');
  if (count !== 1)
    throw new HttpError(
      406,
      `a WAV answer holds one clip and this one has ${count}: ask for one (n=1, one input, one code) or for JSON (base64 WAVs)`,
      'format',
    );
  const wave = clipFromFeatures(values, features, { iterations, seed });
  return Buffer.from(encodeWav(wave, features.sampleRate));
}
