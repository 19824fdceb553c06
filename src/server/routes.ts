// The /v1 routes: runs and their models, and the model operations, each body validated by its zod schema and
// each operation one job on the server's TensorQueue.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { tf } from '../engine/tf.js';
import { readManifest } from '../io/model-files.js';
import { LATENTLAB_VERSION } from '../version.js';
import type { ServerContext } from './context.js';
import { HttpError } from './errors.js';
import type { CachedModel } from './model-cache.js';
import * as ops from './operations.js';
import { bodySchemas, ErrorBody, FormatQuery, RunParams, responses } from './schemas.js';
import { uploadedBody } from './uploads.js';

const CONSUMES = ['application/json', 'multipart/form-data', 'image/png'];
// 422: the model produced NaN or ±Infinity (JSON would carry them as null).
const errors = { 400: ErrorBody, 404: ErrorBody, 413: ErrorBody, 422: ErrorBody, 503: ErrorBody };

/** A 200 answered as JSON, or as a PNG where the endpoint draws one. */
function jsonOrPng(schema: z.ZodType, description: string) {
  return {
    description,
    content: {
      'application/json': { schema },
      'image/png': { schema: z.string().describe('a PNG grid of the image outputs') },
    },
  };
}

/** PNG when the body or query says format=png, or the Accept header asks for image/png and not JSON. */
export function wantsPng(request: FastifyRequest, format?: 'json' | 'png'): boolean {
  const chosen = format ?? (request.query as { format?: 'json' | 'png' } | undefined)?.format;
  if (chosen) return chosen === 'png';
  const accept = request.headers.accept ?? '';
  return accept.includes('image/png') && !accept.includes('application/json');
}

export async function v1Routes(app: FastifyInstance, context: ServerContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const bodies = bodySchemas(context.limits);
  const job = <T>(run: string, work: (cached: CachedModel) => Promise<T>) =>
    context.queue.run(async () => work(await context.models.get(run)));

  // Uploaded images become `inputs` (or interpolation ends) before validation; the model's manifest says
  // which shape to decode them to.
  app.addHook('preValidation', async (request) => {
    if (request.method !== 'POST') return;
    const run = (request.params as { run?: string }).run ?? '';
    const body = await uploadedBody(
      request,
      async () => {
        const manifest = await readManifest(await context.runs.modelDir(run));
        if (manifest.text)
          throw new HttpError(
            400,
            `"${manifest.kind}" reads text: send JSON with "texts" (strings), not images`,
            'inputs',
          );
        return manifest.context.sampleShape;
      },
      context.limits,
    );
    if (body) request.body = body;
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

  /** POST /runs/:run/<name>: the body validated, the work one queue job, the answer JSON or (`png`) a picture. */
  function operation<B extends z.ZodType>(
    name: string,
    spec: { summary: string; body: B; response: z.ZodType; uploads?: boolean; png?: boolean },
    answer: (cached: CachedModel, body: z.output<B>, png: boolean) => Promise<Buffer | object>,
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
            200: spec.png === false ? spec.response : jsonOrPng(spec.response, spec.summary),
            ...errors,
            406: ErrorBody,
          },
        },
      },
      async (request, reply) => {
        const body = request.body as z.output<B>;
        const png = wantsPng(request, (body as { format?: 'json' | 'png' }).format);
        if (png && spec.png === false)
          throw new HttpError(406, `${name} has no PNG form: ask for JSON`, 'format');
        const queued = performance.now();
        let started = queued;
        const result = await job(request.params.run, (cached) => {
          started = performance.now();
          return answer(cached, body, png);
        });
        // Time waiting for the model and time with it, for clients and the load test.
        void reply.header(
          'server-timing',
          `queue;dur=${(started - queued).toFixed(1)}, model;dur=${(performance.now() - started).toFixed(1)}`,
        );
        return Buffer.isBuffer(result) ? reply.type('image/png').send(result) : result;
      },
    );
  }

  const samples = (out: ops.Outputs) => ({
    outputs: ops.rows(out.values, out.values.length / out.count),
    shape: [...out.shape],
    ...(out.texts ? { texts: out.texts } : {}),
  });

  operation(
    'encode',
    {
      summary: 'latent codes of samples (JSON arrays or PNG images) or, for text models, of texts',
      body: bodies.encode,
      response: responses.encode,
      uploads: true,
      png: false,
    },
    (cached, body) => ops.encode(cached, body),
  );

  operation(
    'decode',
    {
      summary: 'samples decoded from latent codes (text models: texts beside the token ids)',
      body: bodies.decode,
      response: responses.outputs,
    },
    async (cached, body, png) => {
      const out = await ops.decode(cached, body);
      return png ? ops.gridPng(cached, out) : samples(out);
    },
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
    async (cached, body, png) => {
      const result = await ops.reconstruct(cached, body);
      if (result.text) {
        const { outputs, inputTexts, tokenized, accuracy } = result.text;
        if (png) ops.gridPng(cached, outputs); // a 406: text has no picture
        return { ...samples(outputs), inputTexts, tokenized, tokenAccuracy: accuracy };
      }
      const { outputs, mse, originals } = result.image;
      if (!png) return { ...samples(outputs), mse: Array.from(mse) };
      const both = new Float32Array(originals.length * 2);
      both.set(originals);
      both.set(outputs.values, originals.length);
      return ops.gridPng(cached, { ...outputs, values: both });
    },
  );

  operation(
    'sample',
    {
      summary:
        'samples drawn from the prior of a generative model; sentences written by a language model (text models: texts beside the token ids)',
      body: bodies.sample,
      response: responses.outputs,
    },
    async (cached, body, png) => {
      const out = await ops.sample(cached, body);
      return png ? ops.gridPng(cached, out) : samples(out);
    },
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
    async (cached, body, png) => {
      const { outputs, codes } = await ops.interpolate(cached, body);
      return png ? ops.gridPng(cached, outputs) : { ...samples(outputs), codes };
    },
  );

  operation(
    'score',
    {
      summary:
        'anomaly score per sample, higher is more anomalous (PNG: original, reconstruction and error heat map per row)',
      body: bodies.score,
      response: responses.score,
      uploads: true,
    },
    async (cached, body, png) => {
      const { dataset, scores, threshold, flags } = await ops.score(cached, body);
      if (png) return ops.scoreHeatmaps(cached, dataset, body.score);
      return { score: body.score, scores: Array.from(scores), ...(threshold ? { threshold, flags } : {}) };
    },
  );

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
