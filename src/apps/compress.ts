// Compression with an autoencoder: images → codes quantised to `bits` per dimension in a `.llz` file, and back.
// The report compares the file with raw 8-bit pixels, with PNG, and with PCA at the same bytes per image. Audio
// runs: codes at a stated bitrate, resynthesised, scored by SNR and log-spectral distance beside Opus.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { type AudioFeatures, clipFromFeatures, clipSeconds } from '../data/audio/features.js';
import { encodeWav, readWav } from '../data/audio/wav.js';
import { type Dataset, head, sampleSize } from '../data/dataset.js';
import { tf } from '../engine/tf.js';
import { ConfigError, DataError, IoError, parseOrThrow, UsageError } from '../errors.js';
import { type AudioQuality, AudioQualityMeter } from '../eval/audio.js';
import { encodeDataset } from '../eval/codes.js';
import { type ImageQuality, QualityMeter } from '../eval/image-quality.js';
import { fitPca, pcaInverse, pcaTransform } from '../eval/pca.js';
import type { Matrix } from '../io/arrays.js';
import {
  type CodeFile,
  checkCodeFileFits,
  dequantiseCodes,
  encodeCodeFile,
  quantiseCodes,
} from '../io/code-file.js';
import { encodeImage } from '../io/png.js';
import type { Autoencoder } from '../models/family.js';
import { featuresFitModel, refuseText } from './model-data.js';

export const CompressOptions = z.object({
  bits: z.number().int().min(1).max(16).default(8),
  batchSize: z.number().int().positive().default(500),
  /** Training samples PCA is fitted on (the first n of the split given); 0 skips the PCA comparison. */
  pcaSamples: z.number().int().min(0).default(10_000),
  ssimWindow: z.union([z.literal(7), z.literal(11)]).default(11),
});
export type CompressOptions = z.output<typeof CompressOptions>;
export type CompressOptionsInput = z.input<typeof CompressOptions>;

export interface CompressReport {
  images: number;
  bits: number;
  latent: number;
  file: {
    bytes: number;
    /** Whole file (header included) over the number of images. */
    bytesPerImage: number;
    /** Packed codes (and labels) only: what each further image costs. */
    payloadBytesPerImage: number;
  };
  /** 8-bit pixels: one byte per value. */
  raw: { bytesPerImage: number; ratio: number };
  /** Each image as its own 8-bit PNG (greyscale or RGB). */
  png: { bytesPerImage: number; ratio: number };
  /** Decompressed images against the originals. */
  quality: ImageQuality;
  /** The model's reconstructions from unquantised codes: what quantisation costs. */
  unquantised: ImageQuality;
  /** PCA with as many components as fit in the same payload, coefficients quantised the same way. */
  pca?: { components: number; fittedOn: number; payloadBytesPerImage: number; quality: ImageQuality };
}

function parseOptions(input: CompressOptionsInput): CompressOptions {
  return parseOrThrow(CompressOptions, input);
}

/**
 * Decode codes [n, latent] into samples clipped to `range` ([0, 1] for images, [-1, 1] for waveforms), flat;
 * conditional models take the labels.
 */
export async function decodeToImages(
  model: Autoencoder,
  codes: Matrix,
  labels?: Int32Array,
  batchSize = 500,
  range: readonly [number, number] = [0, 1],
): Promise<Float32Array> {
  if (model.conditional && !labels) {
    throw new ConfigError(`"${model.kind}" is conditional: decoding needs a class label per code`);
  }
  const per = sampleSize(model.context);
  const out = new Float32Array(codes.rows * per);
  for (let start = 0; start < codes.rows; start += batchSize) {
    const count = Math.min(batchSize, codes.rows - start);
    const x = tf.tidy(() => {
      const z = tf.tensor2d(codes.data.subarray(start * codes.cols, (start + count) * codes.cols), [
        count,
        codes.cols,
      ]);
      const y = labels ? tf.tensor1d(labels.subarray(start, start + count), 'int32') : undefined;
      return tf.clipByValue(model.decode(z, y), range[0], range[1]);
    });
    out.set((await x.data()) as Float32Array, start * per);
    x.dispose();
  }
  return out;
}

function labelBits(file: CodeFile): number {
  return file.labels ? (file.labels.some((l) => l > 255) ? 16 : 8) : 0;
}

/**
 * Compress `dataset` with `model` (whose saved-model id is `modelId`): the code file and its bytes, and the
 * report. `pcaTrain` is the data PCA is fitted on for the comparison (the model's training split, say).
 */
