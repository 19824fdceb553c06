// ADBench's unsupervised protocol (Han et al. 2022) on every .npz in a folder: per seed a stratified 70/30 split,
// detectors fitted on the 70% without labels (standardised by its statistics), AUROC and AUPRC on the 30%;
// latentlab's detectors beside the classical ones, written as anomaly-benchmark.{md,json}.
import { readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { makeDataset, splitData } from '../data/dataset.js';
import { permutation } from '../data/random.js';
import { applyScaling, fitScaling } from '../data/scaling.js';
import { ensureBackend } from '../engine/backend.js';
import { DataError, parseOrThrow } from '../errors.js';
import { auprc, auroc } from '../eval/anomaly.js';
import { encodeDataset, reconstructDataset, requireAutoencoder } from '../eval/codes.js';
import { DeepSvdd } from '../eval/detectors/deep-svdd.js';
import { checkColumns, type Detector, fitted } from '../eval/detectors/detector.js';
import { EcodDetector } from '../eval/detectors/ecod.js';
import { IsolationForest } from '../eval/detectors/iforest.js';
import { KnnDetector, LofDetector } from '../eval/detectors/knn.js';
import { nearestNeighbours } from '../eval/detectors/neighbours.js';
import { OneClassSvm } from '../eval/detectors/ocsvm.js';
import { PcaDetector } from '../eval/detectors/pca.js';
import type { Matrix } from '../io/arrays.js';
import { writeFileAtomic } from '../io/atomic.js';
import { markdownTable } from '../io/markdown.js';
import { type LabelledTable, labelledTable, readNpz } from '../io/numpy.js';
import type { Autoencoder } from '../models/family.js';
import { parseModelConfig } from '../models/registry.js';
import { defaultEpochs, TrainConfig } from '../train/config.js';
import { trainLoop } from '../train/trainer.js';
import { LATENTLAB_VERSION } from '../version.js';

/** The classical detectors (implemented in eval/detectors, checked against scikit-learn and PyOD). */
export const CLASSICAL_DETECTORS = ['iforest', 'ecod', 'knn', 'lof', 'pca', 'ocsvm'] as const;
/** latentlab's own: the dense autoencoder and VAE families (plain, and ae-tails), and Deep SVDD. */
export const LATENTLAB_DETECTORS = ['ae-tails', 'ae', 'vae', 'deep-svdd'] as const;
export const DETECTORS = [...LATENTLAB_DETECTORS, ...CLASSICAL_DETECTORS] as const;
export const DetectorName = z.enum(DETECTORS, {
  error: (issue) =>
    `unknown detector ${JSON.stringify(issue.input)}: expected one of ${DETECTORS.join(', ')}`,
});
export type DetectorName = z.infer<typeof DetectorName>;

export const BenchmarkAnomalyOptions = z.strictObject({
  /** A folder of .npz files, each with X (rows, features) and y (1 = anomaly). */
  data: z.string().min(1),
  /** Where anomaly-benchmark.md and .json go. */
  out: z.string().min(1),
  seeds: z.number().int().min(1).max(100).default(3),
  detectors: z
    .array(DetectorName)
    .min(1)
    .default([...DETECTORS]),
  /**
   * Score on a stratified 30% of the training part instead of the test part: for choosing defaults without
   * looking at the test rows (the test part is then not used at all).
   */
  development: z.boolean().default(false),
});
export type BenchmarkAnomalyOptions = z.input<typeof BenchmarkAnomalyOptions>;

/** Share of each class held out for scoring (ADBench's 30%). */
export const TEST_FRACTION = 0.3;

// ---- latentlab's autoencoder detectors ----

export interface AutoencoderDetectorOptions {
  /** The family: dense-ae or vae (Gaussian likelihood, linear output). */
  kind: 'dense-ae' | 'vae';
  /** Models trained (seeds 1000·seed + 0, 1, ...) whose standardised scores are averaged. */
  members: number;
  /** Share of the features each member sees, drawn per member (feature bagging); 1 = all. */
  featureFraction: number;
  /** Divide each feature's squared error by its mean over the training rows, so every feature counts alike. */
  perFeature: boolean;
  /** Add the standardised distance to the k-th nearest training code (0: reconstruction error only). */
  codeNeighbours: number;
  /** Code width as a share of the features seen (at least 2). */
  latentShare: number;
  hidden: number[];
  /** Gaussian input noise (train time only) as a share of the standardised scale; 0 = none. */
  noise: number;
  /**
   * How a member turns a row into a score: `error`, its (standardised) reconstruction error (plus code k-NN);
   * `tails`, ECOD's tail probabilities over the row's code and its per-feature residuals, so a row extreme along
   * the learned manifold (code) or off it (residual) scores high.
   */
  combine: 'error' | 'tails';
  /** With `tails`: the row's own (standardised) features too, beside its code and residuals. */
  tailsOfInputs: boolean;
}

const PLAIN: Omit<AutoencoderDetectorOptions, 'kind'> = {
  members: 1,
  featureFraction: 1,
  perFeature: false,
  codeNeighbours: 0,
  latentShare: 0.5,
  hidden: [64],
  noise: 0,
  combine: 'error',
  tailsOfInputs: false,
};

/**
 * Defaults of the autoencoder detectors, one setting for every table: a hidden layer of 64 and a code of half
 * the features (at least 2), so the code cannot copy the row and rare rows reconstruct worst; a linear output
 * for standardised features; early stopping on a tenth of the training rows, so small tables do not overfit.
 */
function autoencoderConfig(o: AutoencoderDetectorOptions, features: number): Record<string, unknown> {
  const latent = Math.max(2, Math.ceil(features * o.latentShare));
  const noise = o.noise > 0 ? { type: 'gaussian', level: o.noise } : undefined;
  return o.kind === 'dense-ae'
    ? { kind: 'dense-ae', hidden: o.hidden, latent, outputActivation: 'linear', ...(noise ? { noise } : {}) }
    : { kind: 'vae', hidden: o.hidden, latent, likelihood: 'gaussian', outputActivation: 'linear' };
}

/**
 * ae-tails: three dense autoencoders (seeds seed·1000 + 0, 1, 2), each scoring a row by ECOD's tail
 * probabilities over its standardised features, its code and its per-feature residuals; the members' scores
 * standardised and averaged. Chosen on the development split (a stratified 30% of each seed's training part,
 * the test part unseen): see docs/tables/anomaly-benchmark.md.
 */
export const AE_TAILS: Partial<AutoencoderDetectorOptions> & Pick<AutoencoderDetectorOptions, 'kind'> = {
  kind: 'dense-ae',
  members: 3,
  combine: 'tails',
  tailsOfInputs: true,
};

/** Mean and standard deviation of `values` (sd 1 when they do not vary). */
function moments(values: ArrayLike<number>): { mean: number; sd: number } {
  let m = 0;
  for (let i = 0; i < values.length; i++) m += values[i];
  m /= values.length;
  let v = 0;
  for (let i = 0; i < values.length; i++) v += (values[i] - m) ** 2;
  const sd = Math.sqrt(v / values.length);
  return { mean: m, sd: sd > 0 ? sd : 1 };
}

interface Member {
  model: Autoencoder;
  features: Int32Array;
  /** per feature seen: mean squared error over the training rows (1 when perFeature is off) */
  featureScale: Float64Array;
  codes?: Matrix;
  tails?: EcodDetector;
  errorMoments: { mean: number; sd: number };
  codeMoments?: { mean: number; sd: number };
}

function columns(x: Matrix, features: Int32Array): Matrix {
  const data = new Float32Array(x.rows * features.length);
  for (let i = 0; i < x.rows; i++)
    for (let k = 0; k < features.length; k++)
      data[i * features.length + k] = x.data[i * x.cols + features[k]];
  return { rows: x.rows, cols: features.length, data };
}

/** Squared error per row and feature, [rows, features]. */
async function squaredErrors(model: Autoencoder, x: Matrix): Promise<Float64Array> {
  const recon = await reconstructDataset(model, makeDataset('rows', [x.cols], x.data));
  return Float64Array.from(x.data, (v, i) => (v - recon[i]) ** 2);
}

/**
 * Autoencoders of the registry (dense-ae, vae) as detectors, trained by the one training loop: a row's score is
 * its reconstruction error (optionally per feature, plus code-space k-NN), averaged over members after each
 * member's scores are standardised by its training scores (RandNet's ensemble, Chen et al. 2017).
 */
export class AutoencoderDetector implements Detector {
  private state?: { members: Member[]; cols: number };
  readonly options: AutoencoderDetectorOptions;
  constructor(
    readonly name: string,
    options: Partial<AutoencoderDetectorOptions> & Pick<AutoencoderDetectorOptions, 'kind'>,
    private readonly seed: number,
  ) {
    this.options = { ...PLAIN, ...options };
  }

  private async trainMember(x: Matrix, seed: number): Promise<Autoencoder> {
    const { family, config } = parseModelConfig(autoencoderConfig(this.options, x.cols), this.name);
    const splits = splitData(
      { name: this.name, sampleShape: [x.cols], train: { x: x.data } },
      { validationFraction: 0.1, testFraction: 0, seed },
    );
    const batchSize = 128;
    const train = parseOrThrow(
      TrainConfig,
      {
        epochs: defaultEpochs(splits.train.size, batchSize),
        batchSize,
        earlyStopping: { patience: 20, minDelta: 0 },
        validationFraction: 0.1,
        previewCount: 0,
      },
      this.name,
    );
    const model = family.build(config, { sampleShape: [x.cols], seed });
    const runDir = await mkdtemp(join(tmpdir(), 'latentlab-anomaly-'));
    try {
      await trainLoop({ model, splits, train, seed, runDir, lossChartSeconds: 3600 });
    } catch (error) {
      model.dispose();
      throw error;
    } finally {
      await rm(runDir, { recursive: true, force: true });
    }
    return requireAutoencoder(model, this.name);
  }

  /** Per row: the member's error score and its k-th neighbour distance in code space (raw). */
  private async memberScores(
    member: Omit<Member, 'errorMoments' | 'codeMoments'>,
    x: Matrix,
    excludeSelf: boolean,
  ): Promise<{ errors: Float64Array; codeDistances?: Float64Array; codes?: Matrix; tails?: EcodDetector }> {
    const seen = columns(x, member.features);
    const d = seen.cols;
    if (this.options.combine === 'tails') {
      const recon = await reconstructDataset(member.model, makeDataset('rows', [d], seen.data));
      const codes = await encodeDataset(member.model, makeDataset('rows', [d], seen.data));
      const inputs = this.options.tailsOfInputs ? d : 0;
      const width = codes.cols + d + inputs;
      const features = new Float32Array(x.rows * width);
      for (let i = 0; i < x.rows; i++) {
        features.set(codes.data.subarray(i * codes.cols, (i + 1) * codes.cols), i * width);
        for (let k = 0; k < d; k++)
          features[i * width + codes.cols + k] = seen.data[i * d + k] - recon[i * d + k];
        if (inputs) features.set(seen.data.subarray(i * d, (i + 1) * d), i * width + codes.cols + d);
      }
      const rows: Matrix = { rows: x.rows, cols: width, data: features };
      const tails = member.tails ?? new EcodDetector();
      if (!member.tails) await tails.fit(rows);
      return { errors: await tails.score(rows), tails };
    }
    const squared = await squaredErrors(member.model, seen);
    const errors = new Float64Array(x.rows);
    for (let i = 0; i < x.rows; i++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += squared[i * d + k] / member.featureScale[k];
      errors[i] = s / d;
    }
    const k = this.options.codeNeighbours;
    if (k === 0) return { errors };
    const codes = await encodeDataset(member.model, makeDataset('rows', [d], seen.data));
    const reference = member.codes ?? codes;
    const kk = Math.min(k, reference.rows - (excludeSelf ? 1 : 0));
    const { distances } = nearestNeighbours(codes, reference, kk, excludeSelf);
    return {
      errors,
      codes,
      codeDistances: Float64Array.from({ length: x.rows }, (_, i) => distances[i * kk + kk - 1]),
    };
  }

  async fit(x: Matrix): Promise<void> {
    this.dispose();
    const o = this.options;
    const members: Member[] = [];
    try {
      for (let m = 0; m < o.members; m++) {
        const seed = this.seed * 1000 + m;
        const take = Math.max(1, Math.round(x.cols * o.featureFraction));
        const features = Int32Array.from(permutation(x.cols, seed + 77).subarray(0, take)).sort();
        const model = await this.trainMember(columns(x, features), seed);
        const partial = { model, features, featureScale: new Float64Array(take).fill(1) };
        if (o.perFeature) {
          const squared = await squaredErrors(model, columns(x, features));
          const scale = new Float64Array(take);
          for (let i = 0; i < x.rows; i++)
            for (let k = 0; k < take; k++) scale[k] += squared[i * take + k] / x.rows;
          partial.featureScale = scale.map((v) => Math.max(v, 1e-6));
        }
        const own = await this.memberScores(partial, x, true);
        members.push({
          ...partial,
          codes: own.codes,
          tails: own.tails,
          errorMoments: moments(own.errors),
          codeMoments: own.codeDistances ? moments(own.codeDistances) : undefined,
        });
      }
    } catch (error) {
      for (const member of members) member.model.dispose();
      throw error;
    }
    this.state = { members, cols: x.cols };
  }

  async score(x: Matrix): Promise<Float64Array> {
    const { members, cols } = fitted(this.state, this.name);
    checkColumns(x, cols, this.name);
    const total = new Float64Array(x.rows);
    for (const member of members) {
      const { errors, codeDistances } = await this.memberScores(member, x, false);
      for (let i = 0; i < x.rows; i++) {
        total[i] += (errors[i] - member.errorMoments.mean) / member.errorMoments.sd;
        if (codeDistances && member.codeMoments)
          total[i] += (codeDistances[i] - member.codeMoments.mean) / member.codeMoments.sd;
      }
    }
    return total.map((v) => v / members.length);
  }

  dispose(): void {
    for (const member of this.state?.members ?? []) member.model.dispose();
    this.state = undefined;
  }
}

/** A detector by name at its defaults; `seed` seeds whatever it draws. */
export function makeDetector(name: DetectorName, seed: number): Detector {
  switch (name) {
    case 'iforest':
      return new IsolationForest({ seed });
    case 'ecod':
      return new EcodDetector();
    case 'knn':
      return new KnnDetector();
    case 'lof':
      return new LofDetector();
    case 'pca':
      return new PcaDetector();
    case 'ocsvm':
      return new OneClassSvm();
    case 'deep-svdd':
      return new DeepSvdd({ seed });
    case 'ae':
      return new AutoencoderDetector(name, { kind: 'dense-ae' }, seed);
    case 'vae':
      return new AutoencoderDetector(name, { kind: 'vae' }, seed);
    case 'ae-tails':
      return new AutoencoderDetector(name, AE_TAILS, seed);
  }
}

// ---- the protocol ----

/**
 * Row indices of a stratified split: of each class, a seeded random `testFraction` (rounded) goes to test, the
 * rest to train; each part in ascending order.
 */
export function stratifiedSplit(
  y: ArrayLike<number>,
  testFraction: number,
  seed: number,
): { train: Int32Array; test: Int32Array } {
  const train: number[] = [];
  const test: number[] = [];
  for (const label of [0, 1]) {
    const members = Array.from(y, (v, i) => (v === label ? i : -1)).filter((i) => i >= 0);
    const order = permutation(members.length, seed * 2 + label);
    const nTest = Math.round(members.length * testFraction);
    order.forEach((k, position) => {
      (position < nTest ? test : train).push(members[k]);
    });
  }
  const sorted = (v: number[]) => Int32Array.from(v).sort();
  return { train: sorted(train), test: sorted(test) };
}

function rowsOf(table: LabelledTable, indices: Int32Array): { x: Matrix; y: Uint8Array } {
  const x = new Float32Array(indices.length * table.cols);
  indices.forEach((r, i) => {
    x.set(table.x.subarray(r * table.cols, (r + 1) * table.cols), i * table.cols);
  });
  return {
    x: { rows: indices.length, cols: table.cols, data: x },
    y: Uint8Array.from(indices, (r) => table.y![r]),
  };
}

/** Training rows standardised by their own statistics, and the scored rows by the same. */
function standardised(train: Matrix, test: Matrix): { train: Matrix; test: Matrix } {
  const scaling = fitScaling(makeDataset('train', [train.cols], train.data), 'standard');
  const apply = (m: Matrix): Matrix => ({
    ...m,
    data: applyScaling(makeDataset('rows', [m.cols], m.data), scaling).x,
  });
  return { train: apply(train), test: apply(test) };
}

const Figures = z.object({
  auroc: z.array(z.number()),
  auprc: z.array(z.number()),
  /** Fit plus score, per seed. */
  seconds: z.array(z.number()),
});

export const AnomalyBenchmarkReport = z.object({
  kind: z.literal('anomaly-benchmark'),
  version: z.string(),
  protocol: z.string(),
  data: z.string(),
  seeds: z.number().int(),
  development: z.boolean(),
  detectors: z.array(DetectorName),
  datasets: z.array(
    z.object({
      name: z.string(),
      rows: z.number().int(),
      features: z.number().int(),
      anomalies: z.number().int(),
      results: z.record(z.string(), Figures),
    }),
  ),
  summary: z.record(
    z.string(),
    z.object({ meanAuroc: z.number(), meanAuprc: z.number(), meanRank: z.number(), seconds: z.number() }),
  ),
});
export type AnomalyBenchmarkReport = z.infer<typeof AnomalyBenchmarkReport>;

const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length;
/** Sample standard deviation (n − 1), 0 for one value. */
const sd = (v: readonly number[]) =>
  v.length < 2 ? 0 : Math.sqrt(v.reduce((a, b) => a + (b - mean(v)) ** 2, 0) / (v.length - 1));

/** Ranks of values, 1 for the largest, ties sharing the mean of their ranks. */
export function ranksDescending(values: readonly number[]): number[] {
  return values.map((v) => {
    const above = values.filter((w) => w > v).length;
    const equal = values.filter((w) => w === v).length;
    return above + (equal + 1) / 2;
  });
}

export function summarise(
  detectors: readonly DetectorName[],
  datasets: AnomalyBenchmarkReport['datasets'],
): AnomalyBenchmarkReport['summary'] {
  const ranks = datasets.map((d) => ranksDescending(detectors.map((name) => mean(d.results[name].auroc))));
  return Object.fromEntries(
    detectors.map((name, k) => [
      name,
      {
        meanAuroc: mean(datasets.map((d) => mean(d.results[name].auroc))),
        meanAuprc: mean(datasets.map((d) => mean(d.results[name].auprc))),
        meanRank: mean(ranks.map((r) => r[k])),
        seconds: datasets.reduce((s, d) => s + d.results[name].seconds.reduce((a, b) => a + b, 0), 0),
      },
    ]),
  );
}

/** The per-data-set table (AUROC mean ± sd over seeds, best in bold) and the summary, as Markdown. */
export function benchmarkMarkdown(report: AnomalyBenchmarkReport, command?: string): string {
  const { detectors } = report;
  const bold = (cell: string, best: boolean) => (best ? `**${cell}**` : cell);
  const rows = report.datasets.map((d) => {
    const means = detectors.map((name) => mean(d.results[name].auroc));
    const best = Math.max(...means.map((m) => Number(m.toFixed(3))));
    return [
      d.name,
      ...detectors.map((name, k) =>
        bold(
          `${means[k].toFixed(3)} ± ${sd(d.results[name].auroc).toFixed(3)}`,
          Number(means[k].toFixed(3)) === best,
        ),
      ),
    ];
  });
  const summaryRow = (
    label: string,
    pick: (s: AnomalyBenchmarkReport['summary'][string]) => number,
    digits: number,
    lowIsBest = false,
  ) => {
    const values = detectors.map((name) => Number(pick(report.summary[name]).toFixed(digits)));
    const best = lowIsBest ? Math.min(...values) : Math.max(...values);
    return [`**${label}**`, ...values.map((v) => bold(v.toFixed(digits), v === best))];
  };
  const lines = [
    '# Anomaly benchmark',
    '',
    report.protocol,
    '',
    ...(command ? ['```', command, '```', ''] : []),
    `AUROC on the ${report.development ? 'development' : 'test'} part, mean ± sd over ${report.seeds} seed(s); best per row in bold.`,
    '',
    markdownTable(
      ['data set', ...detectors],
      [
        ...rows,
        summaryRow('mean AUROC', (s) => s.meanAuroc, 3),
        summaryRow('mean AUPRC', (s) => s.meanAuprc, 3),
        summaryRow('mean rank', (s) => s.meanRank, 2, true),
        ['time (s)', ...detectors.map((name) => report.summary[name].seconds.toFixed(1))],
      ],
    ),
    '',
  ];
  return lines.join('\n');
}

/** The .npz files of `dir`, sorted by name, or a DataError saying what is wrong with the folder. */
export function npzFiles(dir: string): string[] {
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory())
      throw new DataError('expected a folder of .npz files, got a file', { path: dir });
    entries = readdirSync(dir);
  } catch (error) {
    if (error instanceof DataError) throw error;
    throw new DataError(`cannot read the folder (${(error as NodeJS.ErrnoException).code ?? error})`, {
      path: dir,
      cause: error,
    });
  }
  const files = entries.filter((f) => f.toLowerCase().endsWith('.npz')).sort();
  if (files.length === 0)
    throw new DataError('no .npz files here: expected numpy archives with X (features) and y (1 = anomaly)', {
      path: dir,
    });
  return files.map((f) => join(dir, f));
}

