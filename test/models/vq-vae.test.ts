// The VQ-VAE's own numerics: nearest-code quantisation against a hand computation, straight-through gradients,
// the PixelCNN prior's causality, seeded ancestral sampling, learning on MNIST, and a run resumed across the
// phase change from autoencoder to prior.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { head } from '../../src/data/dataset.js';
import { loadData } from '../../src/data/load.js';
import { DataSpec } from '../../src/data/spec.js';
import { tf } from '../../src/engine/tf.js';
import { codeSampler } from '../../src/eval/samplers/index.js';
import type { BuildContext } from '../../src/models/family.js';
import { parseModelConfig } from '../../src/models/registry.js';
import type { VqVaeModel } from '../../src/models/vq-vae/model.js';
import { buildPrior } from '../../src/models/vq-vae/prior.js';
import { TrainConfig } from '../../src/train/config.js';
import { resumeRun, trainRun } from '../../src/train/run.js';
import { createOptimizers } from '../../src/train/trainer.js';
import { blobs, expectClose, useBackend, withTempDir } from '../helpers.js';
import { stateBytes } from '../train/run-state.js';

beforeAll(async () => {
  await useBackend('wasm');
});

const tiny = {
  kind: 'vq-vae' as const,
  filters: [4, 8],
  codebookSize: 8,
  embeddingDim: 4,
  autoencoderEpochs: 1,
  priorEpochs: 1,
  priorFilters: 8,
  priorLayers: 2,
  priorKernelSize: 3,
};
const image: BuildContext = { sampleShape: [8, 8, 1], seed: 3 };

function build(options: Record<string, unknown> = {}, context = image): VqVaeModel {
  const { family, config } = parseModelConfig({ ...tiny, ...options });
  return family.build(config, context) as VqVaeModel;
}

const snapshot = (network: { getWeights(): tf.Tensor[] }) =>
  network.getWeights().map((w) => Float32Array.from(w.dataSync()));
const changed = (before: Float32Array[], network: { getWeights(): tf.Tensor[] }) =>
  network.getWeights().some((w, i) => w.dataSync().some((v, j) => v !== before[i][j]));

