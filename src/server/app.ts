// The model server (`latentlab serve`): a Fastify app over a runs directory, JSON/PNG API under /v1.
//
// Interface for the studio (and any other plugin built on this server):
//   const app = await buildServer({ runsDir, token, plugins: [studioPlugin] });   // no listen
//   await startServer({ ...options, host, port });                                // builds, checks, listens
// - ServerPlugin = (app: FastifyInstance, context: ServerContext) => Promise<void>; plugins are registered at
//   the root after the /v1 routes, so they inherit the token check and the JSON error handler, and choose
//   their own prefixes (the studio: e.g. /studio/api/..., static files at /). Routes whose
//   `config: { public: true }` skip the token check: static assets only, never data.
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
export {};
