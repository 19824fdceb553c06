// Denoising: corrupt clean images at a chosen noise level (seeded), reconstruct them with an autoencoder, and
// judge noisy input, model output and two simple filters (median, Gaussian blur) by PSNR and SSIM against the
// clean images. Each filter's size is the best of a small grid on the first batch.
import { z } from 'zod';
import type { Dataset } from '../data/dataset.js';
import { tf } from '../engine/tf.js';
import { ConfigError, parseOrThrow, UsageError } from '../errors.js';
import { batchesOf } from '../eval/codes.js';
import { gaussianBlur, medianFilter } from '../eval/image-filters.js';
import { type ImageQuality, psnr, QualityMeter, type SsimOptions } from '../eval/image-quality.js';
import { encodeTitledPanels } from '../io/plot.js';
import { encodeImageGrid } from '../io/png.js';
import type { Autoencoder } from '../models/family.js';
import { corrupt, InputNoise } from '../models/shared/autoencoder-base.js';
import { refuseText } from './model-data.js';

export const NOISE_TYPES = ['gaussian', 'masking', 'salt-and-pepper'] as const;

/** `gaussian:0.3`, `salt-and-pepper:0.2`, `masking:0.5` (level: std, or share of corrupted pixels). */
export function parseNoiseSpec(text: string, flag = '--noise'): InputNoise {
  const [type, level, ...rest] = text.split(':');
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
