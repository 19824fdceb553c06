// The server on runs made by `latentlab import` from PyTorch (bench/peers/torch-autoencoder.py, where Debian's
// python3-torch is installed): listed with what they can do, and encode, reconstruct, score and sample answer as the
// library does on the same loaded model, and as PyTorch did to 1e-5.
import { execFileSync } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anomalyScorer } from '../../src/apps/detect.js';
import type { Dataset } from '../../src/data/dataset.js';
import { tf } from '../../src/engine/tf.js';
import { samplePrior } from '../../src/eval/generate.js';
import { type LoadedModel, loadModel } from '../../src/io/model-files.js';
import { readNpy } from '../../src/io/numpy.js';
import type { Autoencoder, GenerativeModel } from '../../src/models/family.js';
import { buildServer } from '../../src/server/app.js';
import { ROOT, runInProcess } from '../apps/cli-helper.js';
import { expectClose, useBackend } from '../helpers.js';
import { makeRunsDir } from './helpers.js';

const PYTHON = '/usr/bin/python3';
const hasTorch = (() => {
  try {
    execFileSync(PYTHON, ['-c', 'import torch, numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

let runs: { dir: string; cleanup: () => Promise<void> };
let app: FastifyInstance;
/** The two imported runs as the library loads them: a conv autoencoder and a conv VAE. */
const loaded: Record<'ae' | 'vae', LoadedModel | undefined> = { ae: undefined, vae: undefined };
/** PyTorch's samples (flat rows of 784, channels-last) and its codes and reconstructions, per run. */
const torch: Record<string, { x: Float32Array; codes: Float32Array; reconstructions: Float32Array }> = {};

async function npy(path: string): Promise<Float32Array> {
  const array = readNpy(await readFile(path), path);
  return Float32Array.from(array.data as ArrayLike<number>);
}

const rowsOf = (values: Float32Array, width: number) =>
  Array.from({ length: values.length / width }, (_, i) =>
    Array.from(values.subarray(i * width, (i + 1) * width)),
  );

async function post(url: string, body: unknown) {
  return app.inject({ method: 'POST', url, payload: body as Record<string, unknown> });
}

beforeAll(async () => {
  if (!hasTorch) return;
  await useBackend('wasm');
  runs = await makeRunsDir();
  for (const [name, kind, as] of [
    ['ae', 'conv', 'conv-ae'],
    ['vae', 'conv-vae', 'conv-vae'],
  ] as const) {
    const peer = join(runs.dir, '..', `${name}-peer-${process.pid}`);
    execFileSync(
      PYTHON,
      [join(ROOT, 'bench/peers/torch-autoencoder.py'), '--kind', kind, '--n', '6', '--out', peer],
      {
        stdio: 'ignore',
      },
    );
    const r = await runInProcess([
      'import',
      join(peer, 'encoder.onnx'),
      join(peer, 'decoder.onnx'),
      '--as',
      as,
      '--out',
      join(runs.dir, name),
      '--data',
      'mnist',
    ]);
    if (r.code !== 0) throw new Error(r.stderr);
    torch[name] = {
      x: await npy(join(peer, 'x.npy')),
      codes: await npy(join(peer, 'codes.npy')),
      reconstructions: await npy(join(peer, 'reconstructions.npy')),
    };
    await rm(peer, { recursive: true, force: true });
    loaded[name] = await loadModel(join(runs.dir, name, 'model'));
  }
  app = await buildServer({ runsDir: runs.dir });
}, 60_000);

afterAll(async () => {
  await app?.close();
  loaded.ae?.model.dispose();
  loaded.vae?.model.dispose();
  await runs?.cleanup();
});

describe.skipIf(!hasTorch)('the server on runs imported from PyTorch', () => {
  it('lists them with their kinds and what they can do', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/runs' });
    expect(res.statusCode, res.body).toBe(200);
    const listed = res.json().runs as Array<{ name: string; model: { kind: string } }>;
    expect(listed.map((r) => [r.name, r.model.kind])).toEqual([
      ['ae', 'conv-ae'],
      ['vae', 'conv-vae'],
    ]);
    const vae = (await app.inject({ method: 'GET', url: '/v1/runs/vae' })).json();
    expect(vae.capabilities).toMatchObject({ encode: true, sample: true, latentSize: 8 });
  });

  for (const name of ['ae', 'vae'] as const) {
    it(`${name}: encode and reconstruct equal the library's, and PyTorch's to 1e-5`, async () => {
      const { x, codes, reconstructions } = torch[name];
      const model = loaded[name]?.model as Autoencoder;
      const inputs = rowsOf(x, 784);
      const input = tf.tensor(x, [inputs.length, 28, 28, 1]);
      const encoded = await post(`/v1/runs/${name}/encode`, { inputs });
      expect(encoded.statusCode, encoded.body).toBe(200);
      const libraryCodes = model.encode(input);
      expectClose(encoded.json().codes.flat(), libraryCodes.dataSync(), 1e-6);
      expectClose(encoded.json().codes.flat(), codes, 1e-5);
      const reconstructed = await post(`/v1/runs/${name}/reconstruct`, { inputs });
      expect(reconstructed.statusCode, reconstructed.body).toBe(200);
      const libraryReconstructions = model.reconstruct(input);
      expectClose(reconstructed.json().outputs.flat(), libraryReconstructions.dataSync(), 1e-6);
      expectClose(reconstructed.json().outputs.flat(), reconstructions, 1e-5);
      tf.dispose([input, libraryCodes, libraryReconstructions]);
    });
  }

  it('vae: scores by the ELBO and samples the prior as the library does', async () => {
    const model = loaded.vae?.model as Autoencoder & GenerativeModel;
    const { x } = torch.vae;
    const inputs = rowsOf(x, 784);
    const elbo = await post('/v1/runs/vae/score', { inputs, score: 'elbo', seed: 4, elboSamples: 2 });
    expect(elbo.statusCode, elbo.body).toBe(200);
    const scorer = await anomalyScorer(model, 'elbo', { seed: 4, elboSamples: 2 });
    const test: Dataset = { name: 'peer', sampleShape: [28, 28, 1], size: inputs.length, x };
    expectClose(elbo.json().scores, await scorer.scores(test), 1e-4);
    const sampled = (await post('/v1/runs/vae/sample', { n: 3, seed: 2 })).json();
    const expected = samplePrior(model, 3, 2);
    expectClose(sampled.outputs.flat(), expected.dataSync(), 1e-6);
    expected.dispose();
  });
});
