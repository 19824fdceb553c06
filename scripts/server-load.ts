// Load test of `latentlab serve`, loopback only and bounded: trains two small MNIST runs (or takes --runs),
// starts the server in a child process on 127.0.0.1, then N clients (default 50) each send requests one after
// another for D seconds (default 60), a mix of every endpoint with JSON and PNG bodies and answers. Reports
// requests/s, p50/p90/p99 latency, errors, and the server's RSS and live tensors sampled every second.
//   npx tsx scripts/server-load.ts [--clients 50] [--duration 60] [--backend wasm] [--runs DIR [--port N]]
//     [--batch-window MS | --compare] [--only NAME] [--conv] [--json out.json]
// --compare: the same load on the unbatched server (--batch-window 0), then on the batched one (the default
// window), one after the other on the same runs, and the ratio of their requests per second.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadData } from '../src/data/load.js';
import { encodeImage } from '../src/io/png.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '50' },
    duration: { type: 'string', default: '60' },
    backend: { type: 'string', default: 'wasm' },
    runs: { type: 'string' },
    // A server already listening on 127.0.0.1:PORT (started by hand, e.g. under --cpu-prof) over --runs.
    port: { type: 'string' },
    // The server's batching window, ms (0: off); --compare runs the same load unbatched, then batched.
    'batch-window': { type: 'string' },
    compare: { type: 'boolean', default: false },
    conv: { type: 'boolean', default: false },
    // Only the requests whose name contains this ("reconstruct", "sample"): one operation under load.
    only: { type: 'string' },
    json: { type: 'string' },
  },
});
// Bounds: a load test, not a denial of service.
const clients = Math.min(200, Math.max(1, Number(values.clients)));
const duration = Math.min(600, Math.max(1, Number(values.duration)));
const root = join(import.meta.dirname, '..');
const cli = (args: string[]) => [
  join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
  join(root, 'src', 'cli', 'bin.ts'),
  ...args,
];

function train(runs: string): void {
  // --conv: convolutional models (filters 32, 64), whose passes take the server longer than dense ones.
  const models = values.conv
    ? ([
        [
          'ae',
          ['--model', 'conv-ae', '--filters', '32,64', '--latent', '16', '--epochs', '1', '--limit', '2000'],
        ],
        [
          'vae',
          ['--model', 'conv-vae', '--filters', '32,64', '--latent', '2', '--epochs', '1', '--limit', '2000'],
        ],
      ] as const)
    : ([
        ['ae', ['--model', 'dense-ae', '--latent', '16', '--epochs', '2']],
        ['vae', ['--model', 'vae', '--latent', '2', '--epochs', '2']],
      ] as const);
  for (const [name, args] of models) {
    process.stderr.write(`training ${name} ...\n`);
    const out = spawnSync(
      process.execPath,
      cli(['train', ...args, '--out', join(runs, name), '--backend', values.backend as string]),
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    if (out.status !== 0) throw new Error(`training ${name} failed`);
  }
}

async function startServer(
  runs: string,
  batchWindow: string | undefined,
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    cli([
      'serve',
      '--runs',
      runs,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--backend',
      values.backend as string,
      ...(batchWindow !== undefined ? ['--batch-window', batchWindow] : []),
    ]),
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LATENTLAB_TOKEN: '' } },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    child.stdout?.on('data', (chunk) => {
      text += chunk;
      const match = /http:\/\/127\.0\.0\.1:(\d+)/.exec(text);
      if (match) resolve(Number(match[1]));
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { child, port };
}

interface Job {
  name: string;
  path: string;
  body: Buffer;
  type: string;
  accept: string;
}

function jobs(digits: Float32Array): Job[] {
  const rows = (n: number, from = 0) =>
    Array.from({ length: n }, (_, i) => Array.from(digits.subarray((from + i) * 784, (from + i + 1) * 784)));
  const json = (name: string, path: string, body: unknown, accept = 'application/json'): Job => ({
    name,
    path,
    body: Buffer.from(JSON.stringify(body)),
    type: 'application/json',
    accept,
  });
  const png = encodeImage(digits.subarray(0, 784), [28, 28, 1]);
  return [
    json('encode 8', '/v1/runs/ae/encode', { inputs: rows(8) }),
    json('reconstruct 8', '/v1/runs/ae/reconstruct', { inputs: rows(8, 8) }),
    json('decode 8 → PNG', '/v1/runs/ae/decode', { codes: Array(8).fill(Array(16).fill(0.1)) }, 'image/png'),
    json('sample 16 → PNG', '/v1/runs/vae/sample', { n: 16, seed: 3 }, 'image/png'),
    json('interpolate 10', '/v1/runs/vae/interpolate', { from: { seed: 1 }, to: { seed: 2 }, steps: 10 }),
    json('score mse 8', '/v1/runs/ae/score', { inputs: rows(8, 16) }),
    json('score elbo 8', '/v1/runs/vae/score', { inputs: rows(8, 24), score: 'elbo' }),
    json('score mahalanobis 8', '/v1/runs/ae/score', { inputs: rows(8, 32), score: 'mahalanobis' }),
    {
      name: 'encode PNG upload',
      path: '/v1/runs/vae/encode',
      body: png,
      type: 'image/png',
      accept: 'application/json',
    },
  ];
}

const agent = new Agent({ keepAlive: true, maxSockets: clients + 2 });

function send(
  port: number,
  method: string,
  path: string,
  job?: Job,
): Promise<{ status: number; bytes: number; body: string; modelMs?: number }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        headers: job
          ? { 'content-type': job.type, accept: job.accept, 'content-length': job.body.length }
          : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const all = Buffer.concat(chunks);
          const timing = /model;dur=([\d.]+)/.exec(String(res.headers['server-timing'] ?? ''));
          resolve({
            status: res.statusCode ?? 0,
            bytes: all.length,
            body: method === 'GET' ? all.toString() : '',
            modelMs: timing ? Number(timing[1]) : undefined,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(job?.body);
  });
}

