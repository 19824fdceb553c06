// The attention layers against hand computations, patch order, serialisation of the custom layers,
// and the attention-ae family's insides (the contract suite, contract.test.ts, checks it as every family).

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, tfl } from '../../src/engine/tf.js';
import { ConfigError } from '../../src/errors.js';
import { loadNetwork, saveNetwork } from '../../src/io/model-files.js';
import type { Autoencoder, BuildContext } from '../../src/models/family.js';
import { getFamily, parseModelConfig } from '../../src/models/registry.js';
import {
  LayerNorm,
  MultiHeadSelfAttention,
  Patchify,
  PositionEmbedding,
  patchify,
  TransformerBlock,
  Unpatchify,
  unpatchify,
} from '../../src/models/shared/attention.js';
import { blobs, expectClose, expectStockAutoencoder, useBackend, withTempDir } from '../helpers.js';

beforeAll(async () => {
  await useBackend('wasm');
});

type Matrix = number[][];

/** Deterministic, varied test values in about [-1, 1]. */
function values(n: number, salt: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + salt * 3.1) * 0.9);
}

function rows(flat: ArrayLike<number>, cols: number): Matrix {
  const out: Matrix = [];
  for (let i = 0; i < flat.length; i += cols) out.push(Array.from(flat).slice(i, i + cols));
  return out;
}

/** x [n, in] @ w [in, out] + b */
function affine(x: Matrix, w: Matrix, b: number[]): Matrix {
  return x.map((row) => b.map((bias, j) => row.reduce((acc, v, i) => acc + v * w[i][j], bias)));
}

/** Plain-JS multi-head self-attention on one sequence x [tokens, dim], weights as the layer documents. */
function handAttention(x: Matrix, qkvW: Matrix, qkvB: number[], outW: Matrix, outB: number[], heads: number) {
  const dim = x[0].length;
  const headDim = dim / heads;
  const qkv = affine(x, qkvW, qkvB);
  const q = qkv.map((r) => r.slice(0, dim));
  const k = qkv.map((r) => r.slice(dim, 2 * dim));
  const v = qkv.map((r) => r.slice(2 * dim));
  const context = x.map(() => new Array<number>(dim).fill(0));
  for (let h = 0; h < heads; h++) {
    const cols = Array.from({ length: headDim }, (_, d) => h * headDim + d);
    for (let i = 0; i < x.length; i++) {
      const scores = k.map((kj) => cols.reduce((acc, c) => acc + q[i][c] * kj[c], 0) / Math.sqrt(headDim));
      const top = Math.max(...scores);
      const exps = scores.map((s) => Math.exp(s - top));
      const total = exps.reduce((a, b) => a + b, 0);
      for (const c of cols) context[i][c] = exps.reduce((acc, e, j) => acc + (e / total) * v[j][c], 0);
    }
  }
  return affine(context, outW, outB);
}

function handLayerNorm(x: Matrix, gamma: number[], beta: number[], epsilon: number): Matrix {
  return x.map((row) => {
    const mean = row.reduce((a, b) => a + b, 0) / row.length;
    const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / row.length;
    return row.map((v, i) => ((v - mean) / Math.sqrt(variance + epsilon)) * gamma[i] + beta[i]);
  });
}

/** Abramowitz and Stegun 7.1.26 (error below 1.5e-7), for the exact GELU. */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return Math.sign(x) * (1 - poly * Math.exp(-x * x));
}

const add = (a: Matrix, b: Matrix): Matrix => a.map((r, i) => r.map((v, j) => v + b[i][j]));

