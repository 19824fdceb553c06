// The studio's API without a browser: form schemas, validation naming the field, job errors, contained paths,
// and the token (the app's static files are public, its data is not).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFamilies } from '../../src/models/registry.js';
import { buildServer } from '../../src/server/app.js';
import { createStudioPlugin } from '../../src/server/studio/plugin.js';

describe('studio API', () => {
  let temp: string;
  let app: FastifyInstance;

  beforeAll(async () => {
    temp = await mkdtemp(join(tmpdir(), 'latentlab-studio-api-'));
    await mkdir(join(temp, 'runs'));
    await mkdir(join(temp, 'app', 'assets'), { recursive: true });
    await writeFile(join(temp, 'app', 'index.html'), '<!doctype html><title>studio</title>');
    app = await buildServer({
      runsDir: join(temp, 'runs'),
      token: 'secret',
      plugins: [createStudioPlugin({ assetsDir: join(temp, 'app') })],
    });
  });
  afterAll(async () => {
    await app.close();
    await rm(temp, { recursive: true, force: true });
  });

  const auth = { authorization: 'Bearer secret' };

  it('serves the app without a token, and its data only with one', async () => {
    expect((await app.inject({ url: '/' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/studio/api/runs' })).statusCode).toBe(401);
    const runs = await app.inject({ url: '/studio/api/runs', headers: auth });
    expect(runs.json()).toEqual({ runs: [] });
  });

  it('serves every family as JSON Schema for the form', async () => {
    const { families, data, train } = (
      await app.inject({ url: '/studio/api/schemas', headers: auth })
    ).json();
    expect(families.map((f: { kind: string }) => f.kind)).toEqual(listFamilies().map((f) => f.kind));
    const dense = families.find((f: { kind: string }) => f.kind === 'dense-ae');
    expect(dense.schema.properties.latent).toMatchObject({ type: 'integer', default: 32 });
    expect(
      data.oneOf.map((o: { properties: { source: { const: string } } }) => o.properties.source.const),
    ).toContain('toy');
    expect(train.properties.epochs.default).toBe(20);
  });

  it('refuses a bad config before starting anything, naming the field', async () => {
    const reply = await app.inject({
      method: 'POST',
      url: '/studio/api/runs',
      headers: auth,
      payload: { config: { model: { kind: 'dense-ae', latent: -2 }, data: { source: 'mnist' }, train: {} } },
    });
    expect(reply.statusCode).toBe(400);
    expect(reply.json().field).toBe('config.model.latent');
    const unknown = await app.inject({
      method: 'POST',
      url: '/studio/api/runs',
      headers: auth,
      payload: { config: { model: { kind: 'dense-ae', latnet: 2 }, data: { source: 'mnist' }, train: {} } },
    });
    expect(unknown.json()).toMatchObject({ field: 'config.model.latnet' });
  });

  it('answers 409 for stopping a run that is not training, and keeps paths inside the runs directory', async () => {
    await mkdir(join(temp, 'runs', 'idle'));
    await writeFile(join(temp, 'runs', 'idle', 'config.json'), '{}');
    const stop = await app.inject({
      method: 'POST',
      url: '/studio/api/runs/idle/stop',
      headers: auth,
      payload: {},
    });
    expect(stop.statusCode).toBe(409);
    const traversal = await app.inject({
      url: '/studio/api/runs/idle/images/..%2f..%2fconfig.json',
      headers: auth,
    });
    expect(traversal.statusCode).toBe(400);
    expect(traversal.json().field).toBe('file');
    const outside = await app.inject({ url: '/studio/api/runs/..%2fapp/anomalies', headers: auth });
    expect(outside.statusCode).toBe(400);
    const none = await app.inject({ url: '/studio/api/runs/idle/anomalies', headers: auth });
    expect(none.statusCode).toBe(404);
    expect(none.json().error).toContain('latentlab detect');
  });
});
