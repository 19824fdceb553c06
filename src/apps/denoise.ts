// Denoising: corrupt clean images at a chosen noise level (seeded), reconstruct them with an autoencoder, and
// judge noisy input, model output and two simple filters (median, Gaussian blur) by PSNR and SSIM against the
// clean images. Each filter's size is the best of a small grid on the first batch. Audio runs: noise mixed into
// the clips at a stated SNR, judged by SNR and log-spectral distance beside a Wiener filter.
import { z } from 'zod';
import {
  type AudioFeatures,
  clipFeatures,
  clipFromFeatures,
  frameCount,
  griffinLim,
  istft,
  magnitudesFromMel,
  melGains,
  stft,
} from '../data/audio/features.js';
import type { Dataset } from '../data/dataset.js';
import { createRng } from '../data/random.js';
import { tf } from '../engine/tf.js';
import { ConfigError, DataError, parseOrThrow, UsageError } from '../errors.js';
import {
  type AudioQuality,
  AudioQualityMeter,
  mixNoise,
  WienerOptions,
  wienerDenoise,
} from '../eval/audio.js';
import { batchesOf, reconstructDataset } from '../eval/codes.js';
import { gaussianBlur, medianFilter } from '../eval/image-filters.js';
import { type ImageQuality, psnr, QualityMeter, type SsimOptions } from '../eval/image-quality.js';
import { spectrogramGrid, spectrogramOf, writeClips } from '../io/audio-files.js';
import { encodeTitledPanels } from '../io/plot.js';
import { encodeImageGrid } from '../io/png.js';
import type { Autoencoder } from '../models/family.js';
import { corrupt, InputNoise } from '../models/shared/autoencoder-base.js';
import { featuresFitModel, refuseText } from './model-data.js';

export const NOISE_TYPES = ['gaussian', 'masking', 'salt-and-pepper'] as const;

/** `gaussian:0.3`, `salt-and-pepper:0.2`, `masking:0.5` (level: std, or share of corrupted pixels). */
export function parseNoiseSpec(text: string, flag = '--noise'): InputNoise {
  const [type, level, ...rest] = text.split(':');
  if ((AUDIO_NOISE_TYPES as readonly string[]).includes(type))
    throw new UsageError(
      `"${text}" is noise for audio (${AUDIO_NOISE_TYPES.join(' or ')} with an SNR in dB), and this run was not ` +
        `trained on audio: expected ${NOISE_TYPES.join(', ')} with a level, e.g. gaussian:0.3`,
      { path: flag },
    );
  const parsed = InputNoise.safeParse({ type, level: level === undefined ? undefined : Number(level) });
  if (
    rest.length > 0 ||
    !parsed.success ||
    parsed.data.type === 'none' ||
    (level !== undefined && level.trim() === '') ||
    (parsed.data.type !== 'gaussian' && parsed.data.level > 1)
  ) {
    throw new UsageError(
      `expected ${NOISE_TYPES.join(', ')} with a level, e.g. gaussian:0.3 (a standard deviation) or masking:0.5 ` +
        `(a share between 0 and 1), got "${text}"`,
      { path: flag },
    );
  }
  return parsed.data;
}

export const DenoiseOptions = z.object({
  noise: InputNoise.refine((n) => n.type !== 'none', 'expected a noise type other than none'),
  seed: z.number().int().min(0).default(0),
  batchSize: z.number().int().positive().default(250),
  /** Clip noisy images to [0, 1], as a stored image would be. */
  clip: z.boolean().default(true),
  /** Median filter sizes tried on the first batch. */
  medianSizes: z.array(z.number().int().positive()).min(1).default([3, 5]),
  /** Gaussian blur sigmas (pixels) tried on the first batch. */
  blurSigmas: z.array(z.number().positive()).min(1).default([0.5, 0.75, 1, 1.5, 2]),
  /** Images kept for the picture. */
  preview: z.number().int().min(0).default(16),
  /** Keep every denoised image (to write them out). */
  keepOutputs: z.boolean().default(false),
  ssimWindow: z.union([z.literal(7), z.literal(11)]).default(11),
});
export type DenoiseOptions = z.output<typeof DenoiseOptions>;
export type DenoiseOptionsInput = z.input<typeof DenoiseOptions>;

export interface FilterChoice<P extends string> {
  /** The parameter picked, and the first batch's PSNR for every value tried. */
  chosen: number;
  tried: Array<{ [K in P]: number } & { psnr: number }>;
}

