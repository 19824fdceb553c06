// What each /v1 endpoint does with a loaded model, on validated bodies, through the library's own functions
// (encodeDataset, decodeCodes, samplePrior, interpolateCodes, anomalyScorer). Run inside TensorQueue jobs.
// Text runs take `texts` and answer with `texts` beside the token ids (text.ts); audio runs take WAV files
// (`audio`) and answer with WAV files and spectrograms beside the features (audio.ts).

import type { z } from 'zod';
import { type AnomalyScore, type AnomalyScorer, anomalyHeatmaps, anomalyScorer } from '../apps/detect.js';
import { modelData } from '../apps/model-data.js';
import { type Dataset, makeDataset, sampleSize } from '../data/dataset.js';
import { applyScaling, invertScaling } from '../data/scaling.js';
import { DataSpec, formatDataSpec } from '../data/spec.js';
import { tokenAccuracy } from '../data/text/vocabulary.js';
import { tf } from '../engine/tf.js';
import { LatentlabError } from '../errors.js';
import { calibrateThreshold } from '../eval/anomaly.js';
import { batchesOf, decodeCodes, encodeDataset } from '../eval/codes.js';
import {
  decodePath,
  type InterpolationPath,
  interpolationPath,
  type PathEnd,
  samplePrior,
} from '../eval/generate.js';
import { reconstructTokens } from '../eval/text.js';
import { encodeImageGrid } from '../io/png.js';
import {
  type Autoencoder,
  type GenerativeModel,
  hasLikelihood,
  isAutoencoder,
  isGenerative,
} from '../models/family.js';
import { writesSentences } from '../models/seq/model.js';
import {
  audioDataset,
  checkIterations,
  type Sounds,
  soundsOf,
  spectrogramGridPng,
  wavBody,
} from './audio.js';
import { HttpError } from './errors.js';
import type { CachedModel } from './model-cache.js';
import type { BodySchemas, Capabilities, ClipRead, Tokenized } from './schemas.js';
import { idsAsTexts, refuseSamples, textDataset, textInfo, withDecoding } from './text.js';

export type Bodies = { [K in keyof BodySchemas]: z.output<BodySchemas[K]> };

export function capabilities(cached: CachedModel): z.output<typeof Capabilities> {
  const model = cached.model;
  const ae = isAutoencoder(model);
  const text = cached.manifest.text;
  // Errors of token ids are no distance: a text model is scored by its likelihood (a bound, or its NLL
  // per sentence) or by where its code falls.
  const scores: AnomalyScore[] = text
    ? [
        ...(hasLikelihood(model) ? (['elbo'] as const) : []),
        'nll',
        ...(ae ? (['mahalanobis', 'knn'] as const) : []),
      ]
    : ae
      ? ['mse', 'bce', 'mahalanobis', 'knn']
      : [];
  if (!text && hasLikelihood(model)) scores.splice(2, 0, 'elbo');
  return {
    encode: ae,
    decode: ae,
    reconstruct: ae,
    sample: isGenerative(model) || writesSentences(model),
    interpolate: ae || isGenerative(model),
    scores,
    latentSize: (model as Partial<Autoencoder>).latentSize,
    conditional: Boolean((model as Partial<Autoencoder>).conditional),
    ...(text ? { text: textInfo(text) } : {}),
    ...(cached.manifest.audio ? { audio: cached.manifest.audio } : {}),
  };
}

function autoencoder(cached: CachedModel, what: string): Autoencoder {
  if (!isAutoencoder(cached.model))
    throw new HttpError(
      400,
      `${what} needs a model with an encoder and a decoder; "${cached.model.kind}" has none`,
      'run',
    );
  return cached.model;
}

function generative(cached: CachedModel, what: string): GenerativeModel {
  if (!isGenerative(cached.model))
    throw new HttpError(
      400,
      `${what} needs a generative model (a prior to sample from); "${cached.model.kind}" has none`,
      'run',
    );
  return cached.model;
}

const perSample = (shape: readonly number[]) => sampleSize({ sampleShape: shape });

