// Embeddings: a model's codes for any dataset as a file, a 2-D map of them (PCA, or UMAP from umap-js) drawn as a
// scatter coloured by label, and representation quality (linear probe, k-means NMI) beside PCA of the same size
// (for text: PCA of the TF-IDF bag of words, since PCA of token ids by position means nothing; for audio: PCA of
// the MFCCs, the classical speech features).
// `latentlab embed` is the shell over embedRun.
import { mkdir } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import { UMAP } from 'umap-js';
import { z } from 'zod';
import { type DataSplits, type Dataset, head, makeDataset, sampleSize } from '../data/dataset.js';
import { createRng } from '../data/random.js';
import { DataSpec, formatDataSpec } from '../data/spec.js';
import { isStreamedSpec } from '../data/stream/sources.js';
import { ConfigError, DataError, parseOrThrow } from '../errors.js';
import { clusteringNmi } from '../eval/clustering.js';
import { encodeDataset, requireAutoencoder } from '../eval/codes.js';
import { fitPca, pcaTransform } from '../eval/pca.js';
import {
  fitMfccPcaBaseline,
  type LinearProbe,
  type LinearProbeOptions,
  linearProbe,
  requireLabels,
} from '../eval/probe.js';
import type { OnProgress } from '../eval/progress.js';
import { fitTextPcaBaseline } from '../eval/text-features.js';
import { encodeMatrix, formatFromPath, type Matrix, MatrixFormat } from '../io/arrays.js';
import { writeFileAtomic } from '../io/atomic.js';
import { type LoadedModel, loadModel } from '../io/model-files.js';
import { encodeScatter } from '../io/plot.js';
import type { Autoencoder } from '../models/family.js';
import { resolveModelDir } from '../train/run-dir.js';
import { DataSplit, modelData, modelStreamHead } from './model-data.js';

export const EmbedMap = z.enum(['umap', 'pca']);
export type EmbedMap = z.infer<typeof EmbedMap>;

/** How a map is named in its chart's title and axes. */
const MAP_NAMES: Record<EmbedMap, { name: string; axis: string }> = {
  umap: { name: 'UMAP', axis: 'UMAP' },
  pca: { name: 'PCA', axis: 'PC' },
};

export interface MapOptions {
  /** Seeds UMAP's random draws (initialisation, negative samples): the same seed gives the same map. */
  seed?: number;
  /** UMAP neighbourhood size (default 15, capped at n − 1). */
  neighbors?: number;
  /** UMAP minimum distance between embedded points (default 0.1). */
  minDist?: number;
  /** UMAP's optimisation epochs as they finish (task 'umap'). */
  onProgress?: OnProgress;
}

/** A 2-D map of the rows of `codes` [n, d] (d ≥ 2): the first two principal components, or UMAP. [n, 2] */
export function mapCodes(codes: Matrix, method: EmbedMap, options: MapOptions = {}): Matrix {
  if (codes.cols < 2)
    throw new ConfigError(`a 2-D map needs codes of at least 2 dimensions, got ${codes.cols}`, {
      path: 'map',
    });
  if (codes.rows < 3)
    throw new ConfigError(`a 2-D map needs at least 3 codes, got ${codes.rows}`, { path: 'map' });
  if (method === 'pca') {
    const dataset = makeDataset('codes', [codes.cols], codes.data);
    return pcaTransform(fitPca(dataset, 2), dataset);
  }
  const rows = Array.from({ length: codes.rows }, (_, i) =>
    Array.from(codes.data.subarray(i * codes.cols, (i + 1) * codes.cols)),
  );
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors: Math.min(options.neighbors ?? 15, codes.rows - 1),
    minDist: options.minDist ?? 0.1,
    random: createRng(options.seed ?? 0),
  });
  // fit(), with its epochs reported: the same steps, so the same map for a seed.
  const total = umap.initializeFit(rows);
  for (let done = 0; done < total; ) {
    done = umap.step();
    options.onProgress?.({ task: 'umap', done, total });
  }
  const embedding = umap.getEmbedding();
  return { rows: codes.rows, cols: 2, data: Float32Array.from(embedding.flat()) };
}