export interface DenoiseReport {
  images: number;
  noise: InputNoise;
  seed: number;
  clipped: boolean;
  ssimWindow: number;
  noisy: ImageQuality;
  denoised: ImageQuality;
  median: ImageQuality & { size: number };
  blur: ImageQuality & { sigma: number };
  /** How the filters were chosen: PSNR on the first batch (of `images` images). */
  selection: { images: number; median: FilterChoice<'size'>; blur: FilterChoice<'sigma'> };
}

export interface DenoisePreview {
  count: number;
  clean: Float32Array;
  noisy: Float32Array;
  denoised: Float32Array;
  median: Float32Array;
  blur: Float32Array;
}

export interface DenoiseResult {
  report: DenoiseReport;
  preview: DenoisePreview;
  /** Every denoised image, flat [n, ...sampleShape], when `keepOutputs`. */
  denoised?: Float32Array;
}

function meanPsnr(clean: Float32Array, test: Float32Array, per: number): number {
  let sum = 0;
  for (let s = 0; s < clean.length; s += per)
    sum += psnr(clean.subarray(s, s + per), test.subarray(s, s + per));
  return sum / (clean.length / per);
}

function choose<P extends string>(
  name: P,
  values: readonly number[],
  clean: Float32Array,
  apply: (value: number) => Float32Array,
  per: number,
): FilterChoice<P> {
  const tried = values.map((value) => ({ [name]: value, psnr: meanPsnr(clean, apply(value), per) })) as Array<
    { [K in P]: number } & { psnr: number }
  >;
  const best = tried.reduce((a, b) => (b.psnr > a.psnr ? b : a));
  return { chosen: best[name], tried };
}

/** What a text model is pointed to instead of denoise. */
export const TEXT_INSTEAD =
  'pixel noise on token ids means nothing (use latentlab reconstruct to see sentences through the model)';

/** Denoise every image of `dataset` (values in [0, 1]) and score it beside the noisy input and the filters. */
export async function denoiseDataset(
  model: Autoencoder,
  dataset: Dataset,
  input: DenoiseOptionsInput,
): Promise<DenoiseResult> {
  const options = parseOrThrow(DenoiseOptions, input);
  refuseText(model, 'denoise', TEXT_INSTEAD);
  const shape = dataset.sampleShape;
  if (shape.length !== 3) {
    throw new ConfigError(`denoising needs image samples [h, w, c], got shape [${shape}]`, {
      path: dataset.name,
    });
  }
  if (shape.join('x') !== model.context.sampleShape.join('x')) {
    throw new ConfigError(
      `the model expects samples of shape [${model.context.sampleShape}], the data has [${shape}]`,
      { path: dataset.name },
    );
  }
  if (model.conditional && !dataset.labels) {
    throw new ConfigError(`"${model.kind}" is conditional and needs labelled images`, { path: dataset.name });
  }
  const per = shape.reduce((a, b) => a * b, 1);
  const ssimOptions: SsimOptions = { window: options.ssimWindow };
  const meters = {
    noisy: new QualityMeter(shape, ssimOptions),
    denoised: new QualityMeter(shape, ssimOptions),
    median: new QualityMeter(shape, ssimOptions),
    blur: new QualityMeter(shape, ssimOptions),
  };
  const previewCount = Math.min(options.preview, dataset.size);
  const preview: DenoisePreview = {
    count: previewCount,
    clean: dataset.x.slice(0, previewCount * per),
    noisy: new Float32Array(previewCount * per),
    denoised: new Float32Array(previewCount * per),
    median: new Float32Array(previewCount * per),
    blur: new Float32Array(previewCount * per),
  };
  const outputs = options.keepOutputs ? new Float32Array(dataset.size * per) : undefined;
  let selection: DenoiseReport['selection'] | undefined;
  let index = 0;
  for (const batch of batchesOf(dataset, options.batchSize)) {
    const seed = options.seed * 1_000_003 + index++;
    const [noisyT, denoisedT] = tf.tidy(() => {
      let noisy = corrupt(batch.x, options.noise, seed);
      if (options.clip) noisy = tf.clipByValue(noisy, 0, 1);
      return [noisy, tf.clipByValue(model.reconstruct(noisy, batch.labels), 0, 1)];
    });
    const clean = (await batch.x.data()) as Float32Array;
    const noisy = (await noisyT.data()) as Float32Array;
    const denoised = (await denoisedT.data()) as Float32Array;
    tf.dispose([noisyT, denoisedT]);
    batch.dispose();
    if (!selection) {
      selection = {
        images: clean.length / per,
        median: choose('size', options.medianSizes, clean, (s) => medianFilter(noisy, shape, s), per),
        blur: choose('sigma', options.blurSigmas, clean, (s) => gaussianBlur(noisy, shape, s), per),
      };
    }
    const median = medianFilter(noisy, shape, selection.median.chosen);
    const blur = gaussianBlur(noisy, shape, selection.blur.chosen);
    meters.noisy.add(clean, noisy);
    meters.denoised.add(clean, denoised);
    meters.median.add(clean, median);
    meters.blur.add(clean, blur);
    outputs?.set(denoised, batch.start * per);
    const keep = Math.max(0, Math.min(previewCount - batch.start, clean.length / per)) * per;
    if (keep > 0) {
      const at = batch.start * per;
      preview.noisy.set(noisy.subarray(0, keep), at);
      preview.denoised.set(denoised.subarray(0, keep), at);
      preview.median.set(median.subarray(0, keep), at);
      preview.blur.set(blur.subarray(0, keep), at);
    }
  }
  if (!selection) throw new ConfigError('no images to denoise', { path: dataset.name });
  return {
    report: {
      images: dataset.size,
      noise: options.noise,
      seed: options.seed,
      clipped: options.clip,
      ssimWindow: options.ssimWindow,
      noisy: meters.noisy.result(),
      denoised: meters.denoised.result(),
      median: { ...meters.median.result(), size: selection.median.chosen },
      blur: { ...meters.blur.result(), sigma: selection.blur.chosen },
      selection,
    },
    preview,
    denoised: outputs,
  };
}