export async function compressDataset(
  model: Autoencoder,
  modelId: string,
  dataset: Dataset,
  input: CompressOptionsInput,
  pcaTrain?: Dataset,
): Promise<{ file: CodeFile; bytes: Buffer; report: CompressReport }> {
  const options = parseOptions(input);
  refuseText(model, 'compress', TEXT_INSTEAD);
  const shape = model.context.sampleShape;
  if (dataset.sampleShape.join('x') !== shape.join('x')) {
    throw new ConfigError(
      `the model expects samples of shape [${shape}], the data has [${dataset.sampleShape}]`,
      {
        path: dataset.name,
      },
    );
  }
  if (dataset.size === 0) throw new ConfigError('no images to compress', { path: dataset.name });
  if (model.conditional && !dataset.labels) {
    throw new ConfigError(`"${model.kind}" is conditional: compressing needs labelled images`, {
      path: dataset.name,
    });
  }
  const codes = await encodeDataset(model, dataset, options.batchSize);
  const quantised = quantiseCodes(codes, options.bits);
  const file: CodeFile = {
    modelId,
    sampleShape: [...shape],
    latentSize: model.latentSize,
    bits: options.bits,
    count: dataset.size,
    ...quantised,
    labels: model.conditional ? dataset.labels : undefined,
  };
  const bytes = encodeCodeFile(file);
  const per = sampleSize(dataset);
  const ssim = { window: options.ssimWindow };
  const decoded = await decodeToImages(model, dequantiseCodes(file), file.labels, options.batchSize);
  const quality = new QualityMeter(shape, ssim).add(dataset.x, decoded).result();
  const exact = await decodeToImages(model, codes, file.labels, options.batchSize);
  const unquantised = new QualityMeter(shape, ssim).add(dataset.x, exact).result();

  let pngBytes = 0;
  for (let i = 0; i < dataset.size; i++)
    pngBytes += encodeImage(dataset.x.subarray(i * per, (i + 1) * per), shape).length;
  const bytesPerImage = bytes.length / dataset.size;
  const payloadBits = model.latentSize * options.bits + labelBits(file);
  const report: CompressReport = {
    images: dataset.size,
    bits: options.bits,
    latent: model.latentSize,
    file: { bytes: bytes.length, bytesPerImage, payloadBytesPerImage: payloadBits / 8 },
    raw: { bytesPerImage: per, ratio: per / bytesPerImage },
    png: { bytesPerImage: pngBytes / dataset.size, ratio: pngBytes / dataset.size / bytesPerImage },
    quality,
    unquantised,
  };
  if (pcaTrain && options.pcaSamples > 0) {
    const fit = head(pcaTrain, options.pcaSamples);
    const components = Math.min(Math.floor(payloadBits / options.bits), per, fit.size - 1);
    const pca = fitPca(fit, components);
    const q = quantiseCodes(pcaTransform(pca, dataset), options.bits);
    const back = pcaInverse(
      pca,
      dequantiseCodes({ ...q, bits: options.bits, count: dataset.size, latentSize: components }),
    );
    for (let i = 0; i < back.length; i++) back[i] = Math.min(1, Math.max(0, back[i]));
    report.pca = {
      components,
      fittedOn: fit.size,
      payloadBytesPerImage: (components * options.bits) / 8,
      quality: new QualityMeter(shape, ssim).add(dataset.x, back).result(),
    };
  }
  return { file, bytes, report };
}

/** What a text model is pointed to instead of compress and decompress. */
export const TEXT_INSTEAD =
  "quantised codes decoded back to pixels mean nothing for sentences (use latentlab encode for a text model's codes, latentlab reconstruct for its sentences)";

/** Images [count, ...sampleShape] from a code file, after checking it was made by this model. */
export async function decompressCodes(
  model: Autoencoder,
  modelId: string,
  file: CodeFile,
  path: string,
  audio?: AudioFeatures,
): Promise<Float32Array> {
  refuseText(model, 'decompress', TEXT_INSTEAD);
  checkCodeFileFits(
    file,
    { modelId, sampleShape: model.context.sampleShape, latentSize: model.latentSize },
    path,
  );
  // Waveforms live in [-1, 1]; images and spectrograms in [0, 1].
  const range: [number, number] = audio?.representation === 'waveform' ? [-1, 1] : [0, 1];
  return decodeToImages(model, dequantiseCodes(file), file.labels, 500, range);
}

