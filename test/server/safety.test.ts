// The server's guards: validation errors naming the field, limits, run names that cannot leave the runs
// directory, the bearer token, loopback-only without a token, the queue, the model cache and memory.
import { cp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.js';
import { UsageError } from '../../src/errors.js';
import {
  buildServer,
  checkBinding,
  isLoopback,
  RunsDirectory,
  startServer,
  TensorQueue,
  tokenMatches,
} from '../../src/server/app.js';
import { useBackend } from '../helpers.js';
import { makeRunsDir, multipartBody, pngOf, tinyRun } from './helpers.js';

let runs: { dir: string; cleanup: () => Promise<void> };
let outside: { dir: string; cleanup: () => Promise<void> };
let app: FastifyInstance;
const digit = () => Array.from({ length: 784 }, (_, i) => (i % 7) / 7);

beforeAll(async () => {
  await useBackend('wasm');
  runs = await makeRunsDir();
  outside = await makeRunsDir();
  await tinyRun(runs.dir, 'ae', { kind: 'dense-ae', hidden: [16], latent: 3 });
  await tinyRun(runs.dir, 'vae', { kind: 'vae', hidden: [16], latent: 2 });
  // A run outside the runs directory, reached by symlinks from inside it.
  await cp(join(runs.dir, 'ae'), join(outside.dir, 'secret'), { recursive: true });
  await symlink(join(outside.dir, 'secret'), join(runs.dir, 'escape'));
  await mkdir(join(runs.dir, 'half'));
  await cp(join(runs.dir, 'ae', 'config.json'), join(runs.dir, 'half', 'config.json'));
  await symlink(join(outside.dir, 'secret', 'model'), join(runs.dir, 'half', 'model'));
  await mkdir(join(runs.dir, 'pending'));
  await cp(join(runs.dir, 'ae', 'config.json'), join(runs.dir, 'pending', 'config.json'));
  app = await buildServer({
    runsDir: runs.dir,
    limits: { maxBatch: 16, bodyBytes: 200_000, maxImageSide: 64 },
  });
});

afterAll(async () => {
  await app?.close();
  await runs?.cleanup();
  await outside?.cleanup();
});

async function post(url: string, payload: unknown, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url, payload: payload as Record<string, unknown>, headers });
}