/** A data set's name in the report: its file's, without .npz. */
export const datasetName = (file: string) => basename(file).replace(/\.npz$/i, '');

/** One archive as a labelled table, with both classes present (AUROC needs anomalies and normal rows). */
export async function readAnomalyTable(file: string): Promise<LabelledTable & { y: Uint8Array }> {
  const table = labelledTable(readNpz(await readFile(file), file), file);
  if (!table.y)
    throw new DataError('no array named y: the benchmark needs labels (1 = anomaly) to judge the scores', {
      path: file,
    });
  const anomalies = table.y.reduce((a, b) => a + b, 0);
  if (anomalies < 2 || table.rows - anomalies < 2)
    throw new DataError(`needs at least 2 anomalies and 2 normal rows, got ${anomalies} of ${table.rows}`, {
      path: file,
    });
  return table as LabelledTable & { y: Uint8Array };
}

/** What one detector came to on one seed's split of one data set: a cell of the benchmark. */
export type CellFigures = { auroc: number; auprc: number; seconds: number };

/**
 * One cell of the benchmark: seed `seed`'s stratified split of `table` (with `development`, the training part
 * split again and the test part unused), `detector` fitted on the standardised training rows without labels and
 * judged on the scored rows. `latentlab benchmark anomaly` and the sweep's cells both come here.
 */
