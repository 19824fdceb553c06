// Latent traversals (Higgins et al. 2017's figure): each chosen latent dimension swept over a range around a base
// code with the others fixed, decoded to one row of images per dimension. Models are reached through the
// Autoencoder and GenerativeModel interfaces only; `latentlab traverse` and the studio's explorer both call here.
import { PNG } from 'pngjs';
import { z } from 'zod';
import { type Dataset, sampleSize, subset } from '../data/dataset.js';
import { type Tensor, tf } from '../engine/tf.js';
import { ConfigError, UsageError } from '../errors.js';
import { codePrior, codePriorFile, type GaussianFit, sampleGaussian } from '../eval/code-prior.js';
import { decodeCodes, encodeDataset, requireAutoencoder } from '../eval/codes.js';
import { classLabels } from '../eval/generate.js';
import type { OnProgress } from '../eval/progress.js';
import { ACTIVE_UNIT_THRESHOLD } from '../eval/text.js';
import type { LoadedModel } from '../io/model-files.js';
import { drawText, textWidth } from '../io/plot.js';
import { encodeImageGrid } from '../io/png.js';
import {
  type Autoencoder,
  type GenerativeModel,
  generatesClasses,
  isAutoencoder,
  isGenerative,
  type TrainableModel,
} from '../models/family.js';
import { hasDiscreteCodes } from '../models/shared/discrete-codes.js';
import { modelData } from './model-data.js';

/** Where the sweep starts: the code of an item of the split, a prior draw, or the mean code. */
export const TraverseBase = z.union([
  z.object({ item: z.number().int().min(0) }).strict(),
  z.object({ seed: z.number().int().min(0) }).strict(),
  z.literal('mean'),
]);
export type TraverseBase = z.infer<typeof TraverseBase>;

/** Which dimensions get a row: all, these (in this order), or the K with the most varied training codes. */
export const TraverseDims = z.union([
  z.literal('all'),
  z.array(z.number().int().min(0)).min(1),
  z.object({ top: z.number().int().min(1) }).strict(),
]);
export type TraverseDims = z.infer<typeof TraverseDims>;

/** Enough columns for a smooth sweep; more only makes the picture wider. */
export const MAX_TRAVERSE_STEPS = 101;
/** Rows of one grid: a vq-vae's code (784 values) would otherwise draw a PNG some 45,000 pixels tall. */
export const MAX_TRAVERSE_ROWS = 256;

export const TraverseRequest = z.object({
  /** Default: test item 0's code; a model without an encoder, the prior's mean. */
  from: TraverseBase.optional(),
  dims: TraverseDims.default('all'),
  /** The sweep's ends in units of each dimension's spread (see Traversal.unitName), added to the base code. */
  range: z
    .tuple([z.number(), z.number()])
    .refine(([lo, hi]) => Number.isFinite(lo) && Number.isFinite(hi) && lo < hi, {
      message: 'expected a range LO < HI',
    })
    .default([-3, 3]),
  steps: z.number().int().min(2).max(MAX_TRAVERSE_STEPS).default(11),
  /** The class a conditional (or class-controlled) model decodes; default: the base item's, else 0. */
  label: z.number().int().min(0).optional(),
});
export type TraverseRequest = z.input<typeof TraverseRequest>;

// ---- The CLI's words for a request: `--from 12|seed:5|mean`, `--dims all|0,3,7|top:4`, `--range 3|-2,4` ----

const text = (pattern: RegExp, message: string) => z.string().trim().regex(pattern, message);

/** `--from`: an item index, seed:N or mean. */
export const BaseFlag = text(
  /^(\d+|seed:\d+|mean)$/,
  'expected an item index (e.g. 0), seed:N or mean',
).transform(
  (value): TraverseBase =>
    value === 'mean'
      ? 'mean'
      : value.startsWith('seed:')
        ? { seed: Number(value.slice(5)) }
        : { item: Number(value) },
);

/** `--dims`: all, a comma-separated list of dimensions, or top:K. */
export const DimsFlag = text(
  /^(all|top:\d+|\d+(\s*,\s*\d+)*)$/,
  'expected all, a list of dimensions such as 0,3,7, or top:K',
).transform((value): TraverseDims => {
  if (value === 'all') return 'all';
  if (value.startsWith('top:')) return { top: Number(value.slice(4)) };
  return value.split(',').map((d) => Number(d.trim()));
});