describe('validation errors name the field', () => {
  const cases: Array<[string, string, unknown, number, string]> = [
    [
      'a short sample',
      '/v1/runs/ae/encode',
      { inputs: [digit(), digit(), digit(), [1, 2]] },
      400,
      'inputs[3]',
    ],
    ['a string among the values', '/v1/runs/ae/encode', { inputs: [digit(), ['a']] }, 400, 'inputs[1][0]'],
    ['no inputs', '/v1/runs/ae/encode', {}, 400, 'inputs'],
    ['an empty batch', '/v1/runs/ae/reconstruct', { inputs: [] }, 400, 'inputs'],
    ['a batch over the limit', '/v1/runs/ae/score', { inputs: Array(17).fill([0]) }, 400, 'inputs'],
    ['an unknown score', '/v1/runs/ae/score', { inputs: [digit()], score: 'psnr' }, 400, 'score'],
    ['ELBO of a plain autoencoder', '/v1/runs/ae/score', { inputs: [digit()], score: 'elbo' }, 400, 'score'],
    [
      'a code of the wrong size',
      '/v1/runs/ae/decode',
      {
        codes: [
          [1, 2, 3],
          [1, 2],
        ],
      },
      400,
      'codes[1]',
    ],
    ['a bad format', '/v1/runs/ae/decode', { codes: [[1, 2, 3]], format: 'gif' }, 400, 'format'],
    ['too many samples', '/v1/runs/vae/sample', { n: 100 }, 400, 'n'],
    ['a misspelt field', '/v1/runs/vae/sample', { count: 4 }, 400, 'count'],
    [
      'an unknown field in an end',
      '/v1/runs/vae/interpolate',
      { from: { seed: 1, z: 2 }, to: { seed: 2 } },
      400,
      'from.z',
    ],
    ['a negative seed', '/v1/runs/vae/sample', { seed: -1 }, 400, 'seed'],
    ['sampling a plain autoencoder', '/v1/runs/ae/sample', { n: 2 }, 400, 'run'],
    [
      'an end with two kinds',
      '/v1/runs/vae/interpolate',
      { from: { seed: 1, code: [0, 0] }, to: { seed: 2 } },
      400,
      'from',
    ],
    [
      'an end code too long',
      '/v1/runs/vae/interpolate',
      { from: { code: [0, 0, 0] }, to: { seed: 2 } },
      400,
      'from.code',
    ],
    ['one step', '/v1/runs/vae/interpolate', { from: { seed: 1 }, to: { seed: 2 }, steps: 1 }, 400, 'steps'],
    [
      'labels for the wrong count',
      '/v1/runs/ae/encode',
      { inputs: [digit()], labels: [1, 2] },
      400,
      'labels',
    ],
    ['a quantile of 1.5', '/v1/runs/ae/score', { inputs: [digit()], quantile: 1.5 }, 400, 'quantile'],
    [
      'a quantile and a contamination',
      '/v1/runs/ae/score',
      { inputs: [digit()], quantile: 0.9, contamination: 0.1 },
      400,
      'contamination',
    ],
    ['an unknown run', '/v1/runs/nothing/encode', { inputs: [digit()] }, 404, 'run'],
    ['a run without a model', '/v1/runs/pending/encode', { inputs: [digit()] }, 404, 'run'],
  ];
  for (const [what, url, body, status, field] of cases) {
    it(what, async () => {
      const res = await post(url, body);
      expect(res.statusCode, res.body).toBe(status);
      const json = res.json();
      expect(json.field).toBe(field);
      expect(typeof json.error).toBe('string');
    });
  }

  it('bad JSON, too large a body, an unknown content type', async () => {
    const bad = await post('/v1/runs/ae/encode', '{"inputs": [', { 'content-type': 'application/json' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe('body');
    const large = await post('/v1/runs/ae/encode', { inputs: Array(16).fill(digit()) });
    expect(large.statusCode).toBe(413);
    expect(large.json().field).toBe('body');
    const text = await post('/v1/runs/ae/encode', 'hello', { 'content-type': 'text/plain' });
    expect(text.statusCode).toBe(415);
  });

  it('images: not a PNG, too large, for a model of tables', async () => {
    const notPng = multipartBody([{ name: 'image', bytes: Buffer.from('GIF89a not really') }]);
    const res = await app.inject({ method: 'POST', url: '/v1/runs/ae/encode', ...notPng });
    expect(res.statusCode).toBe(415);
    expect(res.json().field).toBe('inputs[0]');
    const big = multipartBody([
      { name: 'image', bytes: pngOf(new Float32Array(784), 28, 28) },
      { name: 'image', bytes: pngOf(new Float32Array(65 * 65), 65, 65) },
    ]);
    const large = await app.inject({ method: 'POST', url: '/v1/runs/ae/encode', ...big });
    expect(large.statusCode).toBe(413);
    expect(large.json()).toMatchObject({ field: 'inputs[1]' });
    expect(large.json().error).toMatch(/65x65.*64 pixels/);
    const small = await buildServer({ runsDir: runs.dir, limits: { imageBytes: 2000 } });
    try {
      const noisy = pngOf(
        Float32Array.from({ length: 784 * 4 }, (_, i) => ((i * 7919) % 256) / 255),
        56,
        56,
      );
      const heavy = multipartBody([
        { name: 'image', bytes: pngOf(new Float32Array(784), 28, 28) },
        { name: 'image', bytes: noisy },
      ]);
      const res = await small.inject({ method: 'POST', url: '/v1/runs/ae/encode', ...heavy });
      expect(res.statusCode).toBe(413);
      expect(res.json()).toMatchObject({ field: 'inputs[1]' });
      const many = multipartBody(
        Array(17).fill({ name: 'image', bytes: pngOf(new Float32Array(784), 28, 28) }),
      );
      const tooMany = await app.inject({ method: 'POST', url: '/v1/runs/ae/encode', ...many });
      expect(tooMany.statusCode).toBe(413);
      expect(tooMany.json().field).toBe('inputs');
    } finally {
      await small.close();
    }
  });

  it('a broken model is a 500 that names the run, not the disk path', async () => {
    await mkdir(join(runs.dir, 'broken', 'model'), { recursive: true });
    await writeFile(join(runs.dir, 'broken', 'model', 'manifest.json'), '{ not json');
    const res = await post('/v1/runs/broken/encode', { inputs: [digit()] });
    expect(res.statusCode).toBe(500);
    expect(res.json().error).toMatch(/^broken\/model\/manifest\.json: cannot read manifest\.json/);
    expect(res.body).not.toContain(runs.dir);
  });

  it('unknown routes are JSON 404s', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/nothing' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toMatch(/no route/);
  });
});

describe('run names stay inside the runs directory', () => {
  const attempts = [
    '/v1/runs/..%2F..%2Fetc/encode',
    '/v1/runs/%2e%2e/encode',
    '/v1/runs/%2E%2E%2Fae/encode',
    '/v1/runs/..%252F..%252Fetc/encode',
    '/v1/runs/..%5C..%5Cetc/encode',
    '/v1/runs/%2Fetc%2Fpasswd/encode',
    '/v1/runs/ae%00/encode',
    '/v1/runs/.hidden/encode',
    '/v1/runs/../../etc/encode',
    `/v1/runs/${encodeURIComponent(join(runs?.dir ?? '/tmp', 'ae'))}/encode`,
  ];
  for (const url of attempts) {
    it(`refuses ${url}`, async () => {
      const res = await post(url, { inputs: [digit()] });
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      expect(res.json().error).toBeDefined();
    });
  }

  it('refuses symlinks out of the directory: a run, and a model inside a run', async () => {
    const escaped = await post('/v1/runs/escape/encode', { inputs: [digit()] });
    expect(escaped.statusCode).toBe(403);
    expect(escaped.json().field).toBe('run');
    const half = await post('/v1/runs/half/encode', { inputs: [digit()] });
    expect(half.statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/v1/runs/escape' })).statusCode).toBe(403);
    const listed = (await app.inject({ method: 'GET', url: '/v1/runs' })).json();
    expect(listed.runs.map((r: { name: string }) => r.name)).not.toContain('escape');
    const half2 = listed.runs.find((r: { name: string }) => r.name === 'half');
    expect(half2?.model).toBeUndefined();
  });

  it('RunsDirectory.resolve checks names before touching the disk', async () => {
    const dir = new RunsDirectory(runs.dir);
    for (const name of ['..', '../ae', 'a/b', 'a\\b', '', '.git', 'x..y', 'ae\n'])
      await expect(dir.resolve(name), name).rejects.toMatchObject({ statusCode: 400, field: 'run' });
    await expect(dir.resolve('ae')).resolves.toMatch(/ae$/);
  });
});

describe('the bearer token', () => {
  it('is required on every request when set', async () => {
    const guarded = await buildServer({ runsDir: runs.dir, token: 's3cret-token' });
    try {
      const none = await guarded.inject({ method: 'GET', url: '/v1/runs' });
      expect(none.statusCode).toBe(401);
      expect(none.json().field).toBe('authorization');
      expect(none.headers['www-authenticate']).toBe('Bearer');
      const wrong = await guarded.inject({
        method: 'POST',
        url: '/v1/runs/ae/encode',
        headers: { authorization: 'Bearer s3cret-tokem' },
        payload: { inputs: [digit()] },
      });
      expect(wrong.statusCode).toBe(401);
      const missingRoute = await guarded.inject({ method: 'GET', url: '/v1/nowhere' });
      expect(missingRoute.statusCode).toBe(401);
      const openapi = await guarded.inject({ method: 'GET', url: '/v1/openapi.json' });
      expect(openapi.statusCode).toBe(401);
      const right = await guarded.inject({
        method: 'POST',
        url: '/v1/runs/ae/encode',
        headers: { authorization: 'Bearer s3cret-token' },
        payload: { inputs: [digit()] },
      });
      expect(right.statusCode).toBe(200);
    } finally {
      await guarded.close();
    }
  });

  it('compares tokens whatever their lengths', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abc', 'abcd')).toBe(false);
    expect(tokenMatches('abc', '')).toBe(false);
  });
});

describe('binding', () => {
  it('knows loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'])
      expect(isLoopback(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.4', '10.0.0.1', 'example.com', '::ffff:10.0.0.1'])
      expect(isLoopback(host), host).toBe(false);
  });

  it('refuses a non-loopback address without a token, with a clear error', async () => {
    expect(() => checkBinding('0.0.0.0', undefined)).toThrow(UsageError);
    expect(() => checkBinding('0.0.0.0', undefined)).toThrow(
      /refusing to listen on 0\.0\.0\.0 without a token/,
    );
    expect(() => checkBinding('0.0.0.0', '')).toThrow(/token is empty/);
    expect(() => checkBinding('0.0.0.0', 'abc')).not.toThrow();
    await expect(startServer({ runsDir: runs.dir, host: '0.0.0.0', port: 0 })).rejects.toThrow(/--host/);
  });

  it('listens on 127.0.0.1 by default', async () => {
    const { app: server, url } = await startServer({ runsDir: runs.dir, port: 0 });
    try {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${url}/v1/runs`);
      expect(res.status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('the queue', () => {
  it('runs one job at a time, in order, through failures', async () => {
    const queue = new TensorQueue();
    const log: string[] = [];
    let active = 0;
    const job = (name: string, fail = false) =>
      queue.run(async () => {
        active++;
        expect(active).toBe(1);
        log.push(`start ${name}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        log.push(`end ${name}`);
        active--;
        if (fail) throw new Error(name);
        return name;
      });
    const results = await Promise.allSettled([job('a'), job('b', true), job('c')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(queue.stats()).toMatchObject({ completed: 3, maxRunning: 1, waiting: 0 });
  });

  it('refuses jobs beyond its waiting limit with 503', async () => {
    const queue = new TensorQueue(1);
    const first = queue.run(() => new Promise((resolve) => setTimeout(resolve, 20)));
    const second = queue.run(async () => 2);
    await expect(queue.run(async () => 3)).rejects.toMatchObject({ statusCode: 503 });
    await Promise.all([first, second]);
  });

  it('serialises concurrent requests: same answers as one by one, never two jobs at once', async () => {
    const server = await buildServer({ runsDir: runs.dir });
    try {
      const requests = Array.from({ length: 24 }, (_, i) => {
        const kind = i % 4;
        if (kind === 0) return { url: '/v1/runs/ae/encode', payload: { inputs: [digit()] } };
        if (kind === 1) return { url: '/v1/runs/vae/sample', payload: { n: 3, seed: i } };
        if (kind === 2)
          return { url: '/v1/runs/vae/score', payload: { inputs: [digit()], score: 'elbo', seed: i } };
        return { url: '/v1/runs/ae/reconstruct', payload: { inputs: [digit(), digit()] } };
      });
      const one = [];
      for (const r of requests) one.push((await server.inject({ method: 'POST', ...r })).body);
      const all = await Promise.all(requests.map((r) => server.inject({ method: 'POST', ...r })));
      expect(all.map((r) => r.statusCode)).toEqual(requests.map(() => 200));
      expect(all.map((r) => r.body)).toEqual(one);
      const stats = server.latentlab.queue.stats();
      expect(stats.maxRunning).toBe(1);
      // The 12 ELBO scores run alone (their noise is drawn over the batch); the rest run in batch groups,
      // one queue job each, and concurrent requests for the same run and operation share them.
      const batching = server.latentlab.batcher.stats();
      expect(stats.completed).toBe(12 + batching.batches);
      expect(batching.requests).toBe(36);
      expect(batching.largest).toBeGreaterThan(1);
    } finally {
      await server.close();
    }
  });
});

describe('models and memory', () => {
  it('keeps tf.memory() flat over many requests of every kind, errors included', async () => {
    const server = await buildServer({ runsDir: runs.dir });
    const png = pngOf(digit(), 28, 28);
    const requests = [
      { url: '/v1/runs/ae/encode', payload: { inputs: [digit(), digit()] } },
      { url: '/v1/runs/ae/decode', payload: { codes: [[0, 1, 2]], format: 'png' } },
      { url: '/v1/runs/ae/reconstruct', payload: { inputs: [digit()] } },
      { url: '/v1/runs/vae/sample', payload: { n: 4, format: 'png' } },
      { url: '/v1/runs/vae/interpolate', payload: { from: { seed: 0 }, to: { input: digit() }, steps: 3 } },
      { url: '/v1/runs/vae/score', payload: { inputs: [digit()], score: 'elbo' } },
      { url: '/v1/runs/ae/score', payload: { inputs: [digit()], score: 'mahalanobis' } },
      { url: '/v1/runs/ae/score', payload: { inputs: [digit()], score: 'knn', quantile: 0.9 } },
      { url: '/v1/runs/vae/score', payload: { inputs: [digit()], score: 'elbo', quantile: 0.9 } },
      { url: '/v1/runs/ae/score', payload: { inputs: [digit()], format: 'png' } },
      { url: '/v1/runs/ae/encode', payload: { inputs: [[1, 2]] } },
      { url: '/v1/runs/ae/sample', payload: {} },
      { url: '/v1/runs/ae/score', payload: { inputs: [digit()], score: 'elbo' } },
    ];
    const send = async () => {
      for (const r of requests) await server.inject({ method: 'POST', ...r });
      await server.inject({
        method: 'POST',
        url: '/v1/runs/ae/encode',
        headers: { 'content-type': 'image/png' },
        payload: png,
      });
    };
    try {
      await send();
      const before = tf.memory();
      for (let round = 0; round < 10; round++) await send();
      const after = tf.memory();
      expect(after.numTensors).toBe(before.numTensors);
      expect(after.numBytes).toBe(before.numBytes);
    } finally {
      await server.close();
    }
  });

  it('evicts the least recently used model and disposes its tensors; close disposes the rest', async () => {
    const start = tf.memory().numTensors;
    const server = await buildServer({ runsDir: runs.dir, cacheSize: 1 });
    const encode = () =>
      server.inject({ method: 'POST', url: '/v1/runs/ae/encode', payload: { inputs: [digit()] } });
    const sample = () => server.inject({ method: 'POST', url: '/v1/runs/vae/sample', payload: { n: 1 } });
    await encode();
    const withAe = tf.memory().numTensors;
    await sample();
    await encode();
    expect(tf.memory().numTensors).toBe(withAe);
    expect(server.latentlab.models.size).toBe(1);
    expect(server.latentlab.models.loads).toBe(3);
    await encode();
    expect(server.latentlab.models.loads).toBe(3);
    await server.close();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('reloads a model whose run was trained again', async () => {
    const server = await buildServer({ runsDir: runs.dir });
    try {
      await tinyRun(runs.dir, 'again', { kind: 'dense-ae', hidden: [8], latent: 2 });
      const first = (
        await server.inject({ method: 'POST', url: '/v1/runs/again/encode', payload: { inputs: [digit()] } })
      ).json();
      await rm(join(runs.dir, 'again'), { recursive: true });
      await tinyRun(runs.dir, 'again', { kind: 'dense-ae', hidden: [8], latent: 5 });
      const second = (
        await server.inject({ method: 'POST', url: '/v1/runs/again/encode', payload: { inputs: [digit()] } })
      ).json();
      expect(first.latentSize).toBe(2);
      expect(second.latentSize).toBe(5);
    } finally {
      await server.close();
    }
  });
});
