// The /v1 API with zoo families (VaeModel variants, a VAE without likelihood, vq-vae): the run listing, and
// every capability a run states answers; a score it does not offer is refused naming the score.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelConfigInput } from '../../src/models/configs.js';
import { buildServer } from '../../src/server/app.js';
import { useBackend } from '../helpers.js';
import { makeRunsDir, tinyRun } from './helpers.js';

const ZOO: Record<string, ModelConfigInput> = {
  'beta-tcvae': { kind: 'beta-tcvae', hidden: [16], latent: 3 },
  'rae-l2': { kind: 'rae-l2', hidden: [16], latent: 3 },
  'vq-vae': {
    kind: 'vq-vae',
    filters: [4, 8],
    codebookSize: 8,
    embeddingDim: 4,
    autoencoderEpochs: 1,
    priorEpochs: 0,
    priorFilters: 8,
    priorLayers: 2,
  },
};

let runs: { dir: string; cleanup: () => Promise<void> };
let app: FastifyInstance;
let inputs: number[][];

const post = (url: string, body: unknown) =>
  app.inject({ method: 'POST', url, payload: body as Record<string, unknown> });

beforeAll(async () => {
  await useBackend('wasm');
  runs = await makeRunsDir();
  for (const [name, config] of Object.entries(ZOO)) await tinyRun(runs.dir, name, config);
  app = await buildServer({ runsDir: runs.dir });
  // Four digit-like inputs: flat rows of 784 values in [0, 1].
  inputs = Array.from({ length: 4 }, (_, i) =>
    Array.from({ length: 784 }, (_, p) => ((p * (i + 3)) % 17) / 16),
  );
}, 120_000);

afterAll(async () => {
  await app?.close();
  await runs?.cleanup();
});

describe('zoo runs on /v1', () => {
  it('lists every zoo run with its kind', async () => {
    const listed = (await app.inject('/v1/runs')).json().runs;
    expect(listed.map((r: { name: string; model: { kind: string } }) => [r.name, r.model.kind])).toEqual(
      Object.keys(ZOO).map((k) => [k, k]),
    );
  });

  for (const name of Object.keys(ZOO)) {
    it(`${name}: samples, reconstructs and scores by every score it offers`, async () => {
      const caps = (await app.inject(`/v1/runs/${name}`)).json().capabilities;
      expect(caps.reconstruct).toBe(true);
      const recon = await post(`/v1/runs/${name}/reconstruct`, { inputs });
      expect(recon.statusCode, recon.body).toBe(200);
      expect(recon.json().outputs).toHaveLength(4);
      if (caps.sample) {
        const sampled = await post(`/v1/runs/${name}/sample`, { n: 3, seed: 1 });
        expect(sampled.statusCode, sampled.body).toBe(200);
        expect(sampled.json().outputs).toHaveLength(3);
      }
      for (const score of caps.scores) {
        const res = await post(`/v1/runs/${name}/score`, { inputs, score });
        expect(res.statusCode, `${score}: ${res.body}`).toBe(200);
        const scores: number[] = res.json().scores;
        expect(scores).toHaveLength(4);
        expect(scores.every(Number.isFinite)).toBe(true);
      }
      for (const score of ['mse', 'bce', 'elbo', 'mahalanobis', 'knn'].filter(
        (s) => !caps.scores.includes(s),
      )) {
        const res = await post(`/v1/runs/${name}/score`, { inputs, score });
        expect(res.statusCode, `${score}: ${res.body}`).toBe(400);
        expect(res.json().field).toBe('score');
      }
    });
  }

  it('states which families have a likelihood: beta-tcvae scores elbo, rae-l2 and vq-vae do not', async () => {
    const scores = async (name: string) => (await app.inject(`/v1/runs/${name}`)).json().capabilities.scores;
    expect(await scores('beta-tcvae')).toContain('elbo');
    expect(await scores('rae-l2')).not.toContain('elbo');
    expect(await scores('vq-vae')).not.toContain('elbo');
  });
});
