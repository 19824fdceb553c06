// Batched serving: concurrent requests for the same run and operation share one queue job and one model pass,
// and every answer is byte for byte the one the unbatched server gives the same request alone; a bad request
// in a group gets its own error and spoils no other; the batcher groups by key and size, and the default
// window is off where the backend's kernels depend on the batch size.
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadData } from '../../src/data/load.js';
import { tf } from '../../src/engine/tf.js';
import { Batcher, batchingFor, buildServer, DEFAULT_LIMITS, TensorQueue } from '../../src/server/app.js';
import { useBackend } from '../helpers.js';
import { makeRunsDir, multipartBody, pngOf, tinyRun } from './helpers.js';

let runs: { dir: string; cleanup: () => Promise<void> };
let batched: FastifyInstance;
let alone: FastifyInstance;
let digits: number[][];

beforeAll(async () => {
  await useBackend('wasm');
  runs = await makeRunsDir();
  await tinyRun(runs.dir, 'ae', { kind: 'dense-ae', hidden: [16], latent: 3 });
  await tinyRun(runs.dir, 'vae', { kind: 'vae', hidden: [16], latent: 2 });
  await tinyRun(runs.dir, 'cvae', { kind: 'cvae', hidden: [16], latent: 2 });
  await tinyRun(runs.dir, 'conv', { kind: 'conv-ae', filters: [4, 8], latent: 4 });
  const x = (await loadData({ source: 'mnist' }, { seed: 0 })).test.x;
  digits = Array.from({ length: 12 }, (_, i) => Array.from(x.subarray(i * 784, (i + 1) * 784)));
  // A wide window, so requests sent together surely share a group even on a loaded machine.
  batched = await buildServer({ runsDir: runs.dir, batching: { windowMs: 25 } });
  alone = await buildServer({ runsDir: runs.dir, batching: { windowMs: 0 } });
}, 120_000);

afterAll(async () => {
  await batched?.close();
  await alone?.close();
  await runs?.cleanup();
});

const json = (url: string, payload: object): InjectOptions => ({ method: 'POST', url, payload });
const batchOf = (header: unknown) => Number(/batch;desc="(\d+)"/.exec(String(header))?.[1] ?? 0);

/** The requests sent together to the batched server, then one by one to the unbatched one: the same bytes. */
async function expectSameAnswers(requests: InjectOptions[], { shared = true } = {}) {
  const together = await Promise.all(requests.map((r) => batched.inject(r)));
  for (const [i, request] of requests.entries()) {
    const one = await alone.inject(request);
    expect(together[i].statusCode, `${request.url} #${i}: ${together[i].body.slice(0, 200)}`).toBe(
      one.statusCode,
    );
    expect(together[i].headers['content-type']).toBe(one.headers['content-type']);
    expect(together[i].rawPayload.equals(one.rawPayload), `${request.url} #${i}`).toBe(true);
    // Errors are answered without timings.
    if (one.statusCode === 200) expect(batchOf(one.headers['server-timing'])).toBe(1);
  }
  const sizes = together.filter((r) => r.statusCode === 200).map((r) => batchOf(r.headers['server-timing']));
  if (shared) expect(Math.max(...sizes)).toBeGreaterThan(1);
  else expect(sizes.every((size) => size === 1)).toBe(true);
  return together;
}