describe('MultiHeadSelfAttention', () => {
  it('matches softmax(QK^T / sqrt(d_head)) V per head, then the output projection, by hand', () => {
    const [batch, tokens, dim, heads] = [2, 3, 4, 2];
    const layer = new MultiHeadSelfAttention({ heads });
    const x = tf.tensor3d(values(batch * tokens * dim, 1), [batch, tokens, dim]);
    layer.apply(x); // builds the weights
    expect(layer.getWeights().map((w) => w.shape)).toEqual([[dim, 3 * dim], [3 * dim], [dim, dim], [dim]]);
    const qkvW = values(dim * 3 * dim, 2);
    const qkvB = values(3 * dim, 3);
    const outW = values(dim * dim, 4);
    const outB = values(dim, 5);
    const weights = [
      tf.tensor2d(qkvW, [dim, 3 * dim]),
      tf.tensor1d(qkvB),
      tf.tensor2d(outW, [dim, dim]),
      tf.tensor1d(outB),
    ];
    layer.setWeights(weights);
    const y = layer.apply(x) as tf.Tensor;
    expect(y.shape).toEqual([batch, tokens, dim]);
    const xs = x.dataSync();
    const expected: number[] = [];
    for (let b = 0; b < batch; b++) {
      const seq = rows(xs.slice(b * tokens * dim, (b + 1) * tokens * dim), dim);
      expected.push(...handAttention(seq, rows(qkvW, 3 * dim), qkvB, rows(outW, dim), outB, heads).flat());
    }
    expectClose(y.dataSync(), expected, 1e-5);
    tf.dispose([x, y, ...weights]);
    layer.dispose();
  });

  it('TransformerBlock is x + MHSA(LN(x)), then + MLP(LN(.)) with GELU, by hand', () => {
    const [tokens, dim, heads, hidden] = [3, 4, 2, 6];
    const block = new TransformerBlock({ heads, mlpRatio: 1.5, activation: 'gelu', epsilon: 1e-5 });
    const x = tf.tensor3d(values(tokens * dim, 6), [1, tokens, dim]);
    block.apply(x);
    const shapes = block.getWeights().map((w) => w.shape);
    expect(shapes).toEqual([
      [dim],
      [dim],
      [dim, 3 * dim],
      [3 * dim],
      [dim, dim],
      [dim],
      [dim],
      [dim],
      [dim, hidden],
      [hidden],
      [hidden, dim],
      [dim],
    ]);
    const flat = shapes.map((s, i) =>
      values(
        s.reduce((a, b) => a * b, 1),
        10 + i,
      ),
    );
    // Scales near 1, so the norms matter but do not vanish.
    flat[0] = flat[0].map((v) => 1 + v / 2);
    flat[6] = flat[6].map((v) => 1 + v / 2);
    const weights = flat.map((v, i) => tf.tensor(v, shapes[i]));
    block.setWeights(weights);
    const y = block.apply(x) as tf.Tensor;

    const seq = rows(x.dataSync(), dim);
    const [g1, b1, qkvW, qkvB, outW, outB, g2, b2, w1, c1, w2, c2] = flat;
    const attended = add(
      seq,
      handAttention(
        handLayerNorm(seq, g1, b1, 1e-5),
        rows(qkvW, 3 * dim),
        qkvB,
        rows(outW, dim),
        outB,
        heads,
      ),
    );
    const gelu = (v: number) => 0.5 * v * (1 + erf(v / Math.SQRT2));
    const h = affine(handLayerNorm(attended, g2, b2, 1e-5), rows(w1, hidden), c1).map((r) => r.map(gelu));
    const expected = add(attended, affine(h, rows(w2, dim), c2));
    expectClose(y.dataSync(), expected.flat(), 1e-5);
    tf.dispose([x, y, ...weights]);
    block.dispose();
  });

  it('rejects a head count that does not divide the feature size', () => {
    const layer = new MultiHeadSelfAttention({ heads: 3 });
    const x = tf.zeros([1, 2, 4]);
    expect(() => layer.apply(x)).toThrow(/3 heads do not divide the feature size 4/);
    x.dispose();
  });
});