export interface CodeQuality {
  /** Linear probe trained on the training split's codes, scored on the evaluated split's. */
  probe: LinearProbe;
  /** NMI between k-means clusters (k = classes) of the evaluated split's codes and its labels. */
  nmi: number;
}

export interface RepresentationQuality {
  /** Latent size of the codes; the PCA baseline gets as many components (fewer if the data has fewer features). */
  dims: number;
  /** The evaluated split (probe test set, clustered) and the probe's training split. */
  split: string;
  trainSplit: string;
  clusters: number;
  codes: CodeQuality;
  /** Set when the probe predicts other labels than the data's own (`labelBy`, e.g. "speaker"). */
  labelBy?: string;
  /**
   * The baseline: PCA of the values (pixels, columns), for text of the TF-IDF bag of words, for audio of the
   * MFCCs; `name` is its row in tables (e.g. "MFCC → PCA-16").
   */
  pca: CodeQuality & { components: number; features: string; name: string };
}

export interface RepresentationOptions {
  seed?: number;
  /** Fit on the first n training samples only. */
  limit?: number;
  probe?: LinearProbeOptions;
  /**
   * The same rows as `train` and `test` with other labels for the probe and NMI to predict (e.g. FSDD's
   * speakers): the codes are still made from `train` and `test`, so a conditional encoder gets its own classes.
   */
  relabelled?: { train: Dataset; test: Dataset; labels: string };
}

/** `other`'s labels, checked to be for the same rows as `data` (same size and, where both have them, ids). */
function sameRowsLabels(data: Dataset, other: Dataset): Int32Array {
  const ids = data.ids && other.ids;
  if (other.size !== data.size || (ids && data.ids?.some((id, i) => other.ids?.[i] !== id)))
    throw new DataError(
      `the relabelled data is not the same rows as the data (${other.size} vs ${data.size} samples)`,
      { path: other.name },
    );
  return requireLabels(other);
}

/**
 * How much class structure the codes hold, beside PCA with the same number of dimensions on the same data: a
 * linear probe (fitted on `train`, scored on `test`) and k-means NMI on `test`. `limit` fits on the first n
 * training samples only.
 */
export async function representationQuality(
  model: Autoencoder,
  train: Dataset,
  test: Dataset,
  options: RepresentationOptions = {},
): Promise<RepresentationQuality> {
  const fitOn = options.limit ? head(train, options.limit) : train;
  const relabelled = options.relabelled;
  const labelledTrain = relabelled
    ? options.limit
      ? head(relabelled.train, options.limit)
      : relabelled.train
    : fitOn;
  const trainLabels = relabelled ? sameRowsLabels(fitOn, labelledTrain) : requireLabels(fitOn);
  const testLabels = relabelled ? sameRowsLabels(test, relabelled.test) : requireLabels(test);
  const numClasses = relabelled
    ? (relabelled.test.classNames?.length ?? relabelled.train.classNames?.length)
    : (test.classNames?.length ?? train.classNames?.length);
  const clusters = numClasses ?? new Set(Array.from(testLabels)).size;
  const probeOptions = { numClasses, ...options.probe };
  const judge = (trainCodes: Matrix, testCodes: Matrix): CodeQuality => ({
    probe: linearProbe(trainCodes, trainLabels, testCodes, testLabels, probeOptions),
    nmi: clusteringNmi(testCodes, testLabels, { k: Math.min(clusters, testCodes.rows), seed: options.seed })
      .nmi,
  });
  const codes = judge(await encodeDataset(model, fitOn), await encodeDataset(model, test));
  const base = {
    dims: model.latentSize,
    split: test.name,
    trainSplit: fitOn.name + (options.limit ? ` (first ${fitOn.size})` : ''),
    clusters,
    codes,
    ...(relabelled ? { labelBy: relabelled.labels } : {}),
  };
  if (fitOn.text) {
    // Idf and PCA from the probe's training rows only, like the probe itself.
    const baseline = fitTextPcaBaseline(fitOn, model.latentSize, { seed: options.seed });
    return {
      ...base,
      pca: {
        ...judge(baseline.codes(fitOn), baseline.codes(test)),
        components: baseline.components,
        features: `TF-IDF bag of words (${baseline.features} words)`,
        name: `TF-IDF → PCA-${baseline.components}`,
      },
    };
  }
  if (fitOn.audio) {
    // MFCCs and their PCA from the probe's training rows only, like the probe itself.
    const baseline = fitMfccPcaBaseline(fitOn, model.latentSize);
    return {
      ...base,
      pca: {
        ...judge(baseline.codes(fitOn), baseline.codes(test)),
        components: baseline.components,
        features: baseline.features,
        name: `MFCC → PCA-${baseline.components}`,
      },
    };
  }
  const components = Math.min(model.latentSize, sampleSize(train), fitOn.size - 1);
  const pca = fitPca(fitOn, components);
  return {
    ...base,
    pca: {
      ...judge(pcaTransform(pca, fitOn), pcaTransform(pca, test)),
      components,
      features: 'the values',
      name: `PCA-${components}`,
    },
  };
}