/** Five titled panels side by side (clean, noisy, denoised, median, blur), each a grid of the preview images. */
export function denoiseGrid(result: DenoiseResult, sampleShape: readonly number[]): Buffer {
  const { preview, report } = result;
  const cols = Math.ceil(Math.sqrt(preview.count));
  const rows = Math.ceil(preview.count / cols);
  const panel = (pixels: Float32Array) => encodeImageGrid(pixels, sampleShape, { rows, cols, scale: 2 });
  return encodeTitledPanels(
    [
      { title: 'clean', png: panel(preview.clean) },
      { title: `${report.noise.type} ${report.noise.level}`, png: panel(preview.noisy) },
      { title: 'denoised', png: panel(preview.denoised) },
      { title: `median ${report.median.size}`, png: panel(preview.median) },
      { title: `blur ${report.blur.sigma}`, png: panel(preview.blur) },
    ],
    { textScale: 2 },
  );
}

/** The report as a few lines of text. */
export function formatDenoiseReport(report: DenoiseReport): string {
  const row = (name: string, q: ImageQuality) =>
    `${name.padEnd(22)} PSNR ${q.psnr.toFixed(2).padStart(6)} dB   SSIM ${q.ssim.toFixed(4)}`;
  const { median, blur } = report.selection;
  return [
    `${report.images} images, ${report.noise.type} noise at ${report.noise.level} (seed ${report.seed}${report.clipped ? ', clipped to [0, 1]' : ''}); SSIM window ${report.ssimWindow}x${report.ssimWindow}`,
    row('noisy input', report.noisy),
    row('denoised (model)', report.denoised),
    row(`median filter ${report.median.size}x${report.median.size}`, report.median),
    row(`Gaussian blur σ=${report.blur.sigma}`, report.blur),
    `filters chosen by PSNR on the first ${report.selection.images} images: median size of ${median.tried
      .map((t) => `${t.size} (${t.psnr.toFixed(2)})`)
      .join(', ')}; blur sigma of ${blur.tried.map((t) => `${t.sigma} (${t.psnr.toFixed(2)})`).join(', ')}`,
    `gain over the noisy input ${(report.denoised.psnr - report.noisy.psnr).toFixed(2)} dB; over the best filter ${(
      report.denoised.psnr - Math.max(report.median.psnr, report.blur.psnr)
    ).toFixed(2)} dB`,
  ].join('\n');
}

// ---- Audio: noise mixed into the waveforms at a stated SNR, scored by SNR and log-spectral distance. ----