/** Class labels checked against the model: required for conditional models, one per sample, in range. */
function checkLabels(
  cached: CachedModel,
  count: number,
  labels: number[] | undefined,
  field = 'labels',
): Int32Array | undefined {
  const conditional = Boolean((cached.model as Partial<Autoencoder>).conditional);
  if (!labels) {
    if (conditional)
      throw new HttpError(400, `"${cached.model.kind}" is conditional: give one class per sample`, field);
    return undefined;
  }
  if (labels.length !== count)
    throw new HttpError(400, `expected ${count} labels (one per sample), got ${labels.length}`, field);
  const classes = cached.manifest.context.numClasses;
  labels.forEach((label, i) => {
    if (classes !== undefined && label >= classes)
      throw new HttpError(
        400,
        `expected a class between 0 and ${classes - 1}, got ${label}`,
        `${field}[${i}]`,
      );
  });
  return Int32Array.from(labels);
}

function checkClass(cached: CachedModel, label: number | undefined): void {
  const classes = cached.manifest.context.numClasses;
  if (label !== undefined && classes !== undefined && label >= classes)
    throw new HttpError(400, `expected a class between 0 and ${classes - 1}, got ${label}`, 'class');
}

function flatRows(rows: number[][], width: number, field: string, what: string): Float32Array {
  const out = new Float32Array(rows.length * width);
  rows.forEach((row, i) => {
    if (row.length !== width)
      throw new HttpError(400, `expected ${width} values (${what}), got ${row.length}`, `${field}[${i}]`);
    out.set(row, i * width);
  });
  return out;
}

/** The inputs as a dataset the model can take: sizes checked, table scaling applied as in training. */
function inputDataset(cached: CachedModel, inputs: number[][], labels: number[] | undefined): Dataset {
  refuseSamples(cached, 'inputs');
  const shape = cached.manifest.context.sampleShape;
  const x = flatRows(inputs, perSample(shape), 'inputs', `one sample of shape [${shape}]`);
  const dataset = makeDataset('request', shape, x, checkLabels(cached, inputs.length, labels));
  return cached.manifest.scaling ? applyScaling(dataset, cached.manifest.scaling) : dataset;
}

type Read = { tokenized?: z.output<typeof Tokenized>[]; clips?: z.output<typeof ClipRead>[] };

/**
 * A request's samples, texts or WAV files (the schemas let exactly one through) as a dataset; texts and
 * recordings say how they were read.
 */
async function requestDataset(
  cached: CachedModel,
  body: { inputs?: number[][]; texts?: string[]; audio?: string[]; labels?: number[] },
): Promise<{ dataset: Dataset; field: string } & Read> {
  if (body.audio !== undefined) {
    const labels = checkLabels(cached, body.audio.length, body.labels);
    return { ...(await audioDataset(cached, body.audio, labels)), field: 'audio' };
  }
  if (body.texts === undefined)
    return { dataset: inputDataset(cached, body.inputs ?? [], body.labels), field: 'inputs' };
  const labels = checkLabels(cached, body.texts.length, body.labels);
  return { ...textDataset(cached, body.texts, labels), field: 'texts' };
}

/** What reading the inputs did (texts: tokenizing, recordings: resampling, cutting), for the answer. */
export const readReport = ({ tokenized, clips }: Read) => ({
  ...(tokenized ? { tokenized } : {}),
  ...(clips ? { clips } : {}),
});

/** Model outputs back in the data's units (tables); images as they are. */
function dataUnits(cached: CachedModel, values: Float32Array): Float32Array {
  return cached.manifest.scaling ? invertScaling(values, cached.manifest.scaling) : values;
}

/**
 * Outputs must be finite: JSON would carry NaN and ±Infinity as null, silently. A 422 names the first sample
 * (or path step) at fault and, where one exists, the request field that produced it.
 */
function checkFinite(
  values: Float32Array,
  count: number,
  field?: (i: number) => string,
  what = 'sample',
): Float32Array {
  const width = values.length / count;
  for (let k = 0; k < values.length; k++) {
    if (Number.isFinite(values[k])) continue;
    const i = Math.floor(k / width);
    throw new HttpError(
      422,
      `the model produced non-finite outputs (NaN or ±Infinity) for ${what} ${i}` +
        (field ? ': its inputs are out of the range it works in' : ''),
      field?.(i),
    );
  }
  return values;
}

/**
 * Rows of float32 values as JSON numbers with 9 significant digits: enough to read back the same float32, and
 * about half the text of their float64 expansions (0.490608037 rather than 0.4906080365180969).
 */
