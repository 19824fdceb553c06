// The model server (`latentlab serve`): a Fastify app over a runs directory, JSON/PNG API under /v1.
//
// Interface for the studio (and any other plugin built on this server):
//   const app = await buildServer({ runsDir, token, plugins: [studioPlugin] });   // no listen
//   await startServer({ ...options, host, port });                                // builds, checks, listens
// - ServerPlugin = (app: FastifyInstance, context: ServerContext) => Promise<void>; plugins are registered at
//   the root after the /v1 routes, so they inherit the token check and the JSON error handler, and choose
//   their own prefixes (the studio: e.g. /studio/api/..., static files at /). Routes whose
//   `config: { public: true }` skip the token check: static assets only, never data. A plugin's state-changing
//   requests must be JSON (a page on another site cannot send JSON without the browser asking the server first).
// - Before any route: the Host must name this server (loopback, --host, --allow-host), and a state-changing
//   request sent by a page of another origin (Origin, Sec-Fetch-Site) is refused.
// - ServerContext (also `app.latentlab`): { runs: RunsDirectory, models: ModelCache, queue: TensorQueue,
//   limits: ServerLimits, token?: string }.
//   - runs.resolve(name) → absolute run directory, refusing names that are not one plain segment and paths
//     (after symlinks) outside the runs directory; runs.file(name, 'metrics.jsonl') likewise for a file in it;
//     runs.list() / runs.describe(name) give the JSON the /v1/runs endpoints serve.
//   - queue.run(job) runs one job at a time through TensorFlow.js (await it; jobs never interleave). Any tensor
//     work (training steps included) goes through it, or at least never overlaps a server job.
//   - models.get(name) → the cached LoadedModel (LRU, evicted models disposed; reloaded when model/manifest.json
//     changes). Call it inside queue.run, and do not keep the model past the job.
// - Errors: throw HttpError(status, message, field) or a LatentlabError; the reply is {"error", "field"?}.
//   validationError(zodError) turns a failed safeParse into a 400 naming the field.
// - The CLI side: withServerFlags(command), serverOptionsFrom(flags) and closeOnSignal(close) in
//   src/cli/commands/serve.ts give `studio` the same --runs/--host/--port/--token/limit flags and shutdown.
import { realpathSync } from 'node:fs';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import Fastify, {
  type FastifyInstance,
  type FastifySchemaCompiler,
  type FastifyServerOptions,
} from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { currentBackend, ensureBackend } from '../engine/backend.js';
import { LATENTLAB_VERSION } from '../version.js';
import { readWavStream, WAV_TYPES, WavBytes } from './audio.js';
import {
  checkBinding,
  type HostPolicy,
  refuseForeignPages,
  requireJson,
  requireKnownHost,
  requireToken,
} from './auth.js';
import { Batcher, type BatchingOptions } from './batcher.js';
import { DEFAULT_LIMITS, type ServerContext, type ServerLimits, type ServerPlugin } from './context.js';
import { errorHandler, HttpError, validationError } from './errors.js';
import { ModelCache } from './model-cache.js';
import { TensorQueue } from './queue.js';
import { v1Routes } from './routes.js';
import { RunsDirectory } from './runs.js';

export { checkBinding, type HostPolicy, hostAllowed, isLoopback, tokenMatches } from './auth.js';
export { Batcher, type BatchingOptions, type BatchStats } from './batcher.js';
export { DEFAULT_LIMITS, type ServerContext, type ServerLimits, type ServerPlugin } from './context.js';
export { HttpError } from './errors.js';
export { type CachedModel, ModelCache } from './model-cache.js';
export { type QueueStats, TensorQueue } from './queue.js';
export { checkRunName, RunsDirectory } from './runs.js';

export interface ServerOptions {
  /** Where runs are loaded from (default ./runs). */
  runsDir?: string;
  /** Require `Authorization: Bearer <token>` on every request. */
  token?: string;
  limits?: Partial<ServerLimits>;
  /** Models kept loaded (least recently used evicted first). */
  cacheSize?: number;
  /** Registered after the /v1 routes (the studio). */
  plugins?: ServerPlugin[];
  logger?: FastifyServerOptions['logger'];
  /** Host names the server answers to besides loopback and its own address (--allow-host); '*' any. */
  allowHosts?: string[];
  /**
   * Requests for the same run and operation arriving within `windowMs` of each other run as one batch, of at
   * most `maxRows` rows (default: the --max-batch limit). The window defaults to 2 ms where the backend's
   * kernels give each row the same result whatever the batch (wasm, cpu), so batched answers are bit for bit
   * the unbatched ones, and to 0 (off) on native and tensorflow, whose BLAS picks kernels by batch size.
   */
  batching?: Partial<BatchingOptions>;
}

/** Backends whose answers for a row do not depend on the rows beside it (checked by the batching tests). */
const ROW_STABLE_BACKENDS = new Set(['wasm', 'cpu']);

/** The batching window and size the server uses on the backend `backend`. */
export function batchingFor(
  backend: string | undefined,
  limits: ServerLimits,
  options: Partial<BatchingOptions> = {},
): BatchingOptions {
  const windowMs = options.windowMs ?? (ROW_STABLE_BACKENDS.has(backend ?? '') ? 2 : 0);
  return { windowMs, maxRows: options.maxRows ?? limits.maxBatch };
}

