// The /v1 routes: runs and their models, and the model operations, each body validated by its zod schema and
// each operation one job on the server's TensorQueue.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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
const errors = { 400: ErrorBody, 404: ErrorBody, 413: ErrorBody, 503: ErrorBody };

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

function sendPng(reply: FastifyReply, png: Buffer): FastifyReply {
  return reply.type('image/png').send(png);
}

export async function v1Routes(app: FastifyInstance, context: ServerContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const bodies = bodySchemas(context.limits.maxBatch);
  const job = <T>(run: string, work: (cached: CachedModel) => Promise<T>) =>
    context.queue.run(async () => work(await context.models.get(run)));

  // Uploaded images become `inputs` (or interpolation ends) before validation; the model's manifest says
  // which shape to decode them to.
  app.addHook('preValidation', async (request) => {
    if (request.method !== 'POST') return;
    const run = (request.params as { run?: string }).run ?? '';
    const body = await uploadedBody(
      request,
      async () => (await readManifest(await context.runs.modelDir(run))).context.sampleShape,
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

  r.post(
    '/runs/:run/encode',
    {
      schema: {
        summary: 'latent codes of samples (JSON arrays or PNG images)',
        consumes: CONSUMES,
        params: RunParams,
        querystring: FormatQuery,
        body: bodies.encode,
        response: { 200: responses.encode, ...errors, 406: ErrorBody },
      },
    },
    async (request) => {
      if (wantsPng(request, request.body.format))
        throw new HttpError(406, 'codes have no PNG form: ask for JSON', 'format');
      return job(request.params.run, (cached) => ops.encode(cached, request.body));
    },
  );

  r.post(
    '/runs/:run/decode',
    {
      schema: {
        summary: 'samples decoded from latent codes',
        params: RunParams,
        querystring: FormatQuery,
        body: bodies.decode,
        response: { 200: jsonOrPng(responses.outputs, 'the decoded samples'), ...errors, 406: ErrorBody },
      },
    },
    async (request, reply) => {
      const png = wantsPng(request, request.body.format);
      return job(request.params.run, async (cached) => {
        const out = await ops.decode(cached, request.body);
        if (png) return sendPng(reply, ops.gridPng(cached, out));
        return { outputs: ops.rows(out.values, out.values.length / out.count), shape: [...out.shape] };
      });
    },
  );

  r.post(
    '/runs/:run/reconstruct',
    {
      schema: {
        summary: 'reconstructions of samples and their squared error (PNG: inputs above reconstructions)',
        consumes: CONSUMES,
        params: RunParams,
        querystring: FormatQuery,
        body: bodies.reconstruct,
        response: { 200: jsonOrPng(responses.reconstruct, 'the reconstructions'), ...errors, 406: ErrorBody },
      },
    },
    async (request, reply) => {
      const png = wantsPng(request, request.body.format);
      return job(request.params.run, async (cached) => {
        const { outputs, mse, originals } = await ops.reconstruct(cached, request.body);
        if (png) {
          const both = new Float32Array(originals.length * 2);
          both.set(originals);
          both.set(outputs.values, originals.length);
          return sendPng(reply, ops.gridPng(cached, { ...outputs, values: both }));
        }
        const width = outputs.values.length / outputs.count;
        return { outputs: ops.rows(outputs.values, width), shape: [...outputs.shape], mse: Array.from(mse) };
      });
    },
  );

  r.post(
    '/runs/:run/sample',
    {
      schema: {
        summary: 'samples drawn from the prior of a generative model',
        params: RunParams,
        querystring: FormatQuery,
        body: bodies.sample,
        response: { 200: jsonOrPng(responses.outputs, 'the samples'), ...errors, 406: ErrorBody },
      },
    },
    async (request, reply) => {
      const png = wantsPng(request, request.body.format);
      return job(request.params.run, async (cached) => {
        const out = await ops.sample(cached, request.body);
        if (png) return sendPng(reply, ops.gridPng(cached, out));
        return { outputs: ops.rows(out.values, out.values.length / out.count), shape: [...out.shape] };
      });
    },
  );

  r.post(
    '/runs/:run/interpolate',
    {
      schema: {
        summary: 'decoded path between two ends: samples (encoded), codes, or prior seeds',
        consumes: CONSUMES,
        params: RunParams,
        querystring: FormatQuery,
        body: bodies.interpolate,
        response: { 200: jsonOrPng(responses.interpolate, 'the path, decoded'), ...errors, 406: ErrorBody },
      },
    },
    async (request, reply) => {
      const png = wantsPng(request, request.body.format);
      return job(request.params.run, async (cached) => {
        const { outputs, codes } = await ops.interpolate(cached, request.body);
        if (png) return sendPng(reply, ops.gridPng(cached, outputs));
        const width = outputs.values.length / outputs.count;
        return { outputs: ops.rows(outputs.values, width), shape: [...outputs.shape], codes };
      });
    },
  );

  r.post(
    '/runs/:run/score',
    {
      schema: {
        summary:
          'anomaly score per sample, higher is more anomalous (PNG: original, reconstruction and error heat map per row)',
        consumes: CONSUMES,
        params: RunParams,
        querystring: FormatQuery,
        body: bodies.score,
        response: { 200: jsonOrPng(responses.score, 'the scores'), ...errors, 406: ErrorBody },
      },
    },
    async (request, reply) => {
      const png = wantsPng(request, request.body.format);
      return job(request.params.run, async (cached) => {
        const { dataset, scores } = await ops.score(cached, request.body);
        if (png) return sendPng(reply, await ops.scoreHeatmaps(cached, dataset, request.body.score));
        return { score: request.body.score, scores: Array.from(scores) };
      });
    },
  );

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