export function rows(values: Float32Array, width: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < values.length; i += width) {
    out.push(Array.from(values.subarray(i, i + width), nineDigits));
  }
  return out;
}

// Exact powers of ten (every one up to 1e22 is a double), for nineDigits.
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * A float32 value to 9 significant digits that read back as the same float32, about three times faster than
 * Number(v.toPrecision(9)) (the server writes every output value through it): the digits by one scaled
 * Math.round where the scale is an exact power of ten, kept only if they read back as v, else toPrecision's.
 * The last digit differs from toPrecision's for about 1 value in 100 (v·10^k near a half), never the float32.
 */
function nineDigits(v: number): number {
  const magnitude = Math.abs(v);
  if (magnitude >= 1e-13 && magnitude < 1e9) {
    const k = 8 - Math.floor(Math.log10(magnitude));
    if (k >= 0 && k <= 22) {
      const scale = POWERS_OF_TEN[k];
      const rounded = Math.round(v * scale) / scale;
      if (Math.fround(rounded) === v) return rounded;
    }
  }
  return v === 0 ? 0 : Number(v.toPrecision(9));
}

export interface Outputs {
  /** Flat samples in the data's units. */
  values: Float32Array;
  count: number;
  shape: readonly number[];
  /** PNG grid layout. */
  grid: { rows: number; cols: number };
  /** Text runs: each sample (token ids) as a string. */
  texts?: string[];
}

/** PNG grids of image outputs; audio runs: of their spectrograms, in colour. */
export function gridPng(cached: CachedModel, out: Outputs): Buffer {
  if (cached.manifest.audio) return spectrogramGridPng(cached, out.values, out.count, out.grid.cols);
  const shape = cached.manifest.context.sampleShape;
  if (shape.length !== 3)
    throw new HttpError(
      406,
      `this model's samples have shape [${shape}], not images: ask for JSON`,
      'format',
    );
  return encodeImageGrid(out.values, shape, { ...out.grid, scale: 2 });
}

/** Audio runs: the outputs as WAV files and spectrograms (`iterations` of Griffin-Lim, seeded by `seed`). */
export async function sounds(
  cached: CachedModel,
  out: Outputs,
  iterations: number | undefined,
  seed = 0,
): Promise<Sounds | Record<string, never>> {
  if (!cached.manifest.audio) {
    checkIterations(cached, out.count, iterations);
    return {};
  }
  const { wavs, spectrograms } = await soundsOf(
    cached,
    out.values,
    out.count,
    checkIterations(cached, out.count, iterations),
    seed,
  );
  return { wavs, spectrograms };
}

/** One output as a WAV body (format=wav): audio runs only, one clip only. */
export function wavAnswer(cached: CachedModel, out: Outputs, iterations: number | undefined, seed = 0) {
  if (!cached.manifest.audio)
    throw new HttpError(
      406,
      `"${cached.model.kind}" was not trained on audio: ask for JSON or PNG`,
      'format',
    );
  return wavBody(cached, out.values, out.count, checkIterations(cached, 1, iterations), seed);
}

export async function encode(cached: CachedModel, body: Bodies['encode']) {
  const ae = autoencoder(cached, 'encode');
  const { dataset, field, ...read } = await requestDataset(cached, body);
  const codes = await encodeDataset(ae, dataset);
  checkFinite(codes.data, codes.rows, (i) => `${field}[${i}]`);
  return { codes: rows(codes.data, codes.cols), latentSize: codes.cols, ...readReport(read) };
}

export async function decode(cached: CachedModel, body: Bodies['decode']): Promise<Outputs> {
  const ae = autoencoder(cached, 'decode');
  const codes = flatRows(body.codes, ae.latentSize, 'codes', 'the latent size');
  const labels = checkLabels(cached, body.codes.length, body.labels);
  const values = await withDecoding(cached, body, 0, () =>
    decodeCodes(ae, { rows: body.codes.length, cols: ae.latentSize, data: codes }, 500, labels),
  );
  const cols = body.cols ?? Math.ceil(Math.sqrt(body.codes.length));
  return {
    values: checkFinite(dataUnits(cached, values), body.codes.length, (i) => `codes[${i}]`),
    count: body.codes.length,
    shape: cached.manifest.context.sampleShape,
    grid: { rows: Math.ceil(body.codes.length / cols), cols },
    texts: idsAsTexts(cached, values, body.codes.length),
  };
}