export async function anomalyCell(
  table: LabelledTable & { y: Uint8Array },
  detector: DetectorName,
  seed: number,
  development: boolean,
): Promise<CellFigures> {
  const outer = stratifiedSplit(table.y, TEST_FRACTION, seed);
  let trainRows = outer.train;
  let scoredRows = outer.test;
  if (development) {
    // The test part is set aside; the training part is split again the same way.
    const inner = stratifiedSplit(
      Uint8Array.from(outer.train, (r) => table.y[r]),
      TEST_FRACTION,
      seed + 1000,
    );
    trainRows = Int32Array.from(inner.train, (i) => outer.train[i]);
    scoredRows = Int32Array.from(inner.test, (i) => outer.train[i]);
  }
  const train = rowsOf(table, trainRows);
  const scored = rowsOf(table, scoredRows);
  const scaled = standardised(train.x, scored.x);
  const started = performance.now();
  const fittedDetector = makeDetector(detector, seed);
  try {
    await fittedDetector.fit(scaled.train);
    const scores = await fittedDetector.score(scaled.test);
    return {
      auroc: auroc(scores, scored.y),
      auprc: auprc(scores, scored.y),
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    fittedDetector.dispose?.();
  }
}

/** The report of a finished benchmark (every cell of `datasets` filled, seeds in order), summary included. */
export function anomalyReport(
  settings: { data: string; seeds: number; development: boolean; detectors: DetectorName[] },
  datasets: AnomalyBenchmarkReport['datasets'],
): AnomalyBenchmarkReport {
  return AnomalyBenchmarkReport.parse({
    kind: 'anomaly-benchmark',
    version: LATENTLAB_VERSION,
    protocol:
      `ADBench's unsupervised protocol: per seed a stratified ${100 - 100 * TEST_FRACTION}/${100 * TEST_FRACTION} split, ` +
      'detectors fitted on the training part without labels (features standardised by its statistics), ' +
      `scored on the ${settings.development ? 'development part (a stratified 30% of the training part; the test part unused)' : 'test part'}.`,
    data: settings.data,
    seeds: settings.seeds,
    development: settings.development,
    detectors: settings.detectors,
    datasets,
    summary: summarise(settings.detectors, datasets),
  });
}

/** Write DIR/anomaly-benchmark.md and .json (each atomically). */
export async function writeAnomalyReport(
  dir: string,
  report: AnomalyBenchmarkReport,
  command?: string,
): Promise<{ markdown: string; json: string }> {
  const out = { markdown: join(dir, 'anomaly-benchmark.md'), json: join(dir, 'anomaly-benchmark.json') };
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(out.markdown, benchmarkMarkdown(report, command));
  await writeFileAtomic(out.json, `${JSON.stringify(report, null, 2)}\n`);
  return out;
}

export interface BenchmarkAnomalyResult {
  report: AnomalyBenchmarkReport;
  files: { markdown: string; json: string };
}

export async function benchmarkAnomaly(
  raw: BenchmarkAnomalyOptions,
  hooks: { onLine?: (line: string) => void; command?: string } = {},
): Promise<BenchmarkAnomalyResult> {
  const options = parseOrThrow(BenchmarkAnomalyOptions, raw);
  const say = hooks.onLine ?? (() => undefined);
  const files = npzFiles(options.data);
  // Read every archive first, so a bad one fails before minutes of training.
  const tables = await Promise.all(files.map(readAnomalyTable));
  await ensureBackend();
  const datasets: AnomalyBenchmarkReport['datasets'] = [];
  for (const [f, table] of tables.entries()) {
    const name = datasetName(files[f]);
    const anomalies = table.y.reduce((a, b) => a + b, 0);
    say(
      `[${f + 1}/${tables.length}] ${name}: ${table.rows} rows, ${table.cols} features, ${((100 * anomalies) / table.rows).toFixed(1)}% anomalies`,
    );
    const results: Record<string, z.infer<typeof Figures>> = Object.fromEntries(
      options.detectors.map((d) => [d, { auroc: [], auprc: [], seconds: [] }]),
    );
    for (let seed = 0; seed < options.seeds; seed++)
      for (const detector of options.detectors) {
        const cell = await anomalyCell(table, detector, seed, options.development);
        results[detector].auroc.push(cell.auroc);
        results[detector].auprc.push(cell.auprc);
        results[detector].seconds.push(cell.seconds);
      }
    say(`  ${options.detectors.map((d) => `${d} ${mean(results[d].auroc).toFixed(3)}`).join('  ')}`);
    datasets.push({ name, rows: table.rows, features: table.cols, anomalies, results });
  }
  const report = anomalyReport(
    {
      data: options.data,
      seeds: options.seeds,
      development: options.development,
      detectors: options.detectors,
    },
    datasets,
  );
  return { report, files: await writeAnomalyReport(options.out, report, hooks.command) };
}