export interface StartOptions extends ServerOptions {
  /** Default 127.0.0.1; any other address needs a token. Accepted as a Host (on 0.0.0.0: the machine's addresses). */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
}

// Validation keeps zod's path, so a 400 names the field as the client wrote it ("inputs[3]").
const zodValidator: FastifySchemaCompiler<z.ZodType> =
  ({ schema }) =>
  (data) => {
    const result = schema.safeParse(data);
    return result.success ? { value: result.data } : { error: validationError(result.error) };
  };

function realRoot(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return dir;
  }
}

/** The server, ready for `inject()` or `listen()`; nothing is bound yet (`host` only names the Hosts it accepts). */
export async function buildServer(options: StartOptions = {}): Promise<FastifyInstance> {
  // Operations run tensors; a server started from the library needs no selectBackend() call first.
  await ensureBackend();
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const runs = new RunsDirectory(options.runsDir ?? 'runs');
  const queue = new TensorQueue(limits.maxWaiting);
  const batcher = new Batcher(queue, batchingFor(currentBackend()?.name, limits, options.batching));
  const context: ServerContext = {
    runs,
    queue,
    batcher,
    models: new ModelCache(runs, options.cacheSize ?? 4),
    modelDirs: new WeakMap(),
    limits,
    token: options.token,
  };
  if (options.token !== undefined) checkBinding('127.0.0.1', options.token);
  // requestTimeout bounds how long a client may take to send its request (not the wait for the model).
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: limits.bodyBytes,
    requestTimeout: 60_000,
  });
  app.decorate('latentlab', context);
  app.setValidatorCompiler(zodValidator);
  // Responses are built by the server itself; the schemas document them, JSON.stringify writes them.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.setErrorHandler(errorHandler([runs.root, realRoot(runs.root)]));
  app.setNotFoundHandler((request) => {
    throw new HttpError(404, `no route ${request.method} ${request.url.split('?')[0]}`);
  });
  // Host first: a rebound name learns nothing, not even whether a token is needed.
  const hosts: HostPolicy = { bound: options.host, allow: options.allowHosts };
  app.addHook('onRequest', requireKnownHost(hosts));
  app.addHook('onRequest', refuseForeignPages(hosts));
  if (options.token) app.addHook('onRequest', requireToken(options.token));
  // An answer sent before the body was read (a refusal) ends the connection, as Go's server does: Node would stop
  // reading the rest and hold the connection until the request timeout.
  app.addHook('onSend', async (request, reply) => {
    if (request.raw.complete === false) void reply.header('connection', 'close');
  });
  // Bodies are JSON, PNG, WAV or multipart; anything else (text/plain included) is a 415.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser(
    'image/png',
    { parseAs: 'buffer', bodyLimit: limits.bodyBytes },
    (_req, body, done) => done(null, body),
  );
  // A WAV body is read as a stream: a header declaring more than --max-audio-seconds is refused before the rest.
  app.addContentTypeParser(WAV_TYPES, async (_request: unknown, payload: NodeJS.ReadableStream) => {
    const bytes = await readWavStream(payload as never, limits, 'audio[0]', { bytes: 0 }, limits.bodyBytes);
    return new WavBytes(bytes);
  });
  await app.register(multipart, {
    limits: {
      fileSize: limits.imageBytes,
      files: limits.maxBatch,
      fields: 32,
      fieldSize: limits.bodyBytes,
      parts: limits.maxBatch + 32,
    },
  });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'latentlab model server',
        description:
          'Encode, decode, reconstruct, sample, interpolate and score with the models of a runs directory. Bodies are JSON, or PNG images (audio runs: WAV files) as multipart files or one image/png (audio/wav) body; outputs are JSON, or PNG with format=png or Accept: image/png, or for audio runs one WAV with format=wav or Accept: audio/wav.',
        version: LATENTLAB_VERSION,
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      ...(options.token ? { security: [{ bearer: [] }] } : {}),
    },
    transform: jsonSchemaTransform,
  });
  await app.register(
    async (scope) => {
      // An operation on a run without a model is refused before its body (an upload) is read.
      scope.addHook('preParsing', async (request) => {
        const { run } = request.params as { run?: string };
        // Kept for the route, which then only checks the manifest's version (one resolution per request).
        if (request.method === 'POST' && run !== undefined)
          context.modelDirs.set(request, await runs.modelDir(run));
      });
      await v1Routes(scope, context);
    },
    { prefix: '/v1' },
  );
  for (const plugin of options.plugins ?? [])
    await app.register(async (scope) => {
      scope.addHook('onRequest', requireJson);
      await plugin(scope, context);
    });
  app.addHook('onClose', async () => {
    await batcher.drain();
    context.models.clear();
  });
  return app;
}

/** Build the server and listen: on 127.0.0.1 unless told otherwise, and on other addresses only with a token. */
export async function startServer(
  options: StartOptions = {},
): Promise<{ app: FastifyInstance; url: string }> {
  const host = options.host ?? '127.0.0.1';
  checkBinding(host, options.token);
  const app = await buildServer(options);
  const url = await app.listen({ host, port: options.port ?? 8080 });
  return { app, url };
}
