// The /v1 routes: runs and their models, and the model operations, each body validated by its zod schema and
// each operation one job on the server's TensorQueue.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { tf } from '../engine/tf.js';
import { readManifest } from '../io/model-files.js';
import { LATENTLAB_VERSION } from '../version.js';
import { checkJsonAudio, spectrogramsOf, WAV_TYPES, WavBytes } from './audio.js';
import type { BatchPlan } from './batch-plans.js';
import * as plans from './batch-plans.js';
import type { Settled } from './batcher.js';
import type { ServerContext } from './context.js';
import { HttpError } from './errors.js';
import type { CachedModel, ModelVersion } from './model-cache.js';
import * as ops from './operations.js';
import { bodySchemas, ErrorBody, FormatQuery, RunParams, responses } from './schemas.js';
import { uploadedBody } from './uploads.js';

const CONSUMES = ['application/json', 'multipart/form-data', 'image/png', ...WAV_TYPES];
// 422: the model produced NaN or ±Infinity (JSON would carry them as null).
const errors = { 400: ErrorBody, 404: ErrorBody, 413: ErrorBody, 422: ErrorBody, 503: ErrorBody };

/** A 200 answered as JSON, or as a PNG where the endpoint draws one (and a WAV where it makes sound). */
function jsonOrPng(schema: z.ZodType, description: string, wav: boolean) {
  return {
    description,
    content: {
      'application/json': { schema },
      'image/png': {
        schema: z.string().describe('a PNG grid of the image outputs (audio runs: spectrograms)'),
      },
      ...(wav
        ? { 'audio/wav': { schema: z.string().describe('audio runs: one clip as a 16-bit WAV file') } }
        : {}),
    },
  };
}

type Format = 'json' | 'png' | 'wav';
type Answer = Buffer | WavBytes | object;

/** When a request's job started, and how many requests shared it. */
interface Timing {
  queued: number;
  started: number;
  batch: number;
}

/** A request waiting in a batch group. */
interface Batched<B> {
  body: B;
  format: Format;
  timing: Timing;
  version: ModelVersion;
}

async function settle<T>(work: () => Promise<T>): Promise<Settled<T>> {
  try {
    return { value: await work() };
  } catch (error) {
    return { error };
  }
}

/**
 * The answer's form: the body's or query's format, else what the Accept header asks for (image/png, audio/wav)
 * when it does not ask for JSON, else JSON.
 */
export function outputFormat(request: FastifyRequest, format?: Format): Format {
  const chosen = format ?? (request.query as { format?: Format } | undefined)?.format;
  if (chosen) return chosen;
  const accept = request.headers.accept ?? '';
  if (accept.includes('application/json')) return 'json';
  if (accept.includes('image/png')) return 'png';
  if (WAV_TYPES.some((type) => accept.includes(type))) return 'wav';
  return 'json';
}