export const EmbedRunOptions = z.object({
  /** Run directory, or its model directory. */
  run: z.string().min(1),
  /** Data to embed (default: the model's own). */
  data: DataSpec.optional(),
  split: DataSplit.default('test'),
  /** Embed the first n samples of the split only (0: all). */
  limit: z.number().int().min(0).default(0),
  /** Codes file: .csv (with labels), .json or .npy. */
  out: z.string().min(1).optional(),
  format: MatrixFormat.optional(),
  /** A 2-D map of the codes; drawn when `map` or `mapOut` is given (UMAP by default). */
  map: EmbedMap.optional(),
  mapOut: z.string().min(1).optional(),
  /** Linear probe and k-means NMI beside PCA (needs labels). */
  probe: z.boolean().default(false),
  /** Fit the probe and PCA on the first n training samples (0: all). */
  probeLimit: z.number().int().min(0).default(0),
  /**
   * fsdd: what the probe predicts, the digit or the speaker; the same recordings are read again with those
   * labels (default: the data's own labels).
   */
  labelBy: z.enum(['digit', 'speaker']).optional(),
  seed: z.number().int().min(0).default(0),
});
export type EmbedRunOptions = z.infer<typeof EmbedRunOptions>;
export type EmbedRunOptionsInput = z.input<typeof EmbedRunOptions>;

export interface EmbedRunResult {
  data: string;
  codes: Matrix;
  labels?: Int32Array;
  map?: { method: EmbedMap; points: Matrix; seconds: number };
  quality?: RepresentationQuality;
  files: { codes?: string; map?: string };
}

/**
 * The split embedded and the training split again with `labelBy`'s labels, when they differ from the data's:
 * FSDD read as `{...spec, labels}`, the same recordings in the same order.
 */
async function relabelledSplits(
  loaded: LoadedModel,
  o: EmbedRunOptions,
  dataset: Dataset,
): Promise<RepresentationOptions['relabelled']> {
  if (!o.labelBy) return undefined;
  const spec = o.data ?? DataSpec.safeParse(loaded.manifest.data).data;
  if (spec?.source !== 'fsdd')
    throw new ConfigError(
      `labelBy (digit or speaker) is for fsdd data; this data is ${spec ? formatDataSpec(spec) : 'unknown'}`,
      { path: 'labelBy' },
    );
  if (spec.labels === o.labelBy) return undefined;
  const splits = await modelData(loaded, { ...spec, labels: o.labelBy });
  const test = o.limit > 0 ? head(splits[o.split], o.limit) : splits[o.split];
  sameRowsLabels(dataset, test);
  return { train: splits.train, test, labels: o.labelBy };
}