describe('vq-vae', () => {
  it('quantises each grid vector to the nearest codebook vector (a hand computation)', () => {
    const model = build();
    const x = blobs(3, 1);
    const ze = model.networks.encoder.predict(x) as tf.Tensor;
    const z = ze.dataSync();
    const codebook = model.networks.codebook.getWeights()[0].dataSync();
    const d = 4;
    const nearest: number[] = [];
    for (let v = 0; v < z.length / d; v++) {
      let best = -1;
      let bestDistance = Number.POSITIVE_INFINITY;
      for (let k = 0; k < 8; k++) {
        let distance = 0;
        for (let c = 0; c < d; c++) distance += (z[v * d + c] - codebook[k * d + c]) ** 2;
        if (distance < bestDistance) [best, bestDistance] = [k, distance];
      }
      nearest.push(best);
    }
    const indices = model.codeIndices(x);
    expect(indices.shape).toEqual([3, 2, 2]);
    expect(indices.dtype).toBe('int32');
    expect([...indices.dataSync()]).toEqual(nearest);
    // encode() gives those codes' vectors, flattened position by position.
    const codes = model.encode(x);
    expect(codes.shape).toEqual([3, model.latentSize]);
    expect([...codes.dataSync()]).toEqual(nearest.flatMap((k) => [...codebook.subarray(k * d, (k + 1) * d)]));
    tf.dispose([x, ze, indices, codes]);
    model.dispose();
  });

  it('passes gradients straight through the quantisation: without a commitment term the encoder still learns', () => {
    const model = build({ commitment: 0 });
    const optimizers = createOptimizers(model, TrainConfig.parse({ optimizer: { learningRate: 0.01 } }));
    const encoder = snapshot(model.networks.encoder);
    const codebook = snapshot(model.networks.codebook);
    const prior = snapshot(model.networks.prior);
    const x = blobs(8, 2);
    tf.dispose(Object.values(model.trainStep({ x, step: 0, epoch: 1 }, optimizers)));
    // The codebook loss stops at the encoder's outputs: only the reconstruction, through the straight-through
    // estimator, reaches the encoder.
    expect(changed(encoder, model.networks.encoder)).toBe(true);
    expect(changed(codebook, model.networks.codebook)).toBe(true);
    expect(changed(prior, model.networks.prior)).toBe(false);
    // The second phase trains the prior alone.
    const encoderAfter = snapshot(model.networks.encoder);
    tf.dispose(Object.values(model.trainStep({ x, step: 1, epoch: 2 }, optimizers)));
    expect(changed(encoderAfter, model.networks.encoder)).toBe(false);
    expect(changed(prior, model.networks.prior)).toBe(true);
    x.dispose();
    for (const o of Object.values(optimizers)) o.dispose();
    model.dispose();
  });

  it('restarts dead codes on encoder outputs: a codebook far from every output comes back into use', () => {
    const model = build();
    // Every code far away, code 0 the least: all vectors pick it and the other 7 are dead.
    const far = Float32Array.from({ length: 32 }, (_, i) => 100 + Math.floor(i / 4));
    model.networks.codebook.setWeights([tf.tensor2d(far, [8, 4])]);
    const optimizers = createOptimizers(model, TrainConfig.parse({ optimizer: { learningRate: 1e-3 } }));
    const x = blobs(8, 4);
    tf.dispose(Object.values(model.trainStep({ x, step: 0, epoch: 1 }, optimizers)));
    const codebook = model.networks.codebook.getWeights()[0].dataSync();
    const moved = Array.from({ length: 8 }, (_, k) =>
      Math.max(...codebook.subarray(k * 4, k * 4 + 4).map(Math.abs)),
    );
    // Code 0 only took an Adam step; the 7 dead ones now sit on encoder outputs (small values).
    expect(moved[0]).toBeGreaterThan(90);
    for (const size of moved.slice(1)) expect(size).toBeLessThan(10);
    const indices = model.codeIndices(x);
    expect(new Set(indices.dataSync()).size).toBeGreaterThan(1);
    tf.dispose([x, indices]);
    for (const o of Object.values(optimizers)) o.dispose();
    model.dispose();
  });

  it('is causal: changing the code at (i, j) changes no logit at (i, j) or before it in raster order', () => {
    const [h, w, k] = [5, 6, 5];
    const prior = buildPrior(
      { codebookSize: k, priorFilters: 8, priorLayers: 3, priorKernelSize: 3 },
      [h, w],
      { sampleShape: [20, 24, 1], seed: 4 },
    );
    const codes = Int32Array.from({ length: h * w }, (_, i) => (i * 7 + 3) % k);
    const logitsOf = (c: Int32Array) =>
      tf.tidy(() =>
        (prior.predict(tf.oneHot(tf.tensor3d(c, [1, h, w], 'int32'), k)) as tf.Tensor).dataSync(),
      );
    const base = logitsOf(codes);
    for (let p = 0; p < h * w; p++) {
      const other = codes.slice();
      other[p] = (other[p] + 1) % k;
      const moved = logitsOf(other);
      const diff = (q: number) =>
        Math.max(...Array.from({ length: k }, (_, c) => Math.abs(moved[q * k + c] - base[q * k + c])));
      for (let q = 0; q <= p; q++) expect(diff(q), `position ${q} after changing ${p}`).toBe(0);
      // Not vacuous: the next position sees it.
      if (p + 1 < h * w && (p + 1) % w !== 0) expect(diff(p + 1)).toBeGreaterThan(0);
    }
    prior.dispose();
  });

  it('samples ancestrally from a seed: the same seed the same codes, in the codebook', () => {
    const model = build();
    const a = model.samplePrior(6, 5);
    const b = model.samplePrior(6, 5);
    const c = model.samplePrior(6, 6);
    expect(a.shape).toEqual([6, model.latentSize]);
    expect([...a.dataSync()]).toEqual([...b.dataSync()]);
    expect([...a.dataSync()]).not.toEqual([...c.dataSync()]);
    // Every drawn vector is a codebook row.
    const codebook = model.networks.codebook.getWeights()[0].dataSync();
    const rows = new Set(
      Array.from({ length: 8 }, (_, k) => [...codebook.subarray(k * 4, k * 4 + 4)].join()),
    );
    const drawn = a.dataSync();
    for (let v = 0; v < drawn.length / 4; v++)
      expect(rows.has([...drawn.subarray(v * 4, v * 4 + 4)].join())).toBe(true);
    tf.dispose([a, b, c]);
    model.dispose();
  });

  it("gives the prior's per-position log-probabilities, whose mean is its evaluated cross-entropy", () => {
    const model = build();
    const x = blobs(4, 3);
    const indices = model.codeIndices(x);
    const all = model.priorLogProbabilities(indices);
    const own = model.codeLogProbabilities(indices);
    expect(all.shape).toEqual([4, 2, 2, 8]);
    expect(own.shape).toEqual([4, 2, 2]);
    // Each position's distribution sums to 1.
    expectClose(tf.tidy(() => tf.sum(tf.exp(all), -1)).dataSync(), new Float32Array(16).fill(1), 1e-5);
    const record = model.evaluate({ x, step: 0 });
    expectClose(record.prior.dataSync(), [-tf.tidy(() => tf.mean(own)).dataSync()[0]], 1e-5);
    expectClose(record.bitsPerImage.dataSync(), [(record.prior.dataSync()[0] * 4) / Math.LN2], 1e-4);
    tf.dispose([x, indices, all, own, ...Object.values(record)]);
    model.dispose();
  });

  it('learns on 256 MNIST digits: reconstruction and then the prior fall within a few steps', async () => {
    const splits = await loadData(DataSpec.parse({ source: 'mnist' }), { seed: 0 });
    const data = head(splits.train, 256);
    const x = tf.tensor(data.x, [256, 28, 28, 1]);
    const model = build({ filters: [8, 16], codebookSize: 16 }, { sampleShape: [28, 28, 1], seed: 1 });
    const optimizers = createOptimizers(model, TrainConfig.parse({ optimizer: { learningRate: 0.003 } }));
    const measure = (term: string) => {
      const record = model.evaluate({ x, step: 0 });
      const value = record[term].dataSync()[0];
      tf.dispose(Object.values(record));
      return value;
    };
    const before = measure('total');
    for (let step = 0; step < 15; step++)
      tf.dispose(Object.values(model.trainStep({ x, step, epoch: 1 }, optimizers)));
    expect(measure('total')).toBeLessThan(before * 0.9);
    const priorBefore = measure('prior');
    for (let step = 15; step < 25; step++)
      tf.dispose(Object.values(model.trainStep({ x, step, epoch: 2 }, optimizers)));
    expect(measure('prior')).toBeLessThan(priorBefore);
    x.dispose();
    for (const o of Object.values(optimizers)) o.dispose();
    model.dispose();
  });

  it('resumes across the phase change exactly where an uninterrupted run would be', async () => {
    await withTempDir(async (dir) => {
      const config = (epochs: number) => ({
        seed: 2,
        model: { ...tiny, filters: [4, 8], autoencoderEpochs: 1, priorEpochs: 1 },
        data: { source: 'mnist' as const },
        train: { epochs, batchSize: 64, limit: 256, previewCount: 4 },
      });
      // No per-epoch monitor: its 1,000 ancestral samples an epoch are not what this test is about.
      const straight = await trainRun(config(2), join(dir, 'straight'), { monitor: false });
      const first = await trainRun(config(1), join(dir, 'split'), { monitor: false });
      first.model.dispose();
      const resumed = await resumeRun(join(dir, 'split'), { epochs: 2, monitor: false });
      const lines = async (run: string) =>
        (await readFile(join(dir, run, 'metrics.jsonl'), 'utf8'))
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l));
      const [a, b] = [await lines('straight'), await lines('split')];
      expect(b).toHaveLength(2);
      // Epoch 2 is the prior's: its loss and the whole validation record carry over.
      expect(b[1].train.prior).toBeCloseTo(a[1].train.prior, 6);
      expect(b[1].validation.loss).toBeCloseTo(a[1].validation.loss, 6);
      // Weights and both optimisers' state (the autoencoder's, the prior's) end byte for byte the same.
      expect(await stateBytes(join(dir, 'split'))).toEqual(await stateBytes(join(dir, 'straight')));
      straight.model.dispose();
      resumed.model.dispose();
    });
  });
});

describe('vq-vae and post-hoc samplers', () => {
  it('refuses a distribution fitted to its codes: its own prior samples the codebook indices', async () => {
    const model = build();
    for (const kind of ['gaussian', 'gmm', 'maf', 'two-stage'] as const)
      await expect(
        codeSampler(model, kind, { codes: { rows: 2, cols: model.latentSize, data: new Float32Array(0) } }),
      ).rejects.toThrow(
        `"vq-vae" codes are grids of codebook indices, which its own autoregressive prior samples; a ${kind} fitted`,
      );
    model.dispose();
  });
});