export async function v1Routes(app: FastifyInstance, context: ServerContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const bodies = bodySchemas(context.limits);
  const job = <T>(run: string, work: (cached: CachedModel) => Promise<T>) =>
    context.queue.run(async () => work(await context.models.get(run)));

  // Uploaded images become `inputs` (or interpolation ends) before validation, WAV files `audio`; the model's
  // manifest says which shape to decode images to, and whether it takes audio.
  app.addHook('preValidation', async (request) => {
    if (request.method !== 'POST') return;
    const run = (request.params as { run?: string }).run ?? '';
    const body = await uploadedBody(
      request,
      async () => {
        const dir = context.modelDirs.get(request) ?? (await context.runs.modelDir(run));
        const manifest = await readManifest(dir);
        if (manifest.text)
          throw new HttpError(
            400,
            `"${manifest.kind}" reads text: send JSON with "texts" (strings), not images`,
            'inputs',
          );
        return { kind: manifest.kind, sampleShape: manifest.context.sampleShape, audio: manifest.audio };
      },
      context.limits,
    );
    if (body) request.body = body;
    // Recordings sent as base64 JSON are held to the same length limit as uploads, before they are read.
    else checkJsonAudio(request.body, context.limits);
  });

  r.get(
    '/status',
    {
      schema: {
        summary: 'server version, queue and memory',
        response: {
          200: z.object({
            version: z.string(),
            queue: z.object({
              waiting: z.number(),
              running: z.boolean(),
              completed: z.number(),
              maxRunning: z.number(),
            }),
            batching: z
              .object({
                windowMs: z.number(),
                maxRows: z.number(),
                batches: z.number(),
                requests: z.number(),
                largest: z.number(),
              })
              .describe('the batcher: its window and size, and the groups it has run (one queue job each)'),
            cachedModels: z.number(),
            memory: z.object({
              rss: z.number(),
              heapUsed: z.number(),
              tensors: z.number(),
              tensorBytes: z.number(),
            }),
          }),
        },
      },
    },
    async () => {
      const tfMemory = tf.memory();
      return {
        version: LATENTLAB_VERSION,
        queue: context.queue.stats(),
        batching: { ...context.batcher.options, ...context.batcher.stats() },
        cachedModels: context.models.size,
        memory: {
          rss: process.memoryUsage.rss(),
          heapUsed: process.memoryUsage().heapUsed,
          tensors: tfMemory.numTensors,
          tensorBytes: tfMemory.numBytes,
        },
      };
    },
  );

  r.get(
    '/runs',
    {
      schema: {
        summary: 'every run in the runs directory: config, progress, test figures, saved model',
        response: { 200: responses.runs },
      },
    },
    async () => ({ runs: await context.runs.list() }),
  );

  r.get(
    '/runs/:run',
    {
      schema: {
        summary: 'one run: config, every epoch of metrics.jsonl, test figures, the model and what it can do',
        params: RunParams,
        response: { 200: responses.run, ...errors },
      },
    },
    async (request) => {
      const details = await context.runs.describe(request.params.run);
      if (!details.model) return details;
      const capabilities = await job(request.params.run, async (cached) => ops.capabilities(cached));
      return { ...details, capabilities };
    },
  );

  /**
   * POST /runs/:run/<name>: the body validated, the work a queue job (with a plan: requests for the same run
   * and settings within the batching window share one job and one model pass), the answer JSON, (`png`) a
   * picture or (`wav`, audio runs) a recording. `compute` runs the model; `respond` makes a request's answer
   * of its result.
   */
  function operation<B extends z.ZodType, R>(
    name: string,
    spec: { summary: string; body: B; response: z.ZodType; uploads?: boolean; png?: boolean; wav?: boolean },
    compute: (cached: CachedModel, body: z.output<B>) => Promise<R>,
    respond: (cached: CachedModel, body: z.output<B>, format: Format, result: R) => Promise<Answer>,
    plan?: BatchPlan<z.output<B>, R>,
  ): void {
    r.post(
      `/runs/:run/${name}`,
      {
        schema: {
          summary: spec.summary,
          ...(spec.uploads ? { consumes: CONSUMES } : {}),
          params: RunParams,
          querystring: FormatQuery,
          body: spec.body,
          response: {
            200:
              spec.png === false ? spec.response : jsonOrPng(spec.response, spec.summary, spec.wav !== false),
            ...errors,
            406: ErrorBody,
          },
        },
      },
      async (request, reply) => {
        const body = request.body as z.output<B>;
        const format = outputFormat(request, (body as { format?: Format }).format);
        if (format === 'png' && spec.png === false)
          throw new HttpError(406, `${name} has no PNG form: ask for JSON`, 'format');
        if (format === 'wav' && (spec.png === false || spec.wav === false))
          throw new HttpError(406, `${name} answers no sound: ask for JSON`, 'format');
        const run = request.params.run;
        const version = await context.models.check(run, context.modelDirs.get(request));
        const timing: Timing = { queued: performance.now(), started: 0, batch: 1 };
        const key = plan && context.batcher.enabled ? plan.key(body, format) : undefined;
        const result =
          key === undefined
            ? await context.queue.run(async () => {
                timing.started = performance.now();
                const cached = await context.models.get(run, version);
                return respond(cached, body, format, await compute(cached, body));
              })
            : await context.batcher.submit(
                `${run}\u0000${name}\u0000${key}`,
                { body, format, timing, version },
                plan?.rows(body) ?? 1,
                (items: Array<Batched<z.output<B>>>) =>
                  answerGroup(run, items, compute, respond, plan as BatchPlan<z.output<B>, R>),
              );
        // Time waiting for the model and time with it (the whole group's), for clients and the load test.
        void reply.header(
          'server-timing',
          `queue;dur=${(timing.started - timing.queued).toFixed(1)}, model;dur=${(performance.now() - timing.started).toFixed(1)}, batch;desc="${timing.batch}"`,
        );
        if (result instanceof WavBytes) return reply.type('audio/wav').send(result.bytes);
        return Buffer.isBuffer(result) ? reply.type('image/png').send(result) : result;
      },
    );
  }

  /**
   * A group's answers, in one queue job: one pass for all (the plan's `many`), each request's answer made of its
   * part. When the pass fails (one request's bad input fails all), each request runs alone and gets its own
   * answer or error, so no request's error reaches another.
   */
  async function answerGroup<B, R>(
    run: string,
    items: Array<Batched<B>>,
    compute: (cached: CachedModel, body: B) => Promise<R>,
    respond: (cached: CachedModel, body: B, format: Format, result: R) => Promise<Answer>,
    plan: BatchPlan<B, R>,
  ): Promise<Settled<Answer>[]> {
    const started = performance.now();
    for (const item of items) Object.assign(item.timing, { started, batch: items.length });
    // The latest version any request of the group saw (a run retrained meanwhile: the new model).
    const cached = await context.models.get(run, items[items.length - 1].version);
    const bodies = items.map((item) => item.body);
    // A group of one is its own pass: its error is its answer, not a reason to compute it again.
    let results: Settled<R>[] = [];
    if (items.length === 1) results = [await settle(() => compute(cached, bodies[0]))];
    else
      try {
        results = (await plan.many(cached, bodies)).map((value) => ({ value }));
      } catch {
        for (const body of bodies) results.push(await settle(() => compute(cached, body)));
      }
    const answers: Settled<Answer>[] = [];
    for (const [i, result] of results.entries())
      answers.push(
        'value' in result
          ? await settle(() => respond(cached, items[i].body, items[i].format, result.value))
          : result,
      );
    return answers;
  }

  /** Outputs as JSON: the values, texts of text runs, WAV files and spectrograms of audio runs. */
  const samples = async (cached: CachedModel, out: ops.Outputs, body: { iterations?: number }, seed = 0) => ({
    outputs: ops.rows(out.values, out.values.length / out.count),
    shape: [...out.shape],
    ...(out.texts ? { texts: out.texts } : {}),
    ...(await ops.sounds(cached, out, body.iterations, seed)),
  });
  /** An answer of outputs in the format asked for. */
  const answerOutputs = async (
    cached: CachedModel,
    out: ops.Outputs,
    body: { iterations?: number },
    format: Format,
    seed = 0,
  ) => {
    if (format === 'png') return ops.gridPng(cached, out);
    if (format === 'wav') return new WavBytes(await ops.wavAnswer(cached, out, body.iterations, seed));
    return samples(cached, out, body, seed);
  };

  operation(
    'encode',
    {
      summary:
        'latent codes of samples (JSON arrays or PNG images), of texts (text models), of WAV files (audio models)',
      body: bodies.encode,
      response: responses.encode,
      uploads: true,
      png: false,
    },
    ops.encode,
    async (_cached, _body, _format, result) => result,
    plans.encodePlan,
  );

  operation(
    'decode',
    {
      summary: 'samples decoded from latent codes (text models: texts beside the token ids)',
      body: bodies.decode,
      response: responses.outputs,
    },
    ops.decode,
    (cached, body, format, outputs) => answerOutputs(cached, outputs, body, format),
    plans.decodePlan,
  );

  operation(
    'reconstruct',
    {
      summary:
        'reconstructions of samples and their squared error (PNG: inputs above reconstructions); of texts, with the share of tokens reconstructed exactly',
      body: bodies.reconstruct,
      response: responses.reconstruct,
      uploads: true,
    },
    ops.reconstruct,
    async (cached, body, format, result) => {
      if (result.text) {
        const { outputs, inputTexts, tokenized, accuracy } = result.text;
        if (format === 'png') ops.gridPng(cached, outputs); // a 406: text has no picture
        if (format === 'wav') await ops.wavAnswer(cached, outputs, body.iterations); // a 406: nor sound
        return { ...(await samples(cached, outputs, body)), inputTexts, tokenized, tokenAccuracy: accuracy };
      }
      const { outputs, mse, originals, clips } = result.image;
      if (format === 'wav') return answerOutputs(cached, outputs, body, format);
      if (format === 'json')
        return {
          ...(await samples(cached, outputs, body)),
          mse: Array.from(mse),
          ...(cached.manifest.audio
            ? { inputSpectrograms: spectrogramsOf(cached, originals, outputs.count) }
            : {}),
          ...ops.readReport({ clips }),
        };
      const both = new Float32Array(originals.length * 2);
      both.set(originals);
      both.set(outputs.values, originals.length);
      return ops.gridPng(cached, { ...outputs, count: outputs.count * 2, values: both });
    },
    plans.reconstructPlan,
  );

  operation(
    'sample',
    {
      summary:
        'samples drawn from the prior of a generative model; sentences written by a language model (text models: texts beside the token ids)',
      body: bodies.sample,
      response: responses.outputs,
    },
    ops.sample,
    (cached, body, format, outputs) => answerOutputs(cached, outputs, body, format, body.seed),
    plans.samplePlan,
  );

  operation(
    'interpolate',
    {
      summary:
        'decoded path between two ends: samples or texts (encoded), codes, or prior seeds (text models: the homotopy as texts)',
      body: bodies.interpolate,
      response: responses.interpolate,
      uploads: true,
    },
    ops.interpolate,
    async (cached, body, format, { outputs, codes }) => {
      if (format !== 'json') return answerOutputs(cached, outputs, body, format);
      return { ...(await samples(cached, outputs, body)), codes };
    },
    plans.interpolatePlan,
  );

  operation(
    'score',
    {
      summary:
        'anomaly score per sample, higher is more anomalous (PNG: original, reconstruction and error heat map per row)',
      body: bodies.score,
      response: responses.score,
      uploads: true,
      wav: false,
    },
    ops.score,
    async (cached, body, format, { dataset, scores, threshold, flags, clips }) => {
      if (format === 'png') return ops.scoreHeatmaps(cached, dataset, body.score);
      return {
        score: body.score,
        scores: Array.from(scores),
        ...(threshold ? { threshold, flags } : {}),
        ...ops.readReport({ clips }),
      };
    },
    plans.scorePlan,
  );

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