/** A text model's reconstructions: the texts as read, the outputs, and the share of tokens right per text. */
async function reconstructTexts(cached: CachedModel, ae: Autoencoder, body: Bodies['reconstruct']) {
  const { dataset, tokenized } = await requestDataset(cached, body);
  const ids = await withDecoding(cached, body, 0, () => reconstructTokens(ae, dataset));
  const width = dataset.sampleShape[0];
  const accuracy = Array.from({ length: dataset.size }, (_, i) =>
    tokenAccuracy(dataset.x.subarray(i * width, (i + 1) * width), ids.subarray(i * width, (i + 1) * width)),
  );
  const outputs: Outputs = {
    values: ids,
    count: dataset.size,
    shape: dataset.sampleShape,
    grid: { rows: 2, cols: dataset.size },
    texts: idsAsTexts(cached, ids, dataset.size),
  };
  return { outputs, inputTexts: idsAsTexts(cached, dataset.x, dataset.size), tokenized, accuracy };
}

/** Reconstructions and their squared error per sample; the PNG grid shows inputs above reconstructions. */
export async function reconstruct(cached: CachedModel, body: Bodies['reconstruct']) {
  const ae = autoencoder(cached, 'reconstruct');
  if (body.texts) return { text: await reconstructTexts(cached, ae, body) };
  const { dataset, field: named, clips } = await requestDataset(cached, body);
  const per = perSample(dataset.sampleShape);
  const values = new Float32Array(dataset.x.length);
  const mse = new Float32Array(dataset.size);
  for (const batch of batchesOf(dataset, 500)) {
    const [recon, errors] = tf.tidy(() => {
      const r = ae.reconstruct(batch.x, batch.labels);
      return [r, tf.mean(tf.reshape(tf.squaredDifference(batch.x, r), [batch.x.shape[0], -1]), 1)];
    });
    values.set((await recon.data()) as Float32Array, batch.start * per);
    mse.set((await errors.data()) as Float32Array, batch.start);
    tf.dispose([recon, errors]);
    batch.dispose();
  }
  const field = (i: number) => `${named}[${i}]`;
  checkFinite(mse, dataset.size, field);
  const outputs: Outputs = {
    values: checkFinite(dataUnits(cached, values), dataset.size, field),
    count: dataset.size,
    shape: dataset.sampleShape,
    grid: { rows: 2, cols: dataset.size },
  };
  // The inputs as the model took them (recordings: as its features).
  const originals = body.inputs ? Float32Array.from(body.inputs.flat()) : dataset.x;
  return { image: { outputs, mse, originals, clips } };
}

export async function sample(cached: CachedModel, body: Bodies['sample']): Promise<Outputs> {
  let draw: () => Promise<tf.Tensor>;
  const written = cached.model;
  if (writesSentences(written)) {
    // A language model has no prior to draw codes from: it writes from <bos> on.
    draw = async () => written.writeSentences(body.n);
  } else {
    const model = priorOf(cached, body);
    draw = async () => samplePrior(model, body.n, body.seed, body.class);
  }
  const images = await withDecoding(cached, body, body.seed, draw);
  const values = (await images.data()) as Float32Array;
  images.dispose();
  return sampleOutputs(cached, body, values);
}

/** The model to draw a sample request from, its class checked. */
export function priorOf(cached: CachedModel, body: Bodies['sample']): GenerativeModel {
  const model = generative(cached, 'sample');
  checkClass(cached, body.class);
  return model;
}

/** A sample request's outputs from the values drawn for it; conditional draws of every class: a row each. */
export function sampleOutputs(cached: CachedModel, body: Bodies['sample'], values: Float32Array): Outputs {
  const model = cached.model as Partial<GenerativeModel>;
  const classRows =
    !writesSentences(cached.model) && model.conditional && body.class === undefined
      ? (model.context?.numClasses ?? 10)
      : 0;
  const cols = classRows ? Math.ceil(body.n / classRows) : Math.ceil(Math.sqrt(body.n));
  return {
    values: checkFinite(dataUnits(cached, values), body.n),
    count: body.n,
    shape: cached.manifest.context.sampleShape,
    grid: { rows: Math.ceil(body.n / cols), cols },
    texts: idsAsTexts(cached, values, body.n),
  };
}