/** `--range`: R (the sweep runs from -R to R) or LO,HI. */
export const RangeFlag = text(
  /^-?\d+(\.\d+)?(\s*,\s*-?\d+(\.\d+)?)?$/,
  'expected a number R (from -R to R) or LO,HI',
).transform((value): [number, number] => {
  const [a, b] = value.split(',').map((v) => Number(v.trim()));
  return b === undefined ? [-Math.abs(a), Math.abs(a)] : [a, b];
});

// ---- The traversal ----

/** Draws that estimate a prior's mean and spread: any prior (a mixture, a VampPrior) is measured, not assumed. */
const PRIOR_DRAWS = 10_000;
/** Their seed: not 0, which tf.randomNormal (the VAE's and GAN's samplePrior) reads as "unseeded". */
const PRIOR_SEED = 1;

/** What a traversal needs from outside the model, asked for only when the request needs it. */
export interface TraverseSources {
  /** The split `--from ITEM` indexes. */
  items?: () => Promise<Dataset>;
  /** The Gaussian fitted to the training codes (codePrior's fit): their mean and per-dimension variance. */
  codeFit?: () => Promise<GaussianFit>;
}

export interface Traversal {
  /** The latent dimensions, one row each, in order. */
  dims: number[];
  steps: number;
  latent: number;
  /** [steps]: where each column sits, in units of the dimension's spread, relative to the base code. */
  offsets: number[];
  /** [latent]: one unit of the sweep in each dimension. */
  unit: Float64Array;
  unitName: 'prior standard deviations' | 'standard deviations of the training codes';
  /** [latent]: the variance of the training codes (for a VAE, the activity of Burda et al.); absent without an encoder. */
  variance?: Float64Array;
  /** [latent]: the code every row starts from. */
  base: Float32Array;
  /** [dims * steps, latent], row after row: the codes decoded. */
  codes: Float32Array;
  /** [dims * steps, ...imageShape], values as the decoder gives them. */
  images: Float32Array;
  imageShape: number[];
  /** The class decoded, for models that take one. */
  label?: number;
  /** What decoded the codes: the autoencoder's decoder, or a generator reading its prior's space. */
  decoder: 'decoder' | 'generator';
}

/** Fields the errors name (the CLI's flags, or the server's body fields). */
export interface TraverseFields {
  from: string;
  dims: string;
  label: string;
}
const CLI_FIELDS: TraverseFields = { from: '--from', dims: '--dims', label: '--label' };

export interface TraverseOptions {
  /** Also measure each dimension's variance over the training codes (row labels); top:K measures it anyway. */
  variance?: boolean;
  fields?: TraverseFields;
}

/** Refuses models whose samples are no images: a row of images needs [h, w, c] samples. */
export function requireImages(model: TrainableModel): number[] {
  const shape = model.context.sampleShape;
  if (shape.length !== 3)
    throw new UsageError(
      `traverse draws images: it takes models of images or spectrograms (samples [height, width, channels]); "${model.kind}" makes samples of shape [${shape}] (text, table rows or waveforms)`,
    );
  return shape;
}

function meanAndStd(draws: Float32Array, latent: number): { mean: Float64Array; std: Float64Array } {
  const n = draws.length / latent;
  const mean = new Float64Array(latent);
  const sq = new Float64Array(latent);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < latent; j++) {
      const v = draws[i * latent + j];
      mean[j] += v;
      sq[j] += v * v;
    }
  const std = new Float64Array(latent);
  for (let j = 0; j < latent; j++) {
    mean[j] /= n;
    std[j] = Math.sqrt(Math.max(0, sq[j] / n - mean[j] ** 2));
  }
  return { mean, std };
}

/** The diagonal of a fit's covariance: each dimension's variance over the training codes. */
function variances(fit: GaussianFit): Float64Array {
  return Float64Array.from({ length: fit.dims }, (_, j) => fit.covariance[j * fit.dims + j]);
}

