// FastGru against the stock tfjs-layers GRU with the same weights: outputs and gradients (inputs and all three
// weights) on random data, with and without returned sequences, masking and a given initial state; no leaks; and
// a saved seq-vae reads back with stock tfl.loadLayersModel as stock GRUs computing the same function.
import { beforeAll, describe, expect, it } from 'vitest';
import { type Tensor, tf, tfl } from '../../src/engine/tf.js';
import { parseModelConfig } from '../../src/models/registry.js';
import { FastGru, fastGru } from '../../src/models/seq/fast-gru.js';
import { expectClose, expectNoLeakedTensors, randomValues, useBackend } from '../helpers.js';

beforeAll(async () => {
  await useBackend('wasm');
});

type Gru = ReturnType<typeof tfl.layers.gru>;
const [N, T, D, H] = [3, 5, 4, 6];

/** A stock GRU and a FastGru with the same (random, nonzero-bias) weights, built for [N, T, D] inputs. */
function pair(returnSequences: boolean): { stock: Gru; fast: Gru } {
  // glorotUniform recurrent weights: the stock orthogonal initialiser fails here (the networks pass seeded ones).
  const options = {
    units: H,
    returnSequences,
    recurrentInitializer: 'glorotUniform' as const,
    biasInitializer: 'randomNormal' as const,
  };
  const stock = tfl.layers.gru({ ...options, name: 'stock_gru' });
  const fast = fastGru({ ...options, name: 'fast_gru' });
  // Built by a first call (RNN.build alone leaves the layer unbuilt for apply).
  tf.tidy(() => {
    const zeros = tf.zeros([N, T, D]);
    stock.apply(zeros);
    fast.apply(zeros);
  });
  fast.setWeights(stock.getWeights());
  return { stock, fast };
}

/**
 * The layer's output on x and the gradients of a weighted sum of it (the weights random, so every output element
 * counts differently) with respect to x, the kernel, the recurrent kernel and the bias.
 */
let calls = 0;
function outputAndGradients(layer: Gru, x: Tensor, kwargs: Record<string, unknown>) {
  return tf.tidy(() => {
    const input = tf.variable(x, true, `input_${layer.name}_${calls++}`);
    const weights = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    let output: Tensor | undefined;
    const { grads } = tf.variableGrads(() => {
      const y = layer.apply(input, kwargs) as Tensor;
      output = tf.keep(y);
      const mix = tf.tensor(randomValues(y.size, 11), y.shape);
      return tf.sum(tf.mul(y, mix));
    }, [input, ...weights]);
    const result = {
      output: (output as Tensor).arraySync(),
      values: (output as Tensor).dataSync(),
      input: grads[input.name].dataSync(),
      weights: weights.map((w) => grads[w.name].dataSync()),
    };
    input.dispose();
    (output as Tensor).dispose();
    return result;
  });
}

function expectSameFunction(
  returnSequences: boolean,
  kwargs: (x: Tensor) => Record<string, unknown> = () => ({}),
) {
  const { stock, fast } = pair(returnSequences);
  const x = tf.tensor3d(randomValues(N * T * D, 7), [N, T, D]);
  const expected = outputAndGradients(stock, x, kwargs(x));
  const actual = outputAndGradients(fast, x, kwargs(x));
  expect(tf.tensor(actual.values).shape).toEqual(tf.tensor(expected.values).shape);
  expect((actual.output as number[][]).length).toBe(N);
  expectClose(actual.values, expected.values, 1e-5);
  expectClose(actual.input, expected.input, 1e-5);
  expect(actual.weights.length).toBe(3);
  for (let i = 0; i < 3; i++) expectClose(actual.weights[i], expected.weights[i], 1e-5);
  // The check is not vacuous: the gradients are not all zero.
  expect(Math.max(...actual.weights[1].map(Math.abs))).toBeGreaterThan(1e-3);
  tf.dispose(x);
  stock.dispose();
  fast.dispose();
  return actual;
}

