// How the requests of one operation share a model pass: which requests may share one (`key`), how many rows
// each brings, and `many`, which answers a group with one pass over all their rows and gives each request the
// part of the result that is its own, the same as it would have been alone. Requests whose answer depends on
// what else is in the pass never share one: draws seeded over the whole batch (the ELBO score, text decoding
// with a temperature) and per-request pictures (score heat maps) run alone.
import { subset } from '../data/dataset.js';
import { decodePaths, type InterpolationPath, samplePriors } from '../eval/generate.js';
import { writesSentences } from '../models/seq/model.js';
import type { CachedModel } from './model-cache.js';
import type { Bodies, Outputs } from './operations.js';
import * as ops from './operations.js';

export interface BatchPlan<B, R> {
  /** Requests with the same key (and run) may share a pass; undefined: this one runs alone. */
  key(body: B, format: string): string | undefined;
  /** Rows the request brings to the pass (samples, codes, draws, steps). */
  rows(body: B): number;
  /** One pass for every request of a group, one result per request in order. */
  many(cached: CachedModel, bodies: B[]): Promise<R[]>;
}

type SampleBody = { inputs?: number[][]; texts?: string[]; audio?: string[]; labels?: number[] };
type SampleField = 'inputs' | 'texts' | 'audio';

const sampleField = (body: SampleBody): SampleField =>
  body.audio !== undefined ? 'audio' : body.texts !== undefined ? 'texts' : 'inputs';

const sampleCount = (body: SampleBody) => (body[sampleField(body)] ?? []).length;

/** Requests with samples of the same kind, labelled or not alike, share a pass. */
const sampleKey = (body: SampleBody) => `${sampleField(body)}${body.labels ? ':labels' : ''}`;

/** One body holding every request's rows of `field` (and labels) in order; the other fields are the first's. */
function mergeRows<B extends { labels?: number[] }>(bodies: B[], field: keyof B): B {
  const rows = bodies.flatMap((body) => (body[field] ?? []) as unknown[]);
  const merged = { ...bodies[0], [field]: rows };
  if (bodies[0].labels) merged.labels = bodies.flatMap((body) => body.labels ?? []);
  return merged;
}

/** One body holding every request's samples (inputs, texts or recordings) and labels. */
const mergeSamples = <B extends SampleBody>(bodies: B[]) => mergeRows(bodies, sampleField(bodies[0]));

/** [start, end) row ranges of consecutive requests of `counts` rows. */
function ranges(counts: number[]): Array<[number, number]> {
  let start = 0;
  return counts.map((count) => {
    const range: [number, number] = [start, start + count];
    start += count;
    return range;
  });
}

/** The rows [start, end) of flat values `width` wide, copied. */
const rowSlice = (values: Float32Array, width: number, [start, end]: [number, number]) =>
  values.slice(start * width, end * width);

/** An optional per-sample list cut to a request's rows. */
const listSlice = <T>(list: T[] | undefined, [start, end]: [number, number]) => list?.slice(start, end);

/** The part of merged outputs that is one request's, in a grid `cols` wide. */
function outputsSlice(out: Outputs, range: [number, number], grid: Outputs['grid']): Outputs {
  const width = out.values.length / out.count;
  return {
    values: rowSlice(out.values, width, range),
    count: range[1] - range[0],
    shape: out.shape,
    grid,
    texts: listSlice(out.texts, range),
  };
}

const squareGrid = (count: number, cols?: number): Outputs['grid'] => {
  const c = cols ?? Math.ceil(Math.sqrt(count));
  return { rows: Math.ceil(count / c), cols: c };
};

/** Text runs choose tokens by a draw seeded over the whole batch when a temperature is set. */
const drawsTokens = (body: { temperature?: number; topK?: number }) =>
  body.temperature !== undefined || body.topK !== undefined;

type EncodeResult = Awaited<ReturnType<typeof ops.encode>>;

export const encodePlan: BatchPlan<Bodies['encode'], EncodeResult> = {
  key: sampleKey,
  rows: sampleCount,
  async many(cached, bodies) {
    const all = await ops.encode(cached, mergeSamples(bodies));
    return ranges(bodies.map(sampleCount)).map((range) => ({
      codes: all.codes.slice(...range),
      latentSize: all.latentSize,
      ...ops.readReport({ tokenized: listSlice(all.tokenized, range), clips: listSlice(all.clips, range) }),
    }));
  },
};

type DecodeResult = Awaited<ReturnType<typeof ops.decode>>;