/** `codes.csv` → `codes-umap.png`. */
export function defaultMapPath(out: string | undefined, method: EmbedMap): string {
  const base = out ? out.slice(0, out.length - extname(out).length) : 'codes';
  return `${base}-${method}.png`;
}

/**
 * Rows embedded from streamed data (data larger than memory) when no --limit says how many: a map of more points
 * than this is one blot, and UMAP's neighbour graph grows with them.
 */
export const EMBED_STREAM_ROWS = 10_000;

/**
 * The splits embed reads: in memory, or for streamed data the first rows of the split embedded (--limit, else
 * EMBED_STREAM_ROWS) and of the training split (the probe's, --probe-limit), read as they stream.
 */
async function embedSplits(loaded: LoadedModel, o: EmbedRunOptions): Promise<Pick<DataSplits, DataSplit>> {
  const own = DataSpec.safeParse(loaded.manifest.data);
  const spec = o.data ?? (own.success ? own.data : undefined);
  if (!spec || !isStreamedSpec(spec)) return modelData(loaded, o.data);
  const rows = o.limit > 0 ? o.limit : EMBED_STREAM_ROWS;
  const empty = makeDataset(spec.source, loaded.manifest.context.sampleShape, new Float32Array(0));
  const splits: Record<DataSplit, Dataset> = { train: empty, validation: empty, test: empty };
  splits[o.split] = await modelStreamHead(loaded, spec, o.split, rows);
  if (o.probe && o.split !== 'train')
    splits.train = await modelStreamHead(
      loaded,
      spec,
      'train',
      o.probeLimit > 0 ? o.probeLimit : EMBED_STREAM_ROWS,
    );
  return splits;
}

/** Load the run's model, encode a split, and write the codes, the map and the quality figures asked for. */
export async function embedRun(
  raw: EmbedRunOptionsInput,
  hooks: { onProgress?: OnProgress } = {},
): Promise<EmbedRunResult> {
  const o = parseOrThrow(EmbedRunOptions, raw);
  const loaded = await loadModel(resolveModelDir(o.run));
  try {
    const model = requireAutoencoder(loaded.model, 'embed');
    const splits = await embedSplits(loaded, o);
    const dataset = o.limit > 0 ? head(splits[o.split], o.limit) : splits[o.split];
    if (o.probe && !dataset.labels)
      throw new DataError('--probe needs labelled data, and this data has no labels', { path: dataset.name });
    const codes = await encodeDataset(model, dataset, undefined, hooks.onProgress);
    const result: EmbedRunResult = { data: dataset.name, codes, labels: dataset.labels, files: {} };
    if (o.out) {
      const format = o.format ?? formatFromPath(o.out);
      await mkdir(dirname(o.out), { recursive: true });
      await writeFileAtomic(o.out, encodeMatrix(format, codes, dataset.labels));
      result.files.codes = o.out;
    }
    if (o.map || o.mapOut) {
      const method = o.map ?? 'umap';
      const started = performance.now();
      const points = mapCodes(codes, method, { seed: o.seed, onProgress: hooks.onProgress });
      result.map = { method, points, seconds: (performance.now() - started) / 1000 };
      const path = o.mapOut ?? defaultMapPath(o.out, method);
      await mkdir(dirname(path), { recursive: true });
      await writeFileAtomic(
        path,
        await encodeScatter(points.data, dataset.labels, {
          classNames: dataset.classNames,
          title: `${MAP_NAMES[method].name} of the codes of ${dataset.name} (${points.rows})`,
          axisTitles: [`${MAP_NAMES[method].axis} 1`, `${MAP_NAMES[method].axis} 2`],
        }),
      );
      result.files.map = path;
    }
    if (o.probe) {
      result.quality = await representationQuality(model, splits.train, dataset, {
        seed: o.seed,
        limit: o.probeLimit,
        relabelled: await relabelledSplits(loaded, o, dataset),
      });
    }
    return result;
  } finally {
    loaded.model.dispose();
  }
}