describe('patches', () => {
  it('patchify orders tokens row-major over the patch grid, features as [row, column, channel]', () => {
    const [batch, height, width, channels, p] = [2, 4, 6, 2, 2];
    const x = tf.tensor4d(
      Array.from({ length: batch * height * width * channels }, (_, i) => i),
      [batch, height, width, channels],
    );
    const tokens = patchify(x, p);
    const gridCols = width / p;
    expect(tokens.shape).toEqual([batch, (height / p) * gridCols, p * p * channels]);
    const xs = x.arraySync() as number[][][][];
    const ts = tokens.arraySync() as number[][][];
    for (let b = 0; b < batch; b++)
      for (let i = 0; i < height / p; i++)
        for (let j = 0; j < gridCols; j++)
          for (let dy = 0; dy < p; dy++)
            for (let dx = 0; dx < p; dx++)
              for (let c = 0; c < channels; c++)
                expect(ts[b][i * gridCols + j][(dy * p + dx) * channels + c]).toBe(
                  xs[b][i * p + dy][j * p + dx][c],
                );
    // Round trip, as functions and as layers.
    const back = unpatchify(tokens, p, [height, width, channels]);
    expect(Array.from(back.dataSync())).toEqual(Array.from(x.dataSync()));
    const inLayer = new Patchify({ patchSize: p });
    const outLayer = new Unpatchify({ patchSize: p, imageShape: [height, width, channels] });
    expect(inLayer.computeOutputShape([null, height, width, channels])).toEqual([null, 6, 8]);
    expect(outLayer.computeOutputShape([null, 6, 8])).toEqual([null, height, width, channels]);
    const viaLayers = outLayer.apply(inLayer.apply(x)) as tf.Tensor;
    expect(Array.from(viaLayers.dataSync())).toEqual(Array.from(x.dataSync()));
    expect(() => patchify(x, 4)).toThrow(/does not divide/);
    tf.dispose([x, tokens, back, viaLayers]);
  });
});

describe('serialisation of the attention layers', () => {
  function smallNetwork(): tfl.Sequential {
    const model = tfl.sequential({ name: 'tiny' });
    model.add(new Patchify({ inputShape: [4, 4, 2], patchSize: 2, name: 'patchify' }));
    model.add(tfl.layers.dense({ units: 8, name: 'embed' }));
    model.add(new PositionEmbedding({ seed: 1, name: 'positions' }));
    model.add(new MultiHeadSelfAttention({ heads: 2, seed: 2, name: 'attention' }));
    model.add(new TransformerBlock({ heads: 4, mlpRatio: 2, activation: 'relu', seed: 3, name: 'block' }));
    model.add(new LayerNorm({ name: 'norm' }));
    model.add(tfl.layers.dense({ units: 8, name: 'pixels' }));
    model.add(new Unpatchify({ patchSize: 2, imageShape: [4, 4, 2], name: 'unpatchify' }));
    return model;
  }

  it('a network of the custom layers saves to model.json + weights.bin and loads with identical outputs', async () => {
    await withTempDir(async (dir) => {
      const model = smallNetwork();
      // Non-trivial norm parameters, so a load that dropped them would show.
      const weights = model
        .getWeights()
        .map((w, i) => tf.add(w, tf.mul(0.1, tf.randomNormal(w.shape, 0, 1, 'float32', i))));
      model.setWeights(weights);
      const x = tf.randomUniform([3, 4, 4, 2], 0, 1, 'float32', 7);
      const expected = model.predict(x) as tf.Tensor;
      await saveNetwork(model, dir);
      const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
      const classes = json.modelTopology.config.layers.map((l: { class_name: string }) => l.class_name);
      expect(classes).toEqual([
        'LatentlabPatchify',
        'Dense',
        'LatentlabPositionEmbedding',
        'LatentlabMultiHeadSelfAttention',
        'LatentlabTransformerBlock',
        'LatentlabLayerNorm',
        'Dense',
        'LatentlabUnpatchify',
      ]);
      const loaded = await loadNetwork(dir);
      const again = loaded.predict(x) as tf.Tensor;
      expect(again.shape).toEqual([3, 4, 4, 2]);
      expectClose(again.dataSync(), expected.dataSync(), 1e-6);
      tf.dispose([x, expected, again, ...weights]);
      model.dispose();
      loaded.dispose();
    });
  });

  it('getConfig is JSON and fromConfig rebuilds an equal layer', () => {
    const layers = [
      new Patchify({ patchSize: 3, name: 'a' }),
      new Unpatchify({ patchSize: 3, imageShape: [6, 9, 1], name: 'b' }),
      new PositionEmbedding({ seed: 4, name: 'c' }),
      new LayerNorm({ epsilon: 1e-3, name: 'd' }),
      new MultiHeadSelfAttention({ heads: 2, seed: 5, name: 'e' }),
      new TransformerBlock({ heads: 2, mlpRatio: 3, activation: 'tanh', epsilon: 1e-4, seed: 6, name: 'f' }),
    ];
    for (const layer of layers) {
      const config = JSON.parse(JSON.stringify(layer.getConfig()));
      const cls = layer.constructor as typeof Patchify;
      const clone = cls.fromConfig(cls, config);
      expect(clone).toBeInstanceOf(cls);
      expect(clone.getConfig()).toEqual(layer.getConfig());
      expect(tf.serialization.SerializationMap.getMap().classNameMap[cls.className]?.[0]).toBe(cls);
    }
    expect(layers[5].getConfig()).toMatchObject({ heads: 2, mlpRatio: 3, activation: 'tanh', seed: 6 });
  });
});

