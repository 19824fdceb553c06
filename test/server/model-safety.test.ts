// The server and the model's own files: weight paths out of the model directory are refused, numbers float32
// cannot hold are refused naming the field, and outputs that come out non-finite are an error, never null.
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/app.js';
import { useBackend } from '../helpers.js';
import { makeRunsDir, tinyRun } from './helpers.js';

let runs: { dir: string; cleanup: () => Promise<void> };
let app: FastifyInstance;
const digit = () => Array.from({ length: 784 }, (_, i) => (i % 7) / 7);
const FLOAT32_MAX = 3.4028234663852886e38;
const SECRET_HEADER = 'hunter2:x:1000:1000,sk-live-4242,password=swordfish';

beforeAll(async () => {
  await useBackend('wasm');
  runs = await makeRunsDir();
  await tinyRun(runs.dir, 'ae', { kind: 'dense-ae', hidden: [16], latent: 3 });
  await tinyRun(runs.dir, 'vae', { kind: 'vae', hidden: [16], latent: 2 });
  // A copy whose encoder names weights two folders up: a real file of the right size, outside the model.
  await cp(join(runs.dir, 'ae'), join(runs.dir, 'escape'), { recursive: true });
  const encoder = join(runs.dir, 'escape', 'model', 'encoder');
  await cp(join(encoder, 'weights.bin'), join(runs.dir, 'escape', 'x'));
  const json = JSON.parse(await readFile(join(encoder, 'model.json'), 'utf8'));
  json.weightsManifest[0].paths = ['../../x'];
  await writeFile(join(encoder, 'model.json'), JSON.stringify(json));
  // A copy whose manifest says it was trained on a table with a secret header (and a label column it lacks).
  await cp(join(runs.dir, 'ae'), join(runs.dir, 'table'), { recursive: true });
  await writeFile(join(runs.dir, 'secret.csv'), `${SECRET_HEADER}\n1,2,3\n`);
  const manifestFile = join(runs.dir, 'table', 'model', 'manifest.json');
  const manifest = JSON.parse(await readFile(manifestFile, 'utf8'));
  manifest.data = { source: 'csv', path: join(runs.dir, 'secret.csv'), labelColumn: 'zzz' };
  await writeFile(manifestFile, JSON.stringify(manifest));
  app = await buildServer({ runsDir: runs.dir });
});

afterAll(async () => {
  await app?.close();
  await runs?.cleanup();
});

const post = (url: string, payload: unknown) =>
  app.inject({ method: 'POST', url, payload: payload as Record<string, unknown> });

describe('model files', () => {
  it('refuses a model whose model.json names weights outside its directory', async () => {
    const reply = await post('/v1/runs/escape/encode', { inputs: [digit()] });
    expect(reply.statusCode).toBe(500);
    expect(reply.headers['content-type']).toContain('application/json');
    expect(reply.json().error).toBe(
      'escape/model/encoder/model.json: weight path "../../x" leads outside the model directory (expected a relative path inside escape/model/encoder, without "..")',
    );
    const details = await app.inject({ url: '/v1/runs/escape' });
    expect(details.statusCode).toBe(500);
  });
});

describe("the model's data", () => {
  it('is named but never quoted when it cannot be read (mahalanobis, thresholds)', async () => {
    for (const payload of [
      { inputs: [digit()], score: 'mahalanobis' },
      { inputs: [digit()], quantile: 0.9 },
    ]) {
      const reply = await post('/v1/runs/table/score', payload);
      expect(reply.statusCode).toBe(400);
      expect(reply.body).not.toContain('hunter2');
      expect(reply.body).not.toContain('swordfish');
      expect(reply.json().error).toContain('secret.csv');
    }
  });
});

describe('numbers outside float32', () => {
  const cases: Array<[string, string, unknown, string]> = [
    [
      'a code of 1e308',
      '/v1/runs/ae/decode',
      {
        codes: [
          [0, 0, 0],
          [0, 0, 1e308],
        ],
      },
      'codes[1][2]',
    ],
    ['a code of -1e39', '/v1/runs/ae/decode', { codes: [[-1e39, 0, 0]] }, 'codes[0][0]'],
    [
      'an input of 1e308',
      '/v1/runs/ae/encode',
      { inputs: [digit().map((v, i) => (i === 5 ? 1e308 : v))] },
      'inputs[0][5]',
    ],
    [
      'an input to reconstruct',
      '/v1/runs/ae/reconstruct',
      { inputs: [digit(), digit().map((v, i) => (i === 783 ? -4e38 : v))] },
      'inputs[1][783]',
    ],
    ['a score input', '/v1/runs/ae/score', { inputs: [digit().fill(1e300)] }, 'inputs[0][0]'],
    [
      'an interpolation end',
      '/v1/runs/vae/interpolate',
      { from: { code: [0, 1e308] }, to: { code: [0, 0] } },
      'from.code[1]',
    ],
  ];
  it.each(cases)('%s is a 400 naming the field', async (_name, url, payload, field) => {
    const reply = await post(url, payload);
    expect(reply.statusCode).toBe(400);
    expect(reply.json()).toEqual({
      error: 'expected a number within the float32 range (±3.4028234663852886e38)',
      field,
    });
  });

  it('takes the largest float32 itself', async () => {
    const reply = await post('/v1/runs/vae/interpolate', {
      from: { code: [0, FLOAT32_MAX] },
      to: { code: [-FLOAT32_MAX, 0] },
      steps: 2,
    });
    expect([200, 422]).toContain(reply.statusCode);
  });

  it('answers 422 naming the sample when the model gives non-finite outputs, never null', async () => {
    const huge = digit().map((_, i) => (i % 2 === 0 ? FLOAT32_MAX : -FLOAT32_MAX));
    const reconstruct = await post('/v1/runs/ae/reconstruct', { inputs: [digit(), huge] });
    expect(reconstruct.body).not.toContain('null');
    expect(reconstruct.statusCode).toBe(422);
    expect(reconstruct.json()).toEqual({
      error:
        'the model produced non-finite outputs (NaN or ±Infinity) for sample 1: its inputs are out of the range it works in',
      field: 'inputs[1]',
    });
    const decode = await post('/v1/runs/ae/decode', {
      codes: [
        [0, 0, 0],
        [FLOAT32_MAX, FLOAT32_MAX, FLOAT32_MAX],
      ],
    });
    expect(decode.body).not.toContain('null');
    expect(decode.statusCode).toBe(422);
    expect(decode.json().field).toBe('codes[1]');
  });
});