export const AUDIO_NOISE_TYPES = ['white', 'speech'] as const;

export const AudioNoise = z.strictObject({
  /** white: Gaussian noise; speech: another clip of the same split (another speaker where the names tell). */
  type: z.enum(AUDIO_NOISE_TYPES),
  /** SNR of the mixture over the whole clip, dB. */
  snrDb: z.number().min(-30).max(60),
});
export type AudioNoise = z.infer<typeof AudioNoise>;

/** `white:5`, `speech:0` (the SNR in dB; 5 when left out). */
export function parseAudioNoiseSpec(text: string, flag = '--noise'): AudioNoise {
  const [type, level, ...rest] = text.split(':');
  const snr = level === undefined ? 5 : level.trim() === '' ? Number.NaN : Number(level);
  const parsed = AudioNoise.safeParse({ type, snrDb: snr });
  if (rest.length > 0 || !parsed.success) {
    const image = (NOISE_TYPES as readonly string[]).includes(type)
      ? ' (that is pixel noise, for image runs)'
      : '';
    throw new UsageError(
      `expected ${AUDIO_NOISE_TYPES.join(' or ')} with an SNR in dB between -30 and 60, e.g. white:5 or speech:5, ` +
        `for a run trained on audio; got "${text}"${image}`,
      { path: flag },
    );
  }
  return parsed.data;
}

export const AudioDenoiseOptions = z.strictObject({
  noise: AudioNoise,
  seed: z.number().int().min(0).default(0),
  batchSize: z.number().int().positive().default(32),
  /**
   * How a spectrogram model's output becomes sound: `mask` scales the noisy STFT by the model's clean-to-noisy
   * band ratios (keeps the recording's fine structure and phase); `magnitudes` rebuilds magnitudes from the 64
   * bands under the noisy phase, which blurs harmonics.
   */
  restore: z.enum(['mask', 'magnitudes']).default('mask'),
  /**
   * `magnitudes` only: Griffin-Lim iterations started from the noisy phase; 0 (default) puts the model's
   * magnitudes under the noisy phase as they are, which keeps the clean parts' phase where the speech is loud.
   */
  phaseIterations: z.number().int().min(0).max(1000).default(0),
  wiener: WienerOptions.default(WienerOptions.parse({})),
  /** Clips kept for the examples. */
  preview: z.number().int().min(0).default(4),
  /** Floor of the log-spectral distance's power spectra, dB re full scale (default the features' minDb). */
  lsdFloorDb: z.number().max(0).optional(),
});
export type AudioDenoiseOptions = z.output<typeof AudioDenoiseOptions>;
export type AudioDenoiseOptionsInput = z.input<typeof AudioDenoiseOptions>;

export interface AudioDenoiseReport {
  clips: number;
  noise: AudioNoise;
  seed: number;
  representation: AudioFeatures['representation'];
  /** Spectrogram models: how the output became sound (a mask on the noisy STFT, or magnitudes). */
  restore?: 'mask' | 'magnitudes';
  /** Spectrogram models with `magnitudes`: Griffin-Lim iterations from the noisy phase. */
  phaseIterations?: number;
  /** Speech noise: how the other recording was picked for each clip. */
  speechFrom?: 'another speaker' | 'another class' | 'another clip';
  /** The LSD's floor, dB re full scale. */
  lsdFloorDb: number;
  /** Mean over clips of each clip's SNR (dB) and log-spectral distance (dB), against the clean clip. */
  noisy: AudioQuality;
  model: AudioQuality;
  wiener: AudioQuality;
  /** SNR gains, dB: of the model and of the Wiener filter over the noisy input, and of the model over Wiener. */
  gain: { model: number; wiener: number; modelOverWiener: number };
}

export interface AudioDenoisePreview {
  clean: Float32Array[];
  noisy: Float32Array[];
  model: Float32Array[];
  wiener: Float32Array[];
}

// FSDD names its files {digit}_{speaker}_{index}.wav: the speaker, when a clip's id says it.
const FSDD_NAME = /(?:^|\/)\d+_([^_/]+)_\d+\.wav$/i;