describe('attention-ae', () => {
  const context: BuildContext = { sampleShape: [8, 8, 1], seed: 3 };
  const raw = { kind: 'attention-ae', patchSize: 4, dim: 16, heads: 2, depth: 1, latent: 4 };

  function build(config: unknown = raw, ctx = context): Autoencoder {
    const parsed = parseModelConfig(config);
    return parsed.family.build(parsed.config, ctx) as Autoencoder;
  }

  it('fills defaults for 28x28 images (16 patches of 7x7)', () => {
    const { config } = parseModelConfig({ kind: 'attention-ae' });
    expect(config).toMatchObject({ patchSize: 7, dim: 64, heads: 4, depth: 2, mlpRatio: 2, latent: 32 });
    expect(getFamily('attention-ae').needsImages).toBe(true);
  });

  // Build, learning, leaks and save/load are the contract suite's (contract.test.ts); here, its insides and
  // what a stock tfjs user gets from its saved networks.
  it('works on [batch, tokens, dim] inside: 4 patches of 4x4 for an 8x8 image', () => {
    const model = build();
    const positions = model.networks.encoder.getLayer('encoder_positions');
    expect(positions.outputShape).toEqual([null, 4, 16]);
    model.dispose();
  });

  it('the saved encoder gives the codes and the decoder the reconstructions; tfl.loadLayersModel reads them once registered', async () => {
    await withTempDir(async (dir) => {
      const model = build();
      const x = blobs(4, 4);
      // Unlike the other families, these networks hold latentlab's own layer classes: a stock
      // tfl.loadLayersModel knows them only once they are registered, which importing latentlab's
      // attention module (done at the top of this file) does. Past that, the path is plain HTTP.
      await expectStockAutoencoder(model, x, dir);
      tf.dispose(x);
      model.dispose();
    });
  });

  it('rejects bad configs naming the field', () => {
    expect(() => parseModelConfig({ ...raw, heads: 3 })).toThrow(ConfigError);
    expect(() => parseModelConfig({ ...raw, heads: 3 })).toThrow(
      /model\.heads: 3 heads do not divide dim 16/,
    );
    expect(() => parseModelConfig({ ...raw, patchSize: 0 })).toThrow(/model\.patchSize/);
    expect(() => build({ ...raw, patchSize: 3 })).toThrow(/model\.patchSize: patch size 3 must divide/);
    build(raw, { sampleShape: [12, 8, 1], seed: 0 }).dispose(); // 3x2 patches: fine
    expect(() => build(raw, { sampleShape: [10, 8, 1], seed: 0 })).toThrow(/model\.patchSize/);
    expect(() => build(raw, { sampleShape: [64], seed: 0 })).toThrow(
      /model\.kind: attention-ae needs image samples/,
    );
  });
});