describe('batched answers are the unbatched ones, byte for byte', () => {
  it('encode: arrays, labels of a conditional model, a convolutional model, PNG uploads', async () => {
    await expectSameAnswers(
      [1, 3, 2, 1].map((n, i) => json('/v1/runs/ae/encode', { inputs: digits.slice(i, i + n) })),
    );
    await expectSameAnswers(
      [0, 1, 2].map((i) =>
        json('/v1/runs/cvae/encode', { inputs: [digits[i], digits[i + 3]], labels: [i, 9 - i] }),
      ),
    );
    await expectSameAnswers(
      [2, 1, 3].map((n, i) => json('/v1/runs/conv/encode', { inputs: digits.slice(i, i + n) })),
    );
    await expectSameAnswers(
      [4, 5, 6].map((i) => {
        const { payload, headers } = multipartBody([{ name: 'a.png', bytes: pngOf(digits[i], 28, 28) }]);
        return { method: 'POST', url: '/v1/runs/ae/encode', payload, headers } as InjectOptions;
      }),
    );
  });

  it('decode, reconstruct: JSON and PNG grids of each request’s own rows', async () => {
    const codes = (i: number, n: number) =>
      Array.from({ length: n }, (_, k) => [0.3 * i - 0.5, 0.1 * k, -0.2 * (i + k)]);
    await expectSameAnswers([1, 4, 2].map((n, i) => json('/v1/runs/ae/decode', { codes: codes(i, n) })));
    await expectSameAnswers(
      [3, 2].map((n, i) => json('/v1/runs/ae/decode', { codes: codes(i, n), cols: 2, format: 'png' })),
    );
    await expectSameAnswers(
      [2, 1, 3].map((n, i) =>
        json('/v1/runs/cvae/decode', {
          codes: codes(i, n).map((c) => c.slice(0, 2)),
          labels: Array(n).fill(i),
        }),
      ),
    );
    await expectSameAnswers(
      [2, 1, 3].map((n, i) => json('/v1/runs/conv/reconstruct', { inputs: digits.slice(i, i + n) })),
    );
    await expectSameAnswers(
      [1, 2].map((n, i) =>
        json('/v1/runs/ae/reconstruct', { inputs: digits.slice(i + 4, i + 4 + n), format: 'png' }),
      ),
    );
  });

  it('sample and interpolate: each request’s draws from its own seed, classes included', async () => {
    await expectSameAnswers([5, 1, 9].map((n, i) => json('/v1/runs/vae/sample', { n, seed: 10 + i })));
    await expectSameAnswers([4, 4].map((n, i) => json('/v1/runs/vae/sample', { n, seed: i, format: 'png' })));
    await expectSameAnswers(
      [{ n: 10 }, { n: 3, class: 7 }, { n: 4, class: 2, seed: 5 }].map((b) =>
        json('/v1/runs/cvae/sample', b),
      ),
    );
    await expectSameAnswers(
      [3, 5].map((steps, i) =>
        json('/v1/runs/vae/interpolate', { from: { seed: i }, to: { seed: 9 }, steps }),
      ),
    );
    await expectSameAnswers(
      [0, 1, 2].map((i) =>
        json('/v1/runs/ae/interpolate', {
          from: { input: digits[i] },
          to: { code: [0.5, -0.5, i] },
          steps: 4 + i,
          slerp: i === 1,
        }),
      ),
    );
    await expectSameAnswers(
      [0, 1].map((i) =>
        json('/v1/runs/cvae/interpolate', {
          from: { code: [0, i] },
          to: { code: [1, -1] },
          steps: 3,
          class: 4 + i,
        }),
      ),
    );
  });

  it('score: distances and code scores batched, thresholds too; the ELBO and heat maps alone', async () => {
    for (const score of ['mse', 'bce', 'mahalanobis', 'knn'])
      await expectSameAnswers(
        [2, 1, 3].map((n, i) => json('/v1/runs/ae/score', { inputs: digits.slice(i, i + n), score })),
      );
    await expectSameAnswers(
      [2, 3].map((n, i) => json('/v1/runs/ae/score', { inputs: digits.slice(i, i + n), quantile: 0.9 })),
    );
    await expectSameAnswers(
      [2, 2].map((n, i) =>
        json('/v1/runs/vae/score', { inputs: digits.slice(i, i + n), score: 'elbo', seed: 3 }),
      ),
      { shared: false },
    );
    await expectSameAnswers(
      [1, 2].map((n, i) => json('/v1/runs/ae/score', { inputs: digits.slice(i, i + n), format: 'png' })),
      { shared: false },
    );
  });
});