function need<T>(source: (() => Promise<T>) | undefined, what: string): () => Promise<T> {
  if (!source) throw new ConfigError(`this traversal needs ${what}, which was not given`);
  return source;
}

/** The rows' dimensions, checked against the latent size. */
function chooseDims(
  dims: TraverseDims,
  latent: number,
  variance: (() => Promise<Float64Array>) | undefined,
  field: string,
): Promise<number[]> | number[] {
  const range = `the latent size is ${latent} (dimensions 0 to ${latent - 1})`;
  const rows = dims === 'all' ? latent : Array.isArray(dims) ? dims.length : dims.top;
  if (rows > MAX_TRAVERSE_ROWS)
    throw new ConfigError(
      `${rows} rows is more than one grid draws (at most ${MAX_TRAVERSE_ROWS}): ${range}; pick top:K or a list of dimensions`,
      { path: field },
    );
  if (dims === 'all') return Array.from({ length: latent }, (_, j) => j);
  if (Array.isArray(dims)) {
    const outside = dims.find((d) => d >= latent);
    if (outside !== undefined)
      throw new ConfigError(`dimension ${outside} is out of range: ${range}`, { path: field });
    return dims;
  }
  if (dims.top > latent)
    throw new ConfigError(`top:${dims.top} asks for more dimensions than there are: ${range}`, {
      path: field,
    });
  if (!variance)
    throw new ConfigError(
      'top:K ranks dimensions by the variance of the training codes, so it needs a model with an encoder',
      { path: field },
    );
  return variance().then((v) =>
    Array.from({ length: latent }, (_, j) => j)
      .sort((a, b) => v[b] - v[a] || a - b)
      .slice(0, dims.top),
  );
}

/**
 * Sweeps each chosen dimension of the base code from range[0] to range[1] units (offsets evenly spaced, `steps` of
 * them) with the other dimensions fixed, and decodes every code. One unit is the prior's standard deviation where
 * the codes live in the prior's space (VAEs, AAEs, a GAN's noise; measured on 10,000 prior draws of a fixed seed),
 * else the standard deviation of the dimension over the training codes (a deterministic autoencoder).
 */