const percentile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

async function main(): Promise<void> {
  const temp = values.runs ? undefined : mkdtempSync(join(tmpdir(), 'latentlab-load-'));
  const runs = values.runs ?? (temp as string);
  try {
    if (temp) train(runs);
    const digits = (await loadData({ source: 'mnist' }, { seed: 0 })).test.x;
    const list = jobs(digits).filter((job) => !values.only || job.name.includes(values.only));
    if (list.length === 0) throw new Error(`--only ${values.only}: no request of the mix is named so`);
    if (!values.compare) {
      const report = await measure(runs, list, values['batch-window']);
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      if (values.json) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
      return;
    }
    const unbatched = await measure(runs, list, '0');
    const batched = await measure(runs, list, values['batch-window']);
    const both = {
      unbatched,
      batched,
      requestsPerSecondRatio:
        Math.round((batched.requestsPerSecond / unbatched.requestsPerSecond) * 100) / 100,
    };
    process.stdout.write(`${JSON.stringify(both, null, 2)}\n`);
    if (values.json) writeFileSync(values.json, `${JSON.stringify(both, null, 2)}\n`);
  } finally {
    agent.destroy();
    if (temp) rmSync(temp, { recursive: true, force: true });
  }
}

/** One server (batching window `batchWindow`, ms; undefined: the server's default) under the load. */
async function measure(runs: string, list: Job[], batchWindow: string | undefined) {
  const { child, port } = values.port
    ? { child: undefined, port: Number(values.port) }
    : await startServer(runs, batchWindow);
  try {
    // Warm up: every request once, so the models load and the Mahalanobis fit is made before timing.
    for (const job of list) {
      const res = await send(port, 'POST', job.path, job);
      if (res.status !== 200) throw new Error(`warm-up ${job.name}: HTTP ${res.status}`);
    }
    const status = async () => JSON.parse((await send(port, 'GET', '/v1/status')).body);
    const memory: Array<{ t: number; rss: number; tensors: number; tensorBytes: number }> = [];
    const start = performance.now();
    const end = start + duration * 1000;
    const sampler = setInterval(async () => {
      const s = await status();
      memory.push({ t: (performance.now() - start) / 1000, ...s.memory });
    }, 1000);
    const latencies: number[] = [];
    const perJob = new Map<string, number[]>();
    const modelTimes = new Map<string, number[]>();
    let errors = 0;
    let bytes = 0;
    const errorKinds = new Map<string, number>();
    const client = async (c: number) => {
      for (let i = c; performance.now() < end; i++) {
        const job = list[i % list.length];
        const t0 = performance.now();
        try {
          const res = await send(port, 'POST', job.path, job);
          const ms = performance.now() - t0;
          bytes += res.bytes;
          if (res.status !== 200) {
            errors++;
            errorKinds.set(`HTTP ${res.status}`, (errorKinds.get(`HTTP ${res.status}`) ?? 0) + 1);
          } else {
            latencies.push(ms);
            const own = perJob.get(job.name) ?? [];
            own.push(ms);
            perJob.set(job.name, own);
            if (res.modelMs !== undefined) {
              const times = modelTimes.get(job.name) ?? [];
              times.push(res.modelMs);
              modelTimes.set(job.name, times);
            }
          }
        } catch (error) {
          errors++;
          const kind = (error as NodeJS.ErrnoException).code ?? 'network';
          errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
        }
      }
    };
    const load = [loadavg()[0]];
    await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
    const elapsed = (performance.now() - start) / 1000;
    clearInterval(sampler);
    memory.push({ t: elapsed, ...(await status()).memory });
    load.push(loadavg()[0]);
    const final = await status();
    const sorted = [...latencies].sort((a, b) => a - b);
    const mb = (b: number) => Math.round(b / 1e5) / 10;
    const tenth = memory.filter((m) => m.t >= duration * 0.1);
    const report = {
      command: `npx tsx scripts/server-load.ts --clients ${clients} --duration ${duration} --backend ${values.backend}${values.runs ? ` --runs ${values.runs}` : ''}${values.only ? ` --only "${values.only}"` : ''}${values.conv ? ' --conv' : ''}`,
      batchWindowMs: final.batching?.windowMs,
      machine: { cpus: cpus().length, model: cpus()[0]?.model, loadBefore: load[0], loadAfter: load[1] },
      clients,
      seconds: Math.round(elapsed * 10) / 10,
      requests: latencies.length + errors,
      ok: latencies.length,
      errors,
      errorKinds: Object.fromEntries(errorKinds),
      requestsPerSecond: Math.round((latencies.length / elapsed) * 10) / 10,
      latencyMs: {
        p50: Math.round(percentile(sorted, 0.5)),
        p90: Math.round(percentile(sorted, 0.9)),
        p99: Math.round(percentile(sorted, 0.99)),
        max: Math.round(sorted.at(-1) ?? 0),
      },
      perEndpoint: Object.fromEntries(
        [...perJob].map(([name, ms]) => {
          const s = [...ms].sort((a, b) => a - b);
          const model = [...(modelTimes.get(name) ?? [])].sort((a, b) => a - b);
          return [
            name,
            {
              requests: s.length,
              p50: Math.round(percentile(s, 0.5)),
              p99: Math.round(percentile(s, 0.99)),
              // Time with the model (server-timing), the rest being the wait in the queue and HTTP.
              modelP50: Math.round(percentile(model, 0.5) * 10) / 10,
            },
          ];
        }),
      ),
      responseMB: mb(bytes),
      memory: {
        samples: memory.length,
        rssMB: {
          first: mb(memory[0].rss),
          min: mb(Math.min(...memory.map((m) => m.rss))),
          max: mb(Math.max(...memory.map((m) => m.rss))),
          last: mb(memory.at(-1)?.rss ?? 0),
        },
        rssFrom10PercentMB: {
          min: mb(Math.min(...tenth.map((m) => m.rss))),
          max: mb(Math.max(...tenth.map((m) => m.rss))),
        },
        tensors: {
          min: Math.min(...memory.map((m) => m.tensors)),
          max: Math.max(...memory.map((m) => m.tensors)),
        },
        tensorBytes: {
          min: Math.min(...memory.map((m) => m.tensorBytes)),
          max: Math.max(...memory.map((m) => m.tensorBytes)),
        },
      },
      server: { queue: final.queue, batching: final.batching },
      memorySeries: memory,
    };
    return report;
  } finally {
    child?.kill('SIGTERM');
    if (child) await new Promise((resolve) => child.once('exit', resolve));
  }
}

main().catch((error) => {
  process.stderr.write(`server-load: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
