// The latent explorer's server side: a run's test codes mapped to 2-D (the codes themselves for 2-D latents,
// else PCA or UMAP), item images for hovering, decoding a point, interpolation strips, seeded samples and latent
// traversals.
// Every function here does tensor work: call it inside the server's TensorQueue with the cached model.

import { mapCodes } from '../../apps/embed.js';
import { modelData } from '../../apps/model-data.js';
import {
  requireImages,
  type TraverseBase,
  type TraverseDims,
  trainingCodeFit,
  traversalPng,
  traverse,
} from '../../apps/traverse.js';
import { type Dataset, head, sampleSize } from '../../data/dataset.js';
import { codePrior, codePriorFile, type GaussianFit, type Sampler } from '../../eval/code-prior.js';
import { decodeCodes, encodeDataset, requireAutoencoder } from '../../eval/codes.js';
import { interpolateCodes, samplePrior } from '../../eval/generate.js';
import type { Matrix } from '../../io/arrays.js';
import type { LoadedModel } from '../../io/model-files.js';
import { encodeImage, encodeImageGrid } from '../../io/png.js';
import { type Autoencoder, isAutoencoder, isGenerative } from '../../models/family.js';
import { HttpError } from '../errors.js';
import type { CachedModel } from '../model-cache.js';

export type MapMethod = 'codes' | 'pca' | 'umap';

export interface LatentMap {
  latentSize: number;
  method: MapMethod;
  /** [x0, y0, x1, y1, …], one point per test item (item i is test sample i). */
  points: number[];
  labels?: number[];
  classNames?: string[];
  /** True when items can be drawn as images (hover previews, strips). */
  images: boolean;
  /** True when a point of the plane is a code the decoder takes (2-D latents): clicks decode. */
  decodable: boolean;
  conditional: boolean;
}

interface Explored {
  test: Dataset;
  codes: Matrix;
  maps: Map<MapMethod, LatentMap>;
}

/** Test items the explorer shows: enough for the shape of the map, few enough for UMAP in seconds. */
export const EXPLORER_ITEMS = 1000;
/** The explorer's state lives in the model cache's memo, so it goes when the model is evicted or reloaded. */
const MEMO_KEY = 'studio.explorer';
const PRIOR_KEY = 'studio.codePrior';
const FIT_KEY = 'studio.codeFit';

/** The model's prior, or the code prior of a plain autoencoder (kept with the model, cached in its run). */
async function samplerOf(loaded: CachedModel): Promise<Sampler> {
  const model = loaded.model;
  if (isGenerative(model)) return model;
  const hit = loaded.memo.get(PRIOR_KEY) as Sampler | undefined;
  if (hit) return hit;
  const ae = autoencoderOf(loaded);
  const file = codePriorFile(loaded.dir);
  const sampler = await codePrior(ae, {
    codes: async () => encodeDataset(ae, (await modelData(loaded)).train),
    cache: file ? { file, modelSavedAt: loaded.manifest.savedAt } : undefined,
  });
  loaded.memo.set(PRIOR_KEY, sampler);
  return sampler;
}

function autoencoderOf(loaded: LoadedModel): Autoencoder {
  return requireAutoencoder(loaded.model, 'the latent explorer');
}

async function explored(loaded: CachedModel): Promise<Explored> {
  const hit = loaded.memo.get(MEMO_KEY) as Explored | undefined;
  if (hit) return hit;
  const test = head((await modelData(loaded)).test, EXPLORER_ITEMS);
  // A GAN has no encoder: no codes, but samples still work.
  const codes = isAutoencoder(loaded.model)
    ? await encodeDataset(loaded.model, test)
    : { rows: 0, cols: 0, data: new Float32Array(0) };
  const entry: Explored = { test, codes, maps: new Map() };
  loaded.memo.set(MEMO_KEY, entry);
  return entry;
}

export async function latentMap(loaded: CachedModel, requested?: MapMethod): Promise<LatentMap> {
  const model = autoencoderOf(loaded);
  const entry = await explored(loaded);
  const { codes, test } = entry;
  const method: MapMethod = requested ?? (codes.cols === 2 ? 'codes' : 'pca');
  if (method === 'codes' && codes.cols !== 2)
    throw new HttpError(400, `the codes are ${codes.cols}-D: map them with pca or umap`, 'map');
  const known = entry.maps.get(method);
  if (known) return known;
  const plane = method === 'codes' ? codes : mapCodes(codes, method, { seed: 0 });
  const map: LatentMap = {
    latentSize: codes.cols,
    method,
    points: Array.from(plane.data, (v) => Math.round(v * 1e4) / 1e4),
    labels: test.labels ? Array.from(test.labels) : undefined,
    classNames: test.classNames ? [...test.classNames] : undefined,
    images: test.sampleShape.length === 3,
    decodable: method === 'codes',
    conditional: model.conditional === true,
  };
  entry.maps.set(method, map);
  return map;
}