describe('FastGru', () => {
  it('gives the stock GRU output and gradients with returnSequences (the decoder)', () => {
    const { output } = expectSameFunction(true);
    expect([(output as number[][][]).length, (output as number[][][])[0].length]).toEqual([N, T]);
  });

  it('gives the stock GRU last state and gradients without returnSequences (the encoder)', () => {
    expectSameFunction(false);
  });

  it('masks like the stock GRU: a masked step keeps the state (the encoder over <pad>)', () => {
    // Rows of 5, 3 and 1 real steps then padding, and one hole in the middle of the first row.
    const mask = tf.tensor2d(
      [
        [1, 1, 0, 1, 1],
        [1, 1, 1, 0, 0],
        [1, 0, 0, 0, 0],
      ],
      [N, T],
      'bool',
    );
    expectSameFunction(false, () => ({ mask }));
    const { output } = expectSameFunction(true, () => ({ mask }));
    // The third row's state stops after its first step.
    const row = (output as number[][][])[2];
    for (let t = 1; t < T; t++) expectClose(row[t], row[0], 0);
    mask.dispose();
  });

  it('runs the stock call (same result) for what the fast path leaves out: a given initial state', () => {
    const h0 = tf.tensor2d(randomValues(N * H, 5), [N, H]);
    expectSameFunction(true, () => ({ initialState: [h0] }));
    h0.dispose();
  });

  it('takes its fast path for the default GRU (far fewer kernels than the stock step-by-step call)', async () => {
    const { stock, fast } = pair(true);
    const x = tf.tensor3d(randomValues(N * T * D, 3), [N, T, D]);
    const kernels = async (layer: Gru) =>
      (
        await tf.profile(() => {
          const { value, grads } = tf.variableGrads(() => tf.sum(layer.apply(x) as Tensor));
          tf.dispose([value, ...Object.values(grads)]);
        })
      ).kernels.length;
    const [stockCount, fastCount] = [await kernels(stock), await kernels(fast)];
    expect(fastCount).toBeLessThan(stockCount * 0.6);
    tf.dispose(x);
    stock.dispose();
    fast.dispose();
  });

  it('leaks no tensors, forward or under gradients', () => {
    const { fast } = pair(true);
    const x = tf.tensor3d(randomValues(N * T * D, 3), [N, T, D]);
    const mask = tf.tensor2d(
      Array.from({ length: N * T }, (_, i) => (i % T < 3 ? 1 : 0)),
      [N, T],
    );
    expectNoLeakedTensors(() => {
      (fast.apply(x, { mask }) as Tensor).dispose();
      const { value, grads } = tf.variableGrads(() => tf.sum(fast.apply(x) as Tensor));
      tf.dispose([value, ...Object.values(grads)]);
    });
    tf.dispose([x, mask]);
    fast.dispose();
  });

  it('saves as a stock GRU: its config is the stock one, className GRU', () => {
    const { stock, fast } = pair(true);
    expect(fast.getClassName()).toBe('GRU');
    const config = { ...fast.getConfig(), name: 'stock_gru' };
    expect(config).toEqual(stock.getConfig());
    stock.dispose();
    fast.dispose();
  });
});

describe('a seq-vae with FastGru', () => {
  it('is read back by a stock tfl.loadLayersModel as stock GRUs with the same outputs', async () => {
    const { family, config } = parseModelConfig({ kind: 'seq-vae', embedding: 8, hidden: 16, latent: 4 });
    const model = family.build(config, { sampleShape: [6], vocabularySize: 12, seed: 3 });
    const { encoder, decoder } = model.networks;
    expect(encoder.getLayer('encoder_rnn')).toBeInstanceOf(FastGru);
    expect(decoder.getLayer('decoder_rnn')).toBeInstanceOf(FastGru);
    const ids = tf.tensor2d(
      [
        [5, 6, 7, 3, 0, 0],
        [4, 11, 9, 8, 10, 3],
      ],
      [2, 6],
    );
    const z = tf.tensor2d(randomValues(8, 9), [2, 4]);
    for (const [network, inputs] of [
      [encoder, ids],
      [decoder, [ids, z]],
    ] as const) {
      let saved: tf.io.ModelArtifacts | undefined;
      await network.save(
        tf.io.withSaveHandler(async (artifacts) => {
          saved = artifacts;
          return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        }),
      );
      const topology = JSON.stringify(saved?.modelTopology);
      expect(topology).toContain('"class_name":"GRU"');
      const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved as tf.io.ModelArtifacts));
      const rnn = loaded.layers.find((l) => l.getClassName() === 'GRU');
      expect(rnn).toBeDefined();
      expect(rnn).not.toBeInstanceOf(FastGru);
      const before = network.predict(inputs as Tensor | Tensor[]) as Tensor | Tensor[];
      const after = loaded.predict(inputs as Tensor | Tensor[]) as Tensor | Tensor[];
      const list = (t: Tensor | Tensor[]) => (Array.isArray(t) ? t : [t]);
      list(after).forEach((t, i) => {
        expectClose(t.dataSync(), list(before)[i].dataSync(), 1e-5);
      });
      tf.dispose([...list(before), ...list(after)]);
      loaded.dispose();
    }
    tf.dispose([ids, z]);
    model.dispose?.();
  });
});