export function formatCompressReport(report: CompressReport): string {
  const q = (x: ImageQuality) => `PSNR ${x.psnr.toFixed(2)} dB, SSIM ${x.ssim.toFixed(4)}`;
  const lines = [
    `${report.images} images, ${report.latent}-D codes at ${report.bits} bits: ${report.file.bytes} bytes, ` +
      `${report.file.bytesPerImage.toFixed(2)} bytes per image (${report.file.payloadBytesPerImage} without the header)`,
    `ratio to raw 8-bit pixels (${report.raw.bytesPerImage} bytes per image): ${report.raw.ratio.toFixed(1)}x; ` +
      `to PNG (${report.png.bytesPerImage.toFixed(1)} bytes per image): ${report.png.ratio.toFixed(1)}x`,
    `decompressed: ${q(report.quality)} (unquantised codes: ${q(report.unquantised)})`,
  ];
  if (report.pca) {
    lines.push(
      `PCA, ${report.pca.components} components at ${report.bits} bits (${report.pca.payloadBytesPerImage} bytes per image, ` +
        `fitted on ${report.pca.fittedOn} training images): ${q(report.pca.quality)}`,
    );
  }
  return lines.join('\n');
}

// ---- Audio: codes at a stated bitrate, resynthesised, beside Opus. ----

/** The bits per dimension and the bitrate they give: latent × bits per clip of `seconds`. */
export function bitsForBitrate(kbps: number, latent: number, seconds: number, flag = '--kbps'): number {
  const rate = (bits: number) => (latent * bits) / seconds / 1000;
  const bits = Math.floor((kbps * 1000 * seconds) / latent + 1e-9);
  if (bits < 1)
    throw new UsageError(
      `${kbps} kbps is below what ${latent}-D codes can carry: at 1 to 16 bits per dimension they take ` +
        `${rate(1).toFixed(3)} to ${rate(16).toFixed(3)} kbps for ${seconds} s clips`,
      { path: flag },
    );
  // Above the range: 16 bits meets the bitrate with room to spare.
  return Math.min(16, bits);
}

export const OPUS_MISSING = 'Opus: not installed (apt-get install opus-tools)';

export const AudioCompressOptions = z
  .strictObject({
    /** The bitrate to meet, kbps: the most bits per dimension whose codes take at most that. */
    kbps: z.number().positive().optional(),
    bits: z.number().int().min(1).max(16).optional(),
    batchSize: z.number().int().positive().default(64),
    /** Spectrogram models: Griffin-Lim iterations of the resynthesis (the same for every row). */
    iterations: z.number().int().min(0).max(1000).default(64),
    /** Opus bitrate, kbps (6 is its lowest); 0 leaves Opus out. */
    opusKbps: z.number().min(0).max(256).default(6),
    /** Clips kept for the examples. */
    preview: z.number().int().min(0).default(4),
    /** Floor of the log-spectral distance's power spectra, dB re full scale (default the features' minDb). */
    lsdFloorDb: z.number().max(0).optional(),
  })
  .refine((o) => o.kbps === undefined || o.bits === undefined, {
    message: 'give a bitrate or bits per dimension, not both',
    path: ['kbps'],
  })
  .refine((o) => o.opusKbps === 0 || o.opusKbps >= 6, {
    message: 'expected 0 (no Opus) or at least 6 kbps, the lowest Opus encodes',
    path: ['opusKbps'],
  });
export type AudioCompressOptions = z.output<typeof AudioCompressOptions>;
export type AudioCompressOptionsInput = z.input<typeof AudioCompressOptions>;

export interface OpusResult {
  /** The bitrate asked of opusenc (--hard-cbr), kbps. */
  kbps: number;
  /** The Ogg Opus file of all clips one after another, and the bitrate it works out at over their duration. */
  bytes: number;
  actualKbps: number;
  quality: AudioQuality;
}

export interface AudioCompressReport {
  clips: number;
  seconds: number;
  latent: number;
  bits: number;
  /** The bitrate asked for, when one was. */
  requestedKbps?: number;
  /** Codes only: latent × bits per clip, over the clip's duration. */
  kbps: number;
  /** The whole .llz file (header, per-dimension ranges, labels, checksum) over the clips' duration. */
  file: { bytes: number; kbps: number };
  representation: AudioFeatures['representation'];
  iterations?: number;
  /** The LSD's floor, dB re full scale. */
  lsdFloorDb: number;
  /** Mean over clips of SNR and LSD (dB) against the original clips. */
  quality: AudioQuality;
  /** From unquantised codes: what quantisation costs. */
  unquantised: AudioQuality;
  /** Spectrogram models: the clips' own spectrograms resynthesised the same way, what the features alone lose. */
  resynthesis?: AudioQuality;
  opus?: OpusResult | { missing: string };
}

export interface AudioCompressPreview {
  original: Float32Array[];
  decoded: Float32Array[];
  opus?: Float32Array[];
}