describe('a group shares a pass, not its errors', () => {
  it('a bad request gets its own error, naming its own field; the others their answers', async () => {
    const requests = [
      json('/v1/runs/ae/encode', { inputs: [digits[0]] }),
      json('/v1/runs/ae/encode', { inputs: [digits[1], digits[2].slice(0, 100)] }),
      json('/v1/runs/ae/encode', { inputs: [digits[3], digits[4]] }),
    ];
    const together = await expectSameAnswers(requests);
    expect(together.map((r) => r.statusCode)).toEqual([200, 400, 200]);
    expect(together[1].json()).toMatchObject({ field: 'inputs[1]' });
    expect(together[1].json().error).toContain('expected 784 values');
  });

  it('a model that cannot sample refuses each request of the group, and tensors stay flat', async () => {
    const before = tf.memory().numTensors;
    const answers = await Promise.all(
      [1, 2, 3].map((n) => batched.inject(json('/v1/runs/ae/sample', { n }))),
    );
    expect(answers.map((r) => r.statusCode)).toEqual([400, 400, 400]);
    expect(answers[0].json().error).toContain('needs a generative model');
    await Promise.all(
      [1, 2, 3].map((n) => batched.inject(json('/v1/runs/ae/reconstruct', { inputs: digits.slice(0, n) }))),
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reports its window and groups in /v1/status', async () => {
    const status = (await batched.inject({ method: 'GET', url: '/v1/status' })).json();
    expect(status.batching).toMatchObject({ windowMs: 25, maxRows: DEFAULT_LIMITS.maxBatch });
    expect(status.batching.requests).toBeGreaterThan(status.batching.batches);
    expect(status.queue.maxRunning).toBe(1);
  });
});

describe('the batcher', () => {
  const echo = async (items: number[]) => items.map((value) => ({ value: { value, group: items } }));

  it('groups requests of one key within the window, up to maxRows rows; other keys apart', async () => {
    const batcher = new Batcher(new TensorQueue(), { windowMs: 10, maxRows: 5 });
    const answers = await Promise.all([
      batcher.submit('a', 1, 2, echo),
      batcher.submit('b', 2, 1, echo),
      batcher.submit('a', 3, 2, echo),
      batcher.submit('a', 4, 2, echo), // 6 rows with the first two: opens the next group
      batcher.submit('a', 5, 1, echo),
    ]);
    expect(answers.map((a) => a.group)).toEqual([[1, 3], [2], [1, 3], [4, 5], [4, 5]]);
    expect(batcher.stats()).toEqual({ batches: 3, requests: 5, largest: 2 });
  });

  it('queues every waiting group when drained, full ones a later request displaced included', async () => {
    // A window no test waits for: only drain() queues the groups.
    const batcher = new Batcher(new TensorQueue(), { windowMs: 60_000, maxRows: 2 });
    const answers = [1, 2, 3].map((item) => batcher.submit('k', item, 1, echo));
    await batcher.drain();
    expect((await Promise.all(answers)).map((a) => a.group)).toEqual([[1, 2], [1, 2], [3]]);
    expect(batcher.stats()).toEqual({ batches: 2, requests: 3, largest: 2 });
  });

  it('gives each request its own settled result, and a refused job’s error to all', async () => {
    const batcher = new Batcher(new TensorQueue(), { windowMs: 5, maxRows: 10 });
    const run = async (items: number[]) =>
      items.map((item) => (item < 0 ? { error: new Error(`bad ${item}`) } : { value: item * 2 }));
    const settled = await Promise.allSettled([1, -1, 3].map((item) => batcher.submit('k', item, 1, run)));
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message))).toEqual([
      2,
      'bad -1',
      6,
    ]);
    // A queue that lets nothing wait: the running job fills it, so the group's job is refused with 503.
    const queue = new TensorQueue(0);
    const busy = queue.run(() => new Promise((resolve) => setTimeout(resolve, 30)));
    const full = new Batcher(queue, { windowMs: 1, maxRows: 10 });
    const refused = await Promise.allSettled([1, 2].map((item) => full.submit('k', item, 1, run)));
    expect(
      refused.map((r) => r.status === 'rejected' && (r.reason as { statusCode: number }).statusCode),
    ).toEqual([503, 503]);
    await busy;
  });

  it('is on by default where a row’s answer does not depend on its batch (wasm, cpu), off on native', () => {
    expect(batchingFor('wasm', DEFAULT_LIMITS)).toEqual({ windowMs: 2, maxRows: DEFAULT_LIMITS.maxBatch });
    expect(batchingFor('cpu', DEFAULT_LIMITS).windowMs).toBe(2);
    expect(batchingFor('native', DEFAULT_LIMITS).windowMs).toBe(0);
    expect(batchingFor('tensorflow', DEFAULT_LIMITS).windowMs).toBe(0);
    expect(batchingFor('native', DEFAULT_LIMITS, { windowMs: 3, maxRows: 8 })).toEqual({
      windowMs: 3,
      maxRows: 8,
    });
  });
});
