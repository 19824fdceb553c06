// `latentlab studio`'s server side, as a plugin of the model server: the studio's JSON API under /studio/api
// (run list with training status, form schemas, training jobs with a server-sent event stream per run, the
// latent explorer, anomaly results, an audio run's test recordings) and the built browser app (studio/, by Vite) at /.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { DataSpec } from '../../data/spec.js';
import { SamplerKind } from '../../eval/samplers/index.js';
import { listFamilies } from '../../models/registry.js';
import { TrainConfig } from '../../train/config.js';
import type { ServerContext, ServerPlugin } from '../context.js';
import { HttpError, validationError } from '../errors.js';
import type { CachedModel } from '../model-cache.js';
import { RunParams } from '../schemas.js';
import { audioOriginals } from './audio.js';
import { DataRoots } from './data-roots.js';
import {
  decodePoint,
  interpolationStrip,
  itemImage,
  latentMap,
  MAX_TRAVERSE_ROWS,
  type MapMethod,
  sampleGrid,
  traversalGrid,
} from './explorer.js';
import { type JobEvent, TrainingJobs } from './jobs.js';
import { pageRefusal, pageTrainingData } from './page-data.js';
import { describeSweep, listSweeps } from './sweeps.js';

export interface StudioOptions {
  /** The built browser app (index.html, assets/); default: dist/studio of this package. */
  assetsDir?: string;
  /** Training processes allowed at once. */
  maxRunning?: number;
  /** Folders whose files (and subfolders) runs may read as data; none: built-in data only. */
  dataRoots?: readonly string[];
}

/** dist/studio beside the compiled code, reached the same way from src/server/studio and dist/server/studio. */
export function defaultAssetsDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'dist', 'studio');
}

const ImageFile = z.string().regex(/^epoch-\d{3,}(-scatter)?\.png$/, 'expected an epoch picture name');
const HeatmapFile = z.string().regex(/^\d+-id\d+\.png$/, 'expected a heat map name');
const LatentQuery = z.object({ map: z.enum(['codes', 'pca', 'umap']).optional() });
const ItemParams = RunParams.extend({ id: z.coerce.number().int().min(0) });
const DecodeBody = z.object({
  code: z.array(z.number()).min(1).max(4096),
  label: z.number().int().min(0).optional(),
});
const InterpolateBody = z.object({
  from: z.number().int().min(0),
  to: z.number().int().min(0),
  steps: z.number().int().min(2).max(32).default(10),
});
const SampleBody = z.object({
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .default(0),
  n: z.number().int().min(1).max(64).default(16),
  /** An autoencoder's post-hoc sampler (fitted to its training codes on first use); default its prior. */
  sampler: SamplerKind.optional(),
});
const TraverseBody = z.object({
  from: z
    .union([
      z.number().int().min(0),
      z.literal('mean'),
      z
        .object({
          seed: z
            .number()
            .int()
            .min(0)
            .max(2 ** 31 - 1),
        })
        .strict(),
    ])
    .default(0),
  dims: z
    .union([
      z.literal('all'),
      z.array(z.number().int().min(0)).min(1).max(MAX_TRAVERSE_ROWS),
      z.object({ top: z.number().int().min(1).max(MAX_TRAVERSE_ROWS) }).strict(),
    ])
    .default('all'),
  range: z.number().positive().max(10).default(3),
  steps: z.number().int().min(2).max(21).default(11),
  label: z.number().int().min(0).optional(),
});
const OriginalsQuery = z.object({ n: z.coerce.number().int().min(1).max(32).default(6) });
const StartBody = z.object({ config: z.unknown() });
const ResumeBody = z.object({ epochs: z.number().int().min(1).optional() }).default({});

function parse<T extends z.ZodType>(schema: T, value: unknown, prefix = ''): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationError(parsed.error, prefix);
  return parsed.data;
}

/** JSON Schemas of everything the new-run form edits, generated from the zod schemas (input side, defaults). */
function formSchemas() {
  const json = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return {
    families: listFamilies().map((family) => ({
      kind: family.kind,
      description: family.description,
      needsImages: family.needsImages === true,
      /** Why the page cannot train it ("train here"); absent when it can. */
      pageRefusal: pageRefusal(family),
      schema: json(family.configSchema),
    })),
    data: json(DataSpec),
    train: json(TrainConfig),
  };
}

const png = (reply: FastifyReply, bytes: Buffer) =>
  reply.type('image/png').header('cache-control', 'no-store').send(bytes);