function checkRow(row: number[], width: number, field: string, what: string): Float32Array {
  if (row.length !== width)
    throw new HttpError(400, `expected ${width} values (${what}), got ${row.length}`, field);
  return Float32Array.from(row);
}

/** A decoded path between two ends (interpolationPath says which space it runs through and what decodes it). */
export async function interpolate(cached: CachedModel, body: Bodies['interpolate']) {
  const path = await pathOf(cached, body);
  const images = await withDecoding(cached, body, 0, async () => decodePath(path, body.class ?? 0));
  const values = (await images.data()) as Float32Array;
  images.dispose();
  return pathOutputs(cached, body, path, values);
}

/** A request's path between its two ends, not yet decoded. */
export async function pathOf(cached: CachedModel, body: Bodies['interpolate']): Promise<InterpolationPath> {
  if (!isAutoencoder(cached.model) && !isGenerative(cached.model))
    throw new HttpError(
      400,
      `interpolate needs a latent space (an encoder or a prior); "${cached.model.kind}" has none`,
      'run',
    );
  checkClass(cached, body.class);
  const toEnd = async (name: 'from' | 'to'): Promise<{ end: PathEnd; field: string }> => {
    const end = body[name];
    if (end.code) return { end: { code: Float32Array.from(end.code) }, field: `${name}.code` };
    if (end.text !== undefined) {
      const conditional = isAutoencoder(cached.model) && cached.model.conditional;
      const labels = conditional ? Int32Array.of(body.class ?? 0) : undefined;
      const { dataset } = textDataset(cached, [end.text], labels, `${name}.text`);
      return { end: { sample: dataset }, field: `${name}.text` };
    }
    if (end.audio !== undefined) {
      const conditional = isAutoencoder(cached.model) && cached.model.conditional;
      const labels = conditional ? Int32Array.of(body.class ?? 0) : undefined;
      const { dataset } = await audioDataset(cached, [end.audio], labels, `${name}.audio`, true);
      return { end: { sample: dataset }, field: `${name}.audio` };
    }
    if (end.input) {
      refuseSamples(cached, `${name}.input`);
      const shape = cached.manifest.context.sampleShape;
      checkRow(end.input, perSample(shape), `${name}.input`, `one sample of shape [${shape}]`);
      const conditional = isAutoencoder(cached.model) && cached.model.conditional;
      const sample = inputDataset(cached, [end.input], conditional ? [body.class ?? 0] : undefined);
      return { end: { sample }, field: `${name}.input` };
    }
    return { end: { seed: end.seed ?? 0 }, field: `${name}.seed` };
  };
  const from = await toEnd('from');
  const to = await toEnd('to');
  return interpolationPath(cached.model, [from.end, to.end], {
    steps: body.steps,
    slerp: body.slerp,
    fields: { model: 'run', ends: [from.field, to.field] },
  });
}

/** An interpolation's answer from its path and the values decoded from it. */
export function pathOutputs(
  cached: CachedModel,
  body: Bodies['interpolate'],
  path: InterpolationPath,
  values: Float32Array,
) {
  checkFinite(path.codes, body.steps, undefined, 'step');
  const outputs: Outputs = {
    values: checkFinite(dataUnits(cached, values), body.steps, undefined, 'step'),
    count: body.steps,
    shape: cached.manifest.context.sampleShape,
    grid: { rows: 1, cols: body.steps },
    texts: idsAsTexts(cached, values, body.steps),
  };
  return { outputs, codes: rows(path.codes, path.latent) };
}

/**
 * The model's own data could not be loaded, as a 400 on `field`. Data sources quote what they could not read (a
 * header, a cell), so for data read from files the answer says where it failed, not why.
 */
function dataUnavailable(cached: CachedModel, error: unknown, what: string, field: string): HttpError {
  const spec = DataSpec.safeParse(cached.manifest.data);
  const fromFiles =
    spec.success &&
    (spec.data.source === 'csv' || spec.data.source === 'images' || spec.data.source === 'idx');
  const reason =
    fromFiles && !(error instanceof LatentlabError && error.code !== 'data')
      ? `${error instanceof LatentlabError && error.path ? error.path : formatDataSpec(spec.data)} cannot be read as ` +
        `${spec.data.source} data (the reason is not shown, as it may quote the file: latentlab detect on the run shows it)`
      : (error as Error).message;
  return new HttpError(400, `${what}: ${reason}`, field);
}

