// The samples the studio sends a page that trains itself ("train here"): the run config checked as a new
// run's, families and data the page cannot train refused naming the field, sizes bounded, the server's
// Host/Origin/JSON rules kept, and the binary answer read back by the page's own reader.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadData } from '../../src/data/load.js';
import { buildServer } from '../../src/server/app.js';
import { MAX_PAGE_HELD_OUT_SAMPLES, MAX_PAGE_TRAIN_SAMPLES } from '../../src/server/studio/page-data.js';
import { createStudioPlugin } from '../../src/server/studio/plugin.js';
import { unpackPageData } from '../../studio/src/train-here/page-data.js';
import { useBackend } from '../helpers.js';

let temp: string;
let app: FastifyInstance;

beforeAll(async () => {
  await useBackend('cpu');
  temp = await mkdtemp(join(tmpdir(), 'latentlab-page-data-'));
  app = await buildServer({ runsDir: temp, plugins: [createStudioPlugin({ assetsDir: temp })] });
});
afterAll(async () => {
  await app?.close();
  await rm(temp, { recursive: true, force: true });
});

const ask = (config: unknown, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url: '/studio/api/page-data',
    headers: { host: '127.0.0.1', 'content-type': 'application/json', ...headers },
    payload: JSON.stringify({ config }),
  });

const unpack = (bytes: Buffer) =>
  unpackPageData(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);

const toy = {
  model: { kind: 'gan', latent: 2, generatorHidden: [8], discriminatorHidden: [8] },
  data: { source: 'toy', name: 'ring8', size: 400 },
  train: { batchSize: 32, limit: 100, schedule: { type: 'exponential', decay: 0.5 }, epochs: 3 },
  seed: 4,
};

describe('POST /studio/api/page-data', () => {
  it('sends the split samples trainRun would train on, with the schedule per optimiser', async () => {
    const reply = await ask(toy);
    expect(reply.statusCode).toBe(200);
    expect(reply.headers['content-type']).toBe('application/octet-stream');
    const data = unpack(reply.rawPayload);
    const { header } = data;
    expect(header.sampleShape).toEqual([2]);
    expect(header.config.model).toMatchObject({ kind: 'gan', latent: 2 });
    expect(header.runName).toMatch(/^gan-toy-ring8-\d{8}-\d{6}-\d{3}-page$/);
    // train.limit keeps the first samples of the training split, as the server's trainer does.
    expect(data.train.size).toBe(100);
    const splits = await loadData(header.config.data, { seed: 4, validationFraction: 0.1 });
    expect([...data.train.x]).toEqual([...splits.train.x.subarray(0, 200)]);
    expect(data.test.size).toBe(splits.test.size);
    // A GAN's two optimisers, each on the exponential schedule from its own rate.
    const names = Object.keys(header.learningRates).sort();
    expect(names).toEqual(['discriminator', 'generator']);
    for (const name of names) {
      const [first, second, third] = header.learningRates[name];
      expect(second / first).toBeCloseTo(0.5, 10);
      expect(third / second).toBeCloseTo(0.5, 10);
    }
  });

  it('refuses the families and data that train on the server only, naming the field', async () => {
    const text = await ask({ ...toy, model: { kind: 'seq-ae' } });
    expect(text.statusCode).toBe(400);
    expect(text.json()).toMatchObject({ field: 'config.model.kind' });
    expect(text.json().error).toContain('"seq-ae" trains on the server only: it takes text');
    const table = await ask({ ...toy, model: { kind: 'tvae' } });
    expect(table.json().error).toContain('it takes tables');
    const badOption = await ask({ ...toy, model: { ...toy.model, latnet: 3 } });
    expect(badOption.statusCode).toBe(400);
    expect(badOption.json().field).toBe('config.model.latnet');
    const file = await ask({ ...toy, data: { source: 'csv', path: '/etc/passwd' } });
    expect(file.statusCode).toBe(403);
    expect(file.body).not.toContain('root:');
  });

  it('sends at most MAX_PAGE_TRAIN_SAMPLES training and MAX_PAGE_HELD_OUT_SAMPLES held-out samples', async () => {
    const reply = await ask({
      ...toy,
      data: { source: 'toy', name: 'ring8', size: 30_000 },
      train: { limit: 0 },
    });
    expect(reply.statusCode).toBe(200);
    const data = unpack(reply.rawPayload);
    expect(data.train.size).toBe(MAX_PAGE_TRAIN_SAMPLES);
    expect(data.header.trainSamplesLoaded).toBeGreaterThan(MAX_PAGE_TRAIN_SAMPLES);
    expect(data.validation.size).toBe(MAX_PAGE_HELD_OUT_SAMPLES);
    expect(data.test.size).toBe(MAX_PAGE_HELD_OUT_SAMPLES);
    // The page's reader refuses an answer cut short.
    expect(() => unpack(reply.rawPayload.subarray(0, reply.rawPayload.length - 4))).toThrow(
      'fewer samples than its header says',
    );
  });

  it('keeps the server rules: JSON only, no foreign page, a known Host', async () => {
    const form = await app.inject({
      method: 'POST',
      url: '/studio/api/page-data',
      headers: { host: '127.0.0.1', 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'config=1',
    });
    expect(form.statusCode).toBe(415);
    expect((await ask(toy, { origin: 'https://evil.example' })).statusCode).toBe(403);
    expect((await ask(toy, { host: 'evil.example' })).statusCode).toBeGreaterThanOrEqual(400);
  });
});