function imageShape(test: Dataset): readonly number[] {
  if (test.sampleShape.length !== 3)
    throw new HttpError(400, `items are not images (samples of shape [${test.sampleShape}])`, 'item');
  return test.sampleShape;
}

function checkItem(test: Dataset, id: number, field: string): void {
  if (!Number.isInteger(id) || id < 0 || id >= test.size)
    throw new HttpError(400, `expected a test item from 0 to ${test.size - 1}, got ${id}`, field);
}

/** Test item `id` as a PNG. */
export async function itemImage(loaded: CachedModel, id: number): Promise<Buffer> {
  const { test } = await explored(loaded);
  const shape = imageShape(test);
  checkItem(test, id, 'item');
  const per = sampleSize({ sampleShape: shape });
  return encodeImage(test.x.subarray(id * per, (id + 1) * per), shape);
}

/** Decode one code (a point of a 2-D latent plane, or any full code); `label` for conditional models. */
export async function decodePoint(loaded: CachedModel, code: number[], label?: number): Promise<Buffer> {
  const { test } = await explored(loaded);
  const model = autoencoderOf(loaded);
  if (code.length !== model.latentSize)
    throw new HttpError(400, `expected a code of ${model.latentSize} numbers, got ${code.length}`, 'code');
  const values = await decodeCodes(
    model,
    { rows: 1, cols: code.length, data: Float32Array.from(code) },
    1,
    model.conditional ? [label ?? 0] : undefined,
  );
  return encodeImageGrid(values, imageShape(test), { rows: 1, cols: 1, padding: 0, scale: 4 });
}

/** Decoded codes on the straight line between test items `from` and `to`, as one strip. */
export async function interpolationStrip(
  loaded: CachedModel,
  from: number,
  to: number,
  steps: number,
): Promise<Buffer> {
  const { test, codes } = await explored(loaded);
  checkItem(test, from, 'from');
  checkItem(test, to, 'to');
  const model = autoencoderOf(loaded);
  const row = (i: number) => codes.data.slice(i * codes.cols, (i + 1) * codes.cols);
  const path = interpolateCodes(row(from), row(to), steps, false);
  // A conditional model keeps the first item's class along the path.
  const labels = model.conditional ? new Array(steps).fill(test.labels?.[from] ?? 0) : undefined;
  const values = await decodeCodes(model, { rows: steps, cols: codes.cols, data: path }, steps, labels);
  return encodeImageGrid(values, imageShape(test), { rows: 1, cols: steps, scale: 2 });
}

/**
 * `n` new samples for `seed`: from the prior of a generative model, otherwise from the Gaussian fitted to the
 * training codes (a plain autoencoder has no prior of its own), as `latentlab sample` draws them.
 */
export async function sampleGrid(loaded: CachedModel, seed: number, n: number): Promise<Buffer> {
  const { test } = await explored(loaded);
  const shape = imageShape(test);
  const cols = Math.ceil(Math.sqrt(n));
  const rows = Math.ceil(n / cols);
  const images = samplePrior(await samplerOf(loaded), n, seed);
  const values = (await images.data()) as Float32Array;
  images.dispose();
  return encodeImageGrid(values, shape, { rows, cols, scale: 2 });
}

/** Rows a traversal draws at most: a picture one can still read. */
export const MAX_TRAVERSE_ROWS = 64;

export interface TraversalAsk {
  /** A test item of the explorer (its id), a prior draw, or the mean code. */
  from: number | 'mean' | { seed: number };
  dims: TraverseDims;
  /** The sweep runs from -range to range units around the base code. */
  range: number;
  steps: number;
  label?: number;
}

/**
 * A latent traversal as `latentlab traverse --labels` draws it: a row per dimension (the dimension and the variance
 * of its training codes in the margin), a column per step. Items are the explorer's test items.
 */
export async function traversalGrid(loaded: CachedModel, ask: TraversalAsk): Promise<Buffer> {
  requireImages(loaded.model);
  const { test } = await explored(loaded);
  const latent = isAutoencoder(loaded.model) ? loaded.model.latentSize : undefined;
  if (ask.dims === 'all' && latent !== undefined && latent > MAX_TRAVERSE_ROWS)
    throw new HttpError(
      400,
      `the codes have ${latent} dimensions, more rows than ${MAX_TRAVERSE_ROWS}: pick one, or top:K`,
      'dims',
    );
  const from: TraverseBase = typeof ask.from === 'number' ? { item: ask.from } : ask.from;
  const traversal = await traverse(
    loaded.model,
    { from, dims: ask.dims, range: [-ask.range, ask.range], steps: ask.steps, label: ask.label },
    {
      items: async () => test,
      codeFit: async () => {
        const hit = loaded.memo.get(FIT_KEY) as GaussianFit | undefined;
        if (hit) return hit;
        const fit = await trainingCodeFit(loaded, loaded.dir);
        loaded.memo.set(FIT_KEY, fit);
        return fit;
      },
    },
    { variance: isAutoencoder(loaded.model), fields: { from: 'from', dims: 'dims', label: 'label' } },
  );
  return traversalPng(traversal, { labels: true });
}