export async function traverse(
  model: TrainableModel,
  request: TraverseRequest,
  sources: TraverseSources = {},
  { variance: wantVariance = false, fields = CLI_FIELDS }: TraverseOptions = {},
): Promise<Traversal> {
  const imageShape = requireImages(model);
  const parsed = TraverseRequest.parse(request);
  const { dims, range, steps, label } = parsed;
  const from: TraverseBase = parsed.from ?? (isAutoencoder(model) ? { item: 0 } : 'mean');
  const seeded = typeof from === 'object' && 'seed' in from;
  // A seed draws from the prior, decoded by the generator; otherwise the encoder's codes, by the decoder.
  let decoder: Traversal['decoder'];
  if (isAutoencoder(model) && !(seeded && isGenerative(model))) decoder = 'decoder';
  else if (isGenerative(model)) decoder = 'generator';
  else
    throw new UsageError(`traverse needs a model with a decoder or a generator; "${model.kind}" has neither`);
  if (decoder === 'generator' && typeof from === 'object' && 'item' in from)
    throw new ConfigError(
      `an item's code needs a model with an encoder; "${model.kind}" has none: give seed:N or mean`,
      { path: fields.from },
    );
  const encoder = isAutoencoder(model) ? model : undefined;
  // The training codes say how varied each dimension is wherever they share the decoded space.
  const codesShareSpace =
    encoder !== undefined &&
    (decoder === 'decoder' || (isGenerative(model) && model.encodesToPrior === true));
  let fit: Promise<GaussianFit> | undefined;
  const codeFit = () => {
    fit ??= need(sources.codeFit, "the training codes' fit")();
    return fit;
  };
  // Discrete codes (vq-vae) are measured on the training codes: 10,000 draws of an autoregressive prior cost a
  // network pass per grid position each, and the encoder's codes are the same codebook vectors.
  const inPrior =
    decoder === 'generator' ||
    (isGenerative(model) && model.encodesToPrior === true && !hasDiscreteCodes(model));
  let prior: { mean: Float64Array; std: Float64Array } | undefined;
  if (inPrior) {
    const generator = model as GenerativeModel;
    const draws = tf.tidy(() => generator.samplePrior(PRIOR_DRAWS, PRIOR_SEED));
    const latent = draws.shape[1] ?? 0;
    prior = meanAndStd((await draws.data()) as Float32Array, latent);
    draws.dispose();
  }
  const latent = prior ? prior.mean.length : (encoder as Autoencoder).latentSize;

  const variance = codesShareSpace ? async () => variances(await codeFit()) : undefined;
  const rows = await chooseDims(dims, latent, variance, fields.dims);
  // A deterministic autoencoder's unit is the spread of its training codes; other models measure it on request.
  const ranked = typeof dims === 'object' && !Array.isArray(dims);
  const varianceValues = variance && (wantVariance || ranked || !prior) ? await variance() : undefined;
  const unit = prior ? prior.std : Float64Array.from(varianceValues ?? [], Math.sqrt);

  // The base code, and the class an item brings with it.
  let base: Float32Array;
  let itemLabel: number | undefined;
  if (from === 'mean') {
    base = Float32Array.from(prior ? prior.mean : (await codeFit()).mean);
  } else if ('seed' in from) {
    if (prior) {
      const z = tf.tidy(() => (model as GenerativeModel).samplePrior(1, from.seed));
      base = (await z.data()) as Float32Array;
      z.dispose();
    } else base = sampleGaussian(await codeFit(), 1, from.seed).data;
  } else {
    const split = await need(sources.items, 'the split its items come from')();
    if (from.item >= split.size)
      throw new ConfigError(
        `item ${from.item} is past the end of the ${split.name} split (${split.size} items)`,
        { path: fields.from },
      );
    const item = subset(split, [from.item]);
    itemLabel = item.labels?.[0];
    base = (await encodeDataset(encoder as Autoencoder, item)).data;
  }

  const takesClass =
    decoder === 'decoder' ? encoder?.conditional === true : generatesClasses(model as GenerativeModel);
  const classes = model.context.numClasses ?? 0;
  if (label !== undefined && !takesClass)
    throw new UsageError(`"${model.kind}" decodes no class: it is not conditional`, { path: fields.label });
  if (label !== undefined && label >= classes)
    throw new ConfigError(`expected a class from 0 to ${classes - 1}, got ${label}`, { path: fields.label });
  const chosenLabel = takesClass
    ? (label ?? (itemLabel !== undefined && itemLabel >= 0 ? itemLabel : 0))
    : undefined;

  // Offsets relative to the base: the middle one is exactly 0 for a symmetric range and odd steps.
  const [lo, hi] = range;
  const offsets = Array.from({ length: steps }, (_, s) => lo + (hi - lo) * (s / (steps - 1)));
  const count = rows.length * steps;
  const codes = new Float32Array(count * latent);
  rows.forEach((d, r) => {
    for (let s = 0; s < steps; s++) {
      const at = (r * steps + s) * latent;
      codes.set(base, at);
      codes[at + d] = base[d] + offsets[s] * unit[d];
    }
  });

  const labels = chosenLabel === undefined ? undefined : new Array<number>(count).fill(chosenLabel);
  const images =
    decoder === 'decoder'
      ? await decodeCodes(encoder as Autoencoder, { rows: count, cols: latent, data: codes }, 256, labels)
      : await generateCodes(model as GenerativeModel, codes, latent, chosenLabel);
  return {
    dims: rows,
    steps,
    latent,
    offsets,
    unit,
    unitName: prior ? 'prior standard deviations' : 'standard deviations of the training codes',
    ...(varianceValues ? { variance: varianceValues } : {}),
    base,
    codes,
    images,
    imageShape,
    ...(chosenLabel === undefined ? {} : { label: chosenLabel }),
    decoder,
  };
}

/** A generator's samples for codes [n, latent], in batches. */
async function generateCodes(
  generator: GenerativeModel,
  codes: Float32Array,
  latent: number,
  label: number | undefined,
  batchSize = 256,
): Promise<Float32Array> {
  const n = codes.length / latent;
  const per = sampleSize(generator.context);
  const out = new Float32Array(n * per);
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    const images: Tensor = tf.tidy(() => {
      const z = tf.tensor2d(codes.subarray(start * latent, (start + count) * latent), [count, latent]);
      const y =
        label === undefined ? undefined : classLabels(count, generator.context.numClasses ?? 0, label);
      return generator.generate(z, y);
    });
    out.set((await images.data()) as Float32Array, start * per);
    images.dispose();
  }
  return out;
}