const execFileAsync = promisify(execFile);

/**
 * Clips one after another through `opusenc --bitrate K --hard-cbr` and `opusdec --rate SR` (Debian's opus-tools)
 * in a temporary folder, removed after: the file's size and the decoded clips; undefined when opusenc is missing.
 */
export async function opusRoundTrip(
  clips: readonly Float32Array[],
  sampleRate: number,
  kbps: number,
): Promise<{ bytes: number; decoded: Float32Array[] } | undefined> {
  const length = clips.reduce((n, c) => n + c.length, 0);
  const joined = new Float32Array(length);
  let at = 0;
  for (const c of clips) {
    joined.set(c, at);
    at += c.length;
  }
  const dir = await mkdtemp(join(tmpdir(), 'latentlab-opus-'));
  try {
    const [wav, opus, back] = ['clips.wav', 'clips.opus', 'decoded.wav'].map((n) => join(dir, n));
    await writeFile(wav, encodeWav(joined, sampleRate));
    try {
      await execFileAsync('opusenc', ['--quiet', '--bitrate', String(kbps), '--hard-cbr', wav, opus]);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new IoError(
        `opusenc failed: ${(error as { stderr?: string }).stderr || (error as Error).message}`,
        {
          path: 'opusenc',
          cause: error,
        },
      );
    }
    try {
      await execFileAsync('opusdec', ['--quiet', '--rate', String(sampleRate), opus, back]);
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      throw new IoError(
        missing
          ? `opusdec not found beside opusenc: ${OPUS_MISSING}`
          : `opusdec failed: ${(error as { stderr?: string }).stderr || (error as Error).message}`,
        { path: 'opusdec', cause: error },
      );
    }
    const bytes = (await readFile(opus)).length;
    const decoded = readWav(await readFile(back), back).samples;
    // opusdec trims the encoder's delay and padding: the decoded audio lines up with the input sample for sample.
    if (decoded.length < length)
      throw new IoError(`opusdec gave ${decoded.length} samples for ${length}`, { path: 'opusdec' });
    at = 0;
    return {
      bytes,
      decoded: clips.map((c) => {
        const part = decoded.slice(at, at + c.length);
        at += c.length;
        return part;
      }),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Compress the clips of an audio run: `dataset` holds the model's features of the clips, `waves` the same rows as
 * waveforms. Codes quantised to the bits that meet `kbps` (or `bits`), decoded, resynthesised and scored against
 * the waveforms by SNR and log-spectral distance, beside Opus on the same clips.
 */
export async function compressAudio(
  model: Autoencoder,
  modelId: string,
  dataset: Dataset,
  waves: Dataset,
  features: AudioFeatures,
  input: AudioCompressOptionsInput,
): Promise<{ file: CodeFile; bytes: Buffer; report: AudioCompressReport; preview: AudioCompressPreview }> {
  const options = parseOrThrow(AudioCompressOptions, input);
  const f = features;
  const shape = featuresFitModel(f, model);
  if (dataset.sampleShape.join('x') !== shape.join('x') || waves.sampleShape.join('x') !== `${f.samples}x1`)
    throw new ConfigError(
      `expected features [${shape}] and waveforms [${f.samples}, 1], got [${dataset.sampleShape}] and [${waves.sampleShape}]`,
      { path: dataset.name },
    );
  if (dataset.size !== waves.size)
    throw new ConfigError(
      `expected as many waveforms as feature rows, got ${waves.size} and ${dataset.size}`,
      {
        path: dataset.name,
      },
    );
  if (dataset.size === 0) throw new DataError('no clips to compress', { path: dataset.name });
  if (model.conditional && !dataset.labels)
    throw new ConfigError(`"${model.kind}" is conditional: compressing needs labelled clips`, {
      path: dataset.name,
    });
  const seconds = clipSeconds(f);
  const bits =
    options.kbps !== undefined
      ? bitsForBitrate(options.kbps, model.latentSize, seconds)
      : (options.bits ?? 8);
  const codes = await encodeDataset(model, dataset, options.batchSize);
  const file: CodeFile = {
    modelId,
    sampleShape: [...shape],
    latentSize: model.latentSize,
    bits,
    count: dataset.size,
    ...quantiseCodes(codes, bits),
    labels: model.conditional ? dataset.labels : undefined,
  };
  const bytes = encodeCodeFile(file);
  const range: [number, number] = f.representation === 'mel' ? [0, 1] : [-1, 1];
  const decoded = await decodeToImages(model, dequantiseCodes(file), file.labels, options.batchSize, range);
  const exact = await decodeToImages(model, codes, file.labels, options.batchSize, range);
  const per = shape.reduce((a, b) => a * b, 1);
  const clip = (i: number) => waves.x.subarray(i * f.samples, (i + 1) * f.samples);
  // The same seed per clip for every row, so rows differ by what went in, not by Griffin-Lim's start.
  const resynthesise = (sample: Float32Array, i: number) =>
    clipFromFeatures(sample, f, { iterations: options.iterations, seed: i });
  const lsdFloorDb = options.lsdFloorDb ?? f.minDb;
  const scoring = { ...f, minDb: lsdFloorDb };
  const meters = { quality: new AudioQualityMeter(scoring), unquantised: new AudioQualityMeter(scoring) };
  const resynthesis = f.representation === 'mel' ? new AudioQualityMeter(scoring) : undefined;
  const preview: AudioCompressPreview = { original: [], decoded: [] };
  for (let i = 0; i < dataset.size; i++) {
    const original = clip(i);
    const out = resynthesise(decoded.subarray(i * per, (i + 1) * per), i);
    meters.quality.add(original, out);
    meters.unquantised.add(original, resynthesise(exact.subarray(i * per, (i + 1) * per), i));
    resynthesis?.add(original, resynthesise(dataset.x.subarray(i * per, (i + 1) * per), i));
    if (i < options.preview) {
      preview.original.push(Float32Array.from(original));
      preview.decoded.push(out);
    }
  }
  const totalSeconds = dataset.size * seconds;
  const report: AudioCompressReport = {
    clips: dataset.size,
    seconds,
    latent: model.latentSize,
    bits,
    requestedKbps: options.kbps,
    kbps: (model.latentSize * bits) / seconds / 1000,
    file: { bytes: bytes.length, kbps: (bytes.length * 8) / totalSeconds / 1000 },
    representation: f.representation,
    iterations: f.representation === 'mel' ? options.iterations : undefined,
    lsdFloorDb,
    quality: meters.quality.result(),
    unquantised: meters.unquantised.result(),
    resynthesis: resynthesis?.result(),
  };
  if (options.opusKbps > 0) {
    const clips = Array.from({ length: dataset.size }, (_, i) => clip(i));
    const opus = await opusRoundTrip(clips, f.sampleRate, options.opusKbps);
    if (!opus) report.opus = { missing: OPUS_MISSING };
    else {
      const meter = new AudioQualityMeter(scoring);
      opus.decoded.forEach((d, i) => {
        meter.add(clips[i], d);
      });
      report.opus = {
        kbps: options.opusKbps,
        bytes: opus.bytes,
        actualKbps: (opus.bytes * 8) / totalSeconds / 1000,
        quality: meter.result(),
      };
      preview.opus = opus.decoded.slice(0, options.preview);
    }
  }
  return { file, bytes, report, preview };
}

export function formatAudioCompressReport(report: AudioCompressReport): string {
  const row = (name: string, kbps: string, q: AudioQuality) =>
    `${name.padEnd(30)}${kbps.padStart(10)}${q.snrDb.toFixed(2).padStart(9)}${q.lsd.toFixed(2).padStart(9)}`;
  const asked = report.requestedKbps !== undefined ? ` (asked for at most ${report.requestedKbps} kbps)` : '';
  const how =
    report.representation === 'mel' ? `, resynthesised by Griffin-Lim (${report.iterations} iterations)` : '';
  const lines = [
    `${report.clips} clips of ${report.seconds} s; ${report.latent}-D codes at ${report.bits} bits per dimension${asked}${how}`,
    `${''.padEnd(30)}${'kbps'.padStart(10)}${'SNR dB'.padStart(9)}${'LSD dB'.padStart(9)}   (LSD floor ${report.lsdFloorDb} dB)`,
    row(`latentlab (${report.bits} bits)`, report.kbps.toFixed(3), report.quality),
    row('  unquantised codes', '', report.unquantised),
  ];
  if (report.resynthesis) lines.push(row('  original spectrograms', '', report.resynthesis));
  if (report.opus && 'missing' in report.opus) lines.push(report.opus.missing);
  else if (report.opus)
    lines.push(
      row(`Opus ${report.opus.kbps} kbps (hard CBR)`, report.opus.actualKbps.toFixed(3), report.opus.quality),
    );
  lines.push(
    `.llz file: ${report.file.bytes} bytes, ${report.file.kbps.toFixed(3)} kbps over the clips with its header` +
      (report.opus && !('missing' in report.opus)
        ? `; Opus file: ${report.opus.bytes} bytes (Ogg pages included)`
        : ''),
  );
  return lines.join('\n');
}