/** For speech noise: clip i's noise is clip partner[i], another speaker (or class, or clip) when there is one. */
function speechPartners(
  waves: Dataset,
  seed: number,
): { partner: Int32Array; rule: AudioDenoiseReport['speechFrom'] } {
  const n = waves.size;
  if (n < 2)
    throw new DataError('speech noise mixes in another clip of the split, and it holds one clip only', {
      path: waves.name,
    });
  const speakers = waves.ids?.map((id) => FSDD_NAME.exec(id)?.[1]);
  const keys = speakers?.every((s) => s !== undefined)
    ? speakers
    : waves.labels
      ? Array.from(waves.labels, String)
      : undefined;
  const rule = keys === speakers && keys ? 'another speaker' : keys ? 'another class' : 'another clip';
  const rng = createRng(seed);
  const partner = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let pool = keys ? Array.from({ length: n }, (_, j) => j).filter((j) => keys[j] !== keys[i]) : [];
    if (pool.length === 0) pool = Array.from({ length: n }, (_, j) => j).filter((j) => j !== i);
    partner[i] = pool[Math.floor(rng() * pool.length)];
  }
  return { partner, rule };
}

/**
 * Denoise every clip of `waves` (waveforms [samples, 1] read with the model's `features`): mix in noise at the
 * stated SNR, pass the noisy clip through the model (spectrogram models: log-mel → reconstruction → magnitudes
 * under the noisy phase; waveform models: the waveform itself), and score it beside the noisy clip and a Wiener
 * filter by SNR and log-spectral distance against the clean clip.
 */
export async function denoiseAudio(
  model: Autoencoder,
  waves: Dataset,
  features: AudioFeatures,
  input: AudioDenoiseOptionsInput,
): Promise<{ report: AudioDenoiseReport; preview: AudioDenoisePreview }> {
  const options = parseOrThrow(AudioDenoiseOptions, input);
  const f = features;
  if (waves.sampleShape.join('x') !== `${f.samples}x1`)
    throw new ConfigError(
      `expected waveforms of shape [${f.samples}, 1], the data has [${waves.sampleShape}]`,
      {
        path: waves.name,
      },
    );
  const shape = featuresFitModel(f, model);
  if (model.conditional && !waves.labels)
    throw new ConfigError(`"${model.kind}" is conditional and needs labelled clips`, { path: waves.name });
  if (waves.size === 0) throw new DataError('no clips to denoise', { path: waves.name });
  const clip = (i: number) => waves.x.subarray(i * f.samples, (i + 1) * f.samples);
  const speech = options.noise.type === 'speech' ? speechPartners(waves, options.seed) : undefined;
  const noisyOf = (i: number) =>
    mixNoise(
      clip(i),
      speech ? clip(speech.partner[i]) : 'white',
      options.noise.snrDb,
      options.seed * 1_000_003 + i,
    );
  const lsdFloorDb = options.lsdFloorDb ?? f.minDb;
  const scoring = { ...f, minDb: lsdFloorDb };
  const meters = {
    noisy: new AudioQualityMeter(scoring),
    model: new AudioQualityMeter(scoring),
    wiener: new AudioQualityMeter(scoring),
  };
  const preview: AudioDenoisePreview = { clean: [], noisy: [], model: [], wiener: [] };
  const per = shape.reduce((a, b) => a * b, 1);
  const frames = frameCount(f);
  for (let start = 0; start < waves.size; start += options.batchSize) {
    const count = Math.min(options.batchSize, waves.size - start);
    const noisy = Array.from({ length: count }, (_, i) => noisyOf(start + i));
    const inputs = new Float32Array(count * per);
    noisy.forEach((wave, i) => {
      inputs.set(clipFeatures(wave, f), i * per);
    });
    const outputs = await reconstructDataset(
      model,
      {
        name: waves.name,
        sampleShape: shape,
        size: count,
        x: inputs,
        labels: waves.labels?.subarray(start, start + count),
      },
      { batchSize: count, range: f.representation === 'mel' ? [0, 1] : undefined },
    );
    for (let i = 0; i < count; i++) {
      const clean = clip(start + i);
      const sample = outputs.subarray(i * per, (i + 1) * per);
      let restored: Float32Array;
      if (f.representation === 'waveform') restored = clipFromFeatures(sample, f);
      else if (options.restore === 'mask') {
        // The model's clean spectrogram as a mask on the noisy STFT (see melGains).
        const spectrum = stft(noisy[i], f.nFft, f.hop, frames);
        const gains = melGains(sample, inputs.subarray(i * per, (i + 1) * per), f);
        for (let j = 0; j < gains.length; j++) {
          spectrum.re[j] *= gains[j];
          spectrum.im[j] *= gains[j];
        }
        restored = istft(spectrum, f.nFft, f.hop, f.samples);
      } else
        restored = griffinLim(magnitudesFromMel(sample, f), f, f.samples, {
          phase: stft(noisy[i], f.nFft, f.hop, frames),
          iterations: options.phaseIterations,
        });
      const wiener = wienerDenoise(noisy[i], f, options.wiener);
      meters.noisy.add(clean, noisy[i]);
      meters.model.add(clean, restored);
      meters.wiener.add(clean, wiener);
      if (start + i < options.preview) {
        preview.clean.push(Float32Array.from(clean));
        preview.noisy.push(noisy[i]);
        preview.model.push(restored);
        preview.wiener.push(wiener);
      }
    }
  }
  const noisy = meters.noisy.result();
  const denoised = meters.model.result();
  const wiener = meters.wiener.result();
  return {
    report: {
      clips: waves.size,
      noise: options.noise,
      seed: options.seed,
      representation: f.representation,
      restore: f.representation === 'mel' ? options.restore : undefined,
      phaseIterations:
        f.representation === 'mel' && options.restore === 'magnitudes' ? options.phaseIterations : undefined,
      speechFrom: speech?.rule,
      lsdFloorDb,
      noisy,
      model: denoised,
      wiener,
      gain: {
        model: denoised.snrDb - noisy.snrDb,
        wiener: wiener.snrDb - noisy.snrDb,
        modelOverWiener: denoised.snrDb - wiener.snrDb,
      },
    },
    preview,
  };
}