/** A library error about the score (wrong model for it, data out of its range) as a 400 naming `score`. */
function asScoreError(error: unknown): never {
  if (error instanceof LatentlabError && (error.code === 'config' || error.code === 'data'))
    throw new HttpError(400, error.message.replace(/^score: /, ''), 'score');
  throw error;
}

/**
 * The scorer for a request; the scores fitted to codes of the model's training split (mahalanobis, knn) are
 * kept with the model, one per score.
 */
async function scorerFor(cached: CachedModel, body: Bodies['score']): Promise<AnomalyScorer> {
  const score = body.score;
  if (score !== 'mahalanobis' && score !== 'knn')
    return anomalyScorer(cached.model, score, { seed: body.seed, elboSamples: body.elboSamples }).catch(
      asScoreError,
    );
  const memo = cached.memo.get(score) as AnomalyScorer | undefined;
  if (memo) return memo;
  autoencoder(cached, `the ${score} score`);
  const splits = await modelData(cached).catch((error) => {
    throw dataUnavailable(cached, error, `${score} needs the model's training data`, 'score');
  });
  const scorer = await anomalyScorer(cached.model, score, { fit: splits.train }).catch(asScoreError);
  cached.memo.set(score, scorer);
  return scorer;
}

/** Scores of the run's validation split (normal data held out from training), kept with the model. */
async function calibrationScores(
  cached: CachedModel,
  body: Bodies['score'],
  scorer: AnomalyScorer,
): Promise<{ scores: Float32Array; name: string }> {
  const key = `calibration:${body.score}:${body.seed}:${body.elboSamples}`;
  const memo = cached.memo.get(key) as { scores: Float32Array; name: string } | undefined;
  if (memo) return memo;
  const splits = await modelData(cached).catch((error) => {
    throw dataUnavailable(cached, error, "a threshold needs the model's validation data", 'quantile');
  });
  const calibration = { scores: await scorer.scores(splits.validation), name: splits.validation.name };
  cached.memo.set(key, calibration);
  return calibration;
}

/** Scores of a request's samples; with a quantile or contamination, the threshold and a flag per sample. */
export interface Scored {
  dataset: Dataset;
  scores: Float32Array;
  threshold?: ReturnType<typeof calibrateThreshold> & { calibration: string };
  flags?: Array<0 | 1>;
  clips?: z.output<typeof ClipRead>[];
}

export async function score(cached: CachedModel, body: Bodies['score']): Promise<Scored> {
  if (cached.manifest.text && (body.score === 'mse' || body.score === 'bce'))
    throw new HttpError(
      400,
      `"${body.score}" measures distances between samples, which token ids have none: score text by ${capabilities(cached).scores.join(', ')}`,
      'score',
    );
  const scorer = await scorerFor(cached, body);
  const { dataset, field, clips } = await requestDataset(cached, body);
  const scores = checkFinite(
    await scorer.scores(dataset).catch(asScoreError),
    dataset.size,
    (i) => `${field}[${i}]`,
  );
  if (body.quantile === undefined && body.contamination === undefined) return { dataset, scores, clips };
  const calibration = await calibrationScores(cached, body, scorer);
  const threshold = calibrateThreshold(
    calibration.scores,
    body.contamination !== undefined
      ? { contamination: body.contamination }
      : { quantile: body.quantile ?? 0 },
  );
  const flags = Array.from(scores, (s) => (s > threshold.value ? 1 : 0));
  return { dataset, scores, threshold: { ...threshold, calibration: calibration.name }, flags, clips };
}

/** Heat maps of the per-pixel error of every input (original | reconstruction | error), one row each. */
export async function scoreHeatmaps(
  cached: CachedModel,
  dataset: Dataset,
  kind: AnomalyScore,
): Promise<Buffer> {
  const ae = autoencoder(cached, 'error heat maps');
  if (dataset.sampleShape.length !== 3)
    throw new HttpError(
      406,
      `this model's samples have shape [${dataset.sampleShape}], not images: ask for JSON`,
      'format',
    );
  const ids = Array.from({ length: dataset.size }, (_, i) => i);
  return (await anomalyHeatmaps(ae, dataset, ids, kind)).png;
}