/**
 * The Gaussian of a saved model's training codes, as `latentlab sample` and the studio fit it: read from
 * RUN/code-prior.json when it belongs to this saved model, else fitted on the training split and cached there.
 */
export async function trainingCodeFit(
  loaded: LoadedModel,
  modelDir: string,
  onProgress?: OnProgress,
): Promise<GaussianFit> {
  const encoder = requireAutoencoder(loaded.model, 'traverse');
  const file = codePriorFile(modelDir);
  const prior = await codePrior(encoder, {
    codes: async () => encodeDataset(encoder, (await modelData(loaded)).train, undefined, onProgress),
    cache: file ? { file, modelSavedAt: loaded.manifest.savedAt } : undefined,
  });
  return prior.fit;
}

/** Whether a dimension counts as active (Burda et al.: its codes vary by more than ACTIVE_UNIT_THRESHOLD). */
export function isActive(variance: number): boolean {
  return variance > ACTIVE_UNIT_THRESHOLD;
}

/** A short number for the 3x5 font (digits, '.', '-'): at most 3 decimals, no trailing zeros. */
function shortNumber(v: number, decimals = Math.abs(v) >= 1 ? 2 : 3): string {
  return String(Number(v.toFixed(decimals)));
}

/**
 * The traversal as one PNG grid: a row per dimension, a column per step. With `labels`, a white margin holds each
 * row's dimension (DIM 3) and the variance of its training codes, and the top margin each column's offset.
 */
export function traversalPng(t: Traversal, { labels = false, scale = 2 } = {}): Buffer {
  const padding = 2;
  const grid = encodeImageGrid(t.images, t.imageShape, {
    rows: t.dims.length,
    cols: t.steps,
    scale,
    padding,
  });
  if (!labels) return grid;
  const image = PNG.sync.read(grid);
  const tileH = t.imageShape[0] * scale;
  const tileW = t.imageShape[1] * scale;
  const textScale = tileH >= 30 ? 2 : 1;
  const lineH = 6 * textScale;
  const twoLines = t.variance !== undefined && tileH >= 2 * lineH;
  const rowText = t.dims.map((d) => {
    // The font's Z reads as a 2 at this size.
    const name = `DIM ${d}`;
    const v = t.variance?.[d];
    if (v === undefined) return [name];
    return twoLines ? [name, shortNumber(v)] : [`${name} ${shortNumber(v)}`];
  });
  const gap = 4 * textScale;
  const left = gap * 2 + Math.max(...rowText.flat().map((s) => textWidth(s, textScale)));
  const top = lineH + gap * 2;
  const width = image.width + left;
  const height = image.height + top;
  const out = new PNG({ width, height });
  out.data.fill(255);
  for (let y = 0; y < image.height; y++) {
    const src = y * image.width * 4;
    image.data.copy(out.data, ((top + y) * width + left) * 4, src, src + image.width * 4);
  }
  rowText.forEach((lines, r) => {
    const rowTop = top + padding + r * (tileH + padding);
    const block = lines.length * lineH - textScale;
    lines.forEach((line, i) => {
      drawText(out.data, width, line, gap, rowTop + Math.floor((tileH - block) / 2) + i * lineH, textScale);
    });
  });
  // Offsets over the first, middle and last columns (every column where they fit).
  const every = t.offsets.map((o) => (o > 0 ? `+${shortNumber(o)}` : shortNumber(o)));
  const fits = every.every((s) => textWidth(s, textScale) <= tileW);
  const shown = fits ? every.map((_, s) => s) : [0, Math.floor((t.steps - 1) / 2), t.steps - 1];
  for (const s of new Set(shown)) {
    const colLeft = left + padding + s * (tileW + padding);
    const w = textWidth(every[s], textScale);
    drawText(out.data, width, every[s], colLeft + Math.floor((tileW - w) / 2), gap, textScale);
  }
  return PNG.sync.write(out);
}