/** The audio report as a small table. */
export function formatAudioDenoiseReport(report: AudioDenoiseReport): string {
  const sign = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;
  const row = (name: string, q: AudioQuality, gain?: number) =>
    `${name.padEnd(18)}${q.snrDb.toFixed(2).padStart(9)}${q.lsd.toFixed(2).padStart(10)}${
      gain === undefined ? '' : sign(gain).padStart(12)
    }`;
  const how =
    report.representation === 'waveform'
      ? 'waveform → model'
      : report.restore === 'mask'
        ? 'spectrogram → model → its clean-to-noisy band ratios as a mask on the noisy STFT'
        : `spectrogram → model → magnitudes under the noisy phase${
            report.phaseIterations ? ` + ${report.phaseIterations} Griffin-Lim iterations` : ''
          }`;
  const noise =
    report.noise.type === 'white'
      ? `white noise at ${report.noise.snrDb} dB SNR`
      : `speech from ${report.speechFrom} at ${report.noise.snrDb} dB SNR`;
  return [
    `${report.clips} clips, ${noise} (seed ${report.seed}); model: ${how}`,
    `${''.padEnd(18)}${'SNR dB'.padStart(9)}${'LSD dB'.padStart(10)}${'SNR gain'.padStart(12)}   (LSD floor ${report.lsdFloorDb} dB)`,
    row('noisy input', report.noisy),
    row('model', report.model, report.gain.model),
    row('Wiener filter', report.wiener, report.gain.wiener),
    `model over the Wiener filter: ${sign(report.gain.modelOverWiener)} dB SNR, LSD ${sign(
      report.model.lsd - report.wiener.lsd,
    )} dB (SNR and LSD are means over clips; LSD lower is better)`,
  ].join('\n');
}

const EXAMPLE_KINDS = ['clean', 'noisy', 'model', 'wiener'] as const;
const asWaveforms = (f: AudioFeatures): AudioFeatures => ({ ...f, representation: 'waveform' });

/** The examples as WAVs with spectrogram PNGs beside them in `dir`: clean-000.wav, noisy-000.png, ... */
export async function writeDenoiseExamples(
  dir: string,
  preview: AudioDenoisePreview,
  features: AudioFeatures,
): Promise<void> {
  for (const kind of EXAMPLE_KINDS) await writeClips(dir, kind, preview[kind], asWaveforms(features));
}

/** The examples' spectrograms as one PNG, a row per clip: clean | noisy | model | Wiener. */
export function denoiseSpectrograms(preview: AudioDenoisePreview, features: AudioFeatures): Buffer {
  const cells = preview.clean.flatMap((_, i) =>
    EXAMPLE_KINDS.map((k) => spectrogramOf(preview[k][i], asWaveforms(features))),
  );
  return spectrogramGrid(cells, features, { cols: EXAMPLE_KINDS.length });
}
