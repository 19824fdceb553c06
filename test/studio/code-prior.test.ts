// The studio's Generate on a plain autoencoder draws from the same code prior as `latentlab sample`: the
// Gaussian fitted to the training codes, cached in RUN/code-prior.json.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/app.js';
import { createStudioPlugin } from '../../src/server/studio/plugin.js';
import { runInProcess, trainTinyRun } from '../apps/cli-helper.js';

describe('studio samples of a plain autoencoder', () => {
  let temp: string;
  let app: FastifyInstance;

  beforeAll(async () => {
    temp = await mkdtemp(join(tmpdir(), 'latentlab-studio-prior-'));
    await trainTinyRun('dense-ae', join(temp, 'runs', 'ae'));
    app = await buildServer({ runsDir: join(temp, 'runs'), plugins: [createStudioPlugin({})] });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await rm(temp, { recursive: true, force: true });
  });

  it('fits the prior `latentlab sample` uses, once, and the same seed gives the same grid', async () => {
    const run = join(temp, 'runs', 'ae');
    const draw = () =>
      app.inject({ method: 'POST', url: '/studio/api/runs/ae/sample', payload: { seed: 4, n: 4 } });
    const first = await draw();
    expect(first.statusCode, first.body).toBe(200);
    expect(first.headers['content-type']).toBe('image/png');
    const cached = JSON.parse(await readFile(join(run, 'code-prior.json'), 'utf8'));
    expect(cached.mean).toHaveLength(3);
    expect((await draw()).rawPayload).toEqual(first.rawPayload);

    // The CLI reads the studio's fit (the file is unchanged) rather than fitting its own.
    const sampled = await runInProcess(['sample', run, '--n', '4', '--seed', '4']);
    expect(sampled.code, sampled.stderr).toBe(0);
    expect(JSON.parse(await readFile(join(run, 'code-prior.json'), 'utf8'))).toEqual(cached);
    expect(existsSync(join(run, 'samples.png'))).toBe(true);
  });

  it('draws from a post-hoc sampler when asked, fitted once and kept in the run as the CLI keeps it', async () => {
    const run = join(temp, 'runs', 'ae');
    const draw = (sampler: string) =>
      app.inject({ method: 'POST', url: '/studio/api/runs/ae/sample', payload: { seed: 4, n: 4, sampler } });
    const first = await draw('gmm');
    expect(first.statusCode, first.body).toBe(200);
    const saved = JSON.parse(await readFile(join(run, 'sampler-gmm', 'sampler.json'), 'utf8'));
    expect(saved.kind).toBe('gmm');
    expect((await draw('gmm')).rawPayload).toEqual(first.rawPayload);
    const refused = await draw('vamp');
    expect(refused.statusCode).toBe(400);
  });
});