export function createStudioPlugin(options: StudioOptions = {}): ServerPlugin {
  return async (app: FastifyInstance, context: ServerContext): Promise<void> => {
    const { runs, models, queue } = context;
    const dataRoots = await DataRoots.open(options.dataRoots);
    const jobs = new TrainingJobs({
      runsDir: runs.root,
      resolve: (name) => join(runs.root, name),
      maxRunning: options.maxRunning,
      dataRoots,
    });
    app.addHook('onClose', () => jobs.close());
    const schemas = formSchemas();
    const runName = (params: unknown) => parse(RunParams, params).run;
    // The explorer reads the run's test data at request time: only from where a new run could read it.
    const explorable = async (name: string): Promise<CachedModel> => {
      const cached = await models.get(name);
      const data = DataSpec.safeParse(cached.manifest.data);
      if (data.success)
        await dataRoots.confine(data.data, 'data').catch((error: unknown) => {
          if (!(error instanceof HttpError)) throw error;
          throw new HttpError(error.statusCode, `run "${name}": ${error.message}`, error.field);
        });
      return cached;
    };

    app.get('/studio/api/schemas', async () => schemas);

    app.get('/studio/api/runs', async () => {
      const listed = await runs.list();
      const names = new Set(listed.map((r) => r.name));
      // Runs just started may not have their directory yet.
      const starting = jobs
        .list()
        .filter((j) => !names.has(j.run))
        .map((j) => ({ name: j.run, epochsDone: 0 }));
      return {
        runs: [...listed, ...starting].map((run) => ({
          ...run,
          job: summaryOf(jobs.get(run.name)),
          detect: existsSync(join(runs.root, run.name, 'detect', 'summary.json')),
        })),
      };
    });

    // Sweeps (`latentlab sweep`): their trials' progress, read from the runs directory at each request.
    app.get('/studio/api/sweeps', async () => ({ sweeps: await listSweeps(runs) }));
    app.get('/studio/api/sweeps/:run', async (request) => describeSweep(runs, runName(request.params)));

    app.get('/studio/api/runs/:run', async (request) => {
      const name = runName(request.params);
      const job = jobs.get(name);
      const details = await runs.describe(name).catch((error) => {
        if (job) return { name, epochsDone: 0, history: [] };
        throw error;
      });
      return { ...details, job: job ?? null };
    });

    app.post('/studio/api/runs', async (request, reply) => {
      const { config } = parse(StartBody, request.body);
      const state = await jobs.start(config);
      return reply.code(201).send({ run: state.run, job: state });
    });

    // "Train here": the samples of a run the page trains itself (a JSON request, so no foreign page can ask).
    app.post('/studio/api/page-data', async (request, reply) => {
      const { config } = parse(StartBody, request.body);
      const body = await pageTrainingData(config, dataRoots, queue);
      return reply.type('application/octet-stream').header('cache-control', 'no-store').send(body);
    });

    app.post('/studio/api/runs/:run/stop', async (request) => {
      const name = runName(request.params);
      return { job: summaryOf(jobs.stop(name)) };
    });

    app.post('/studio/api/runs/:run/resume', async (request) => {
      const name = runName(request.params);
      await runs.resolve(name);
      const { epochs } = parse(ResumeBody, request.body ?? {});
      return { job: summaryOf(await jobs.resume(name, epochs)) };
    });

    // Server-sent events: the job's state once, then its events as they come; a comment line keeps it open.
    app.get('/studio/api/runs/:run/events', (request, reply) => {
      const name = runName(request.params);
      reply.hijack();
      const out = reply.raw;
      out.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      const write = (event: JobEvent | { type: 'snapshot'; job: unknown }) =>
        out.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
      write({ type: 'snapshot', job: jobs.get(name) ?? null });
      const unsubscribe = jobs.subscribe(name, write);
      // A page opened before the run started subscribes again when it does: poll for the job briefly.
      let late: NodeJS.Timeout | undefined;
      let unsubscribeLate = () => {};
      if (!jobs.get(name)) {
        late = setInterval(() => {
          if (!jobs.get(name)) return;
          clearInterval(late);
          write({ type: 'snapshot', job: jobs.get(name) ?? null });
          unsubscribeLate = jobs.subscribe(name, write);
        }, 1000);
      }
      const ping = setInterval(() => out.write(': ping\n\n'), 15_000);
      request.raw.on('close', () => {
        clearInterval(ping);
        if (late) clearInterval(late);
        unsubscribe();
        unsubscribeLate();
      });
    });

    app.get('/studio/api/runs/:run/images/:file', async (request, reply) => {
      const { run, file } = parse(RunParams.extend({ file: ImageFile }), request.params);
      const path = await runs.file(run, join('images', file));
      if (!path) throw new HttpError(404, `run "${run}" has no picture ${file}`, 'file');
      return png(reply, await readFile(path));
    });

    // ---- Latent explorer (tensor work: through the queue, on the cached model) ----

    app.get('/studio/api/runs/:run/latent', async (request) => {
      const name = runName(request.params);
      const { map } = parse(LatentQuery, request.query);
      return queue.run(async () => latentMap(await explorable(name), map as MapMethod | undefined));
    });

    app.get('/studio/api/runs/:run/items/:id', async (request, reply) => {
      const { run, id } = parse(ItemParams, request.params);
      return png(reply, await queue.run(async () => itemImage(await explorable(run), id)));
    });

    app.post('/studio/api/runs/:run/decode', async (request, reply) => {
      const name = runName(request.params);
      const { code, label } = parse(DecodeBody, request.body);
      return png(reply, await queue.run(async () => decodePoint(await explorable(name), code, label)));
    });

    app.post('/studio/api/runs/:run/interpolate', async (request, reply) => {
      const name = runName(request.params);
      const { from, to, steps } = parse(InterpolateBody, request.body);
      return png(
        reply,
        await queue.run(async () => interpolationStrip(await explorable(name), from, to, steps)),
      );
    });

    app.post('/studio/api/runs/:run/sample', async (request, reply) => {
      const name = runName(request.params);
      const { seed, n, sampler } = parse(SampleBody, request.body ?? {});
      return png(reply, await queue.run(async () => sampleGrid(await explorable(name), seed, n, sampler)));
    });

    app.post('/studio/api/runs/:run/traverse', async (request, reply) => {
      const name = runName(request.params);
      const ask = parse(TraverseBody, request.body ?? {});
      return png(reply, await queue.run(async () => traversalGrid(await explorable(name), ask)));
    });

    // ---- Audio runs: test recordings to hear beside their reconstructions (/v1 does the rest) ----

    app.get('/studio/api/runs/:run/audio/originals', async (request) => {
      const name = runName(request.params);
      const { n } = parse(OriginalsQuery, request.query);
      return queue.run(async () => audioOriginals(await explorable(name), n));
    });

    // ---- Anomalies: what `latentlab detect` wrote into RUN/detect ----

    app.get('/studio/api/runs/:run/anomalies', async (request) => {
      const name = runName(request.params);
      const summaryPath = await runs.file(name, join('detect', 'summary.json'));
      if (!summaryPath)
        throw new HttpError(
          404,
          `run "${name}" has no anomaly results: run latentlab detect on it first`,
          'run',
        );
      const summary = JSON.parse(await readFile(summaryPath, 'utf8'));
      const dir = await runs.file(name, join('detect', 'heatmaps'));
      const heatmaps = dir ? (await readdir(dir)).filter((f) => HeatmapFile.safeParse(f).success).sort() : [];
      return { summary, heatmaps };
    });

    app.get('/studio/api/runs/:run/anomalies/:file', async (request, reply) => {
      const { run, file } = parse(RunParams.extend({ file: HeatmapFile }), request.params);
      const path = await runs.file(run, join('detect', 'heatmaps', file));
      if (!path) throw new HttpError(404, `run "${run}" has no heat map ${file}`, 'file');
      return png(reply, await readFile(path));
    });

    // ---- The browser app: public (no token), static files only ----
    const PUBLIC = { config: { public: true } } as const;
    const root = options.assetsDir ?? defaultAssetsDir();
    await app.register(async (scope) => {
      await scope.register(fastifyStatic, { root, serve: false });
      const index = (_request: unknown, reply: FastifyReply) => {
        if (!existsSync(join(root, 'index.html')))
          throw new HttpError(
            404,
            `the studio is not built (no ${join(root, 'index.html')}): run npm run build`,
          );
        return reply.header('cache-control', 'no-store').sendFile('index.html');
      };
      scope.get('/', PUBLIC, index);
      scope.get('/studio', PUBLIC, index);
      scope.get('/assets/*', PUBLIC, (request, reply) =>
        reply.sendFile(`assets/${(request.params as { '*': string })['*']}`),
      );
    });
  };
}

/** The job without its long arrays (the runs list needs the status only). */
function summaryOf(job: ReturnType<TrainingJobs['get']>) {
  if (!job) return null;
  const { batchLoss: _b, gan: _g, ...rest } = job;
  return rest;
}

export const studioPlugin = createStudioPlugin();