export const decodePlan: BatchPlan<Bodies['decode'], DecodeResult> = {
  key: (body) => (drawsTokens(body) ? undefined : body.labels ? 'labels' : ''),
  rows: (body) => body.codes.length,
  async many(cached, bodies) {
    const all = await ops.decode(cached, mergeRows(bodies, 'codes'));
    return ranges(bodies.map((body) => body.codes.length)).map((range, i) =>
      outputsSlice(all, range, squareGrid(range[1] - range[0], bodies[i].cols)),
    );
  },
};

type ReconstructResult = Awaited<ReturnType<typeof ops.reconstruct>>;

export const reconstructPlan: BatchPlan<Bodies['reconstruct'], ReconstructResult> = {
  // Texts are answered with their own reading (tokens, accuracy): they run alone.
  key: (body) => (body.texts !== undefined || drawsTokens(body) ? undefined : sampleKey(body)),
  rows: sampleCount,
  async many(cached, bodies) {
    const all = await ops.reconstruct(cached, mergeSamples(bodies));
    if (!all.image) throw new Error('reconstruct: a merged pass of samples came back as text');
    const { outputs, mse, originals, clips } = all.image;
    const width = originals.length / outputs.count;
    return ranges(bodies.map(sampleCount)).map((range) => ({
      image: {
        outputs: outputsSlice(outputs, range, { rows: 2, cols: range[1] - range[0] }),
        mse: mse.slice(...range),
        originals: rowSlice(originals, width, range),
        clips: listSlice(clips, range),
      },
    }));
  },
};

export const samplePlan: BatchPlan<Bodies['sample'], Outputs> = {
  // A language model writes sentences with draws over the whole batch; so do temperatures.
  key: (body) => (drawsTokens(body) ? undefined : ''),
  rows: (body) => body.n,
  async many(cached, bodies) {
    if (writesSentences(cached.model)) return Promise.all(bodies.map((body) => ops.sample(cached, body)));
    const model = bodies.map((body) => ops.priorOf(cached, body))[0];
    const images = samplePriors(
      model,
      bodies.map((body) => ({ n: body.n, seed: body.seed, classIndex: body.class })),
    );
    const values = (await images.data()) as Float32Array;
    images.dispose();
    const width = values.length / images.shape[0];
    return ranges(bodies.map((body) => body.n)).map((range, i) =>
      ops.sampleOutputs(cached, bodies[i], rowSlice(values, width, range)),
    );
  },
};

type InterpolateResult = Awaited<ReturnType<typeof ops.interpolate>>;

export const interpolatePlan: BatchPlan<Bodies['interpolate'], InterpolateResult> = {
  // Paths from a seed run through the prior's space and decode by the generator; others by the decoder.
  key: (body) =>
    drawsTokens(body)
      ? undefined
      : body.from.seed !== undefined || body.to.seed !== undefined
        ? 'prior'
        : 'codes',
  rows: (body) => body.steps,
  async many(cached, bodies) {
    const paths: InterpolationPath[] = [];
    for (const body of bodies) paths.push(await ops.pathOf(cached, body));
    if (paths.some((path) => Object.keys(path.decoder)[0] !== Object.keys(paths[0].decoder)[0]))
      return Promise.all(bodies.map((body) => ops.interpolate(cached, body)));
    const images = decodePaths(
      paths,
      bodies.map((body) => body.class ?? 0),
    );
    const values = (await images.data()) as Float32Array;
    images.dispose();
    const width = values.length / images.shape[0];
    return ranges(bodies.map((body) => body.steps)).map((range, i) =>
      ops.pathOutputs(cached, bodies[i], paths[i], rowSlice(values, width, range)),
    );
  },
};

type ScoreResult = ops.Scored;

export const scorePlan: BatchPlan<Bodies['score'], ScoreResult> = {
  // The ELBO draws its noise over the whole batch from one seed; heat maps are drawn per request.
  key: (body, format) =>
    body.score === 'elbo' || format === 'png'
      ? undefined
      : `${body.score}:${body.quantile}:${body.contamination}:${sampleKey(body)}`,
  rows: sampleCount,
  async many(cached, bodies) {
    const all = await ops.score(cached, mergeSamples(bodies));
    return ranges(bodies.map(sampleCount)).map((range) => ({
      dataset: subset(
        all.dataset,
        Array.from({ length: range[1] - range[0] }, (_, i) => range[0] + i),
      ),
      scores: all.scores.slice(...range),
      threshold: all.threshold,
      flags: listSlice(all.flags, range),
      clips: listSlice(all.clips, range),
    }));
  },
};
