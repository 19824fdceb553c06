// Spectral normalisation: the power iteration finds the kernel's top singular value (numpy's SVD of the same
// matrices, below), the kernel is divided by it, the gradient passes through σ, and the vectors are saved, so a
// reloaded discriminator gives the same outputs and continues the iteration where it stopped.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, tfl } from '../../src/engine/tf.js';
import { loadNetwork, saveNetwork } from '../../src/io/model-files.js';
import { SpectralConv2D, SpectralDense } from '../../src/models/shared/spectral-norm.js';
import { expectClose, useBackend, withTempDir } from '../helpers.js';

beforeAll(async () => {
  await useBackend('wasm');
});

// W[i][j] = ((7i + 3j) mod 11 - 5) / 4, [6, 4]; numpy.linalg.svd(W) gives 2.64195551, 2.32219089, 1.56098513,
// 0.50331502.
const W = Array.from({ length: 6 }, (_, i) =>
  Array.from({ length: 4 }, (_, j) => (((i * 7 + j * 3) % 11) - 5) / 4),
);
const W_TOP = 2.64195551;
// K.flat[i] = ((5i + 3) mod 13 - 6) / 6, [3, 3, 2, 3]; numpy's SVD of K.reshape(-1, 3): 3.45424835, 2.45456916,
// 1.62067637.
const K = Array.from({ length: 54 }, (_, i) => (((i * 5 + 3) % 13) - 6) / 6);
const K_TOP = 3.45424835;

function denseModel(seed = 1) {
  const input = tfl.input({ shape: [6] });
  const layer = new SpectralDense({ units: 4, name: 'sn_dense', seed });
  const model = tfl.model({ inputs: input, outputs: layer.apply(input) as tfl.SymbolicTensor });
  const [, bias, u, v] = layer.getWeights();
  layer.setWeights([tf.tensor2d(W), bias, u, v]);
  return { model, layer };
}

describe('spectral normalisation', () => {
  it("a dense kernel's σ converges to its top singular value, and the layer uses W / σ", () => {
    const { model, layer } = denseModel();
    const x = tf.eye(6);
    for (let i = 0; i < 40; i++) tf.dispose(model.apply(x, { training: true }) as tf.Tensor);
    expect(layer.sigma()).toBeCloseTo(W_TOP, 4);
    // Rows of the identity read the normalised kernel back: W / σ, whose top singular value is then 1.
    const out = model.predict(x) as tf.Tensor;
    expectClose(
      out.dataSync(),
      W.flat().map((w) => w / W_TOP),
      1e-4,
    );
    tf.dispose([x, out]);
    model.dispose();
  });

  it("a convolution's σ is the top singular value of its kernel as a [k·k·c, filters] matrix", () => {
    const input = tfl.input({ shape: [5, 5, 2] });
    const layer = new SpectralConv2D({ filters: 3, kernelSize: 3, strides: 2, name: 'sn_conv', seed: 2 });
    const model = tfl.model({ inputs: input, outputs: layer.apply(input) as tfl.SymbolicTensor });
    const [, bias, u, v] = layer.getWeights();
    layer.setWeights([tf.tensor4d(K, [3, 3, 2, 3]), bias, u, v]);
    const x = tf.ones([1, 5, 5, 2]);
    for (let i = 0; i < 20; i++) tf.dispose(model.apply(x, { training: true }) as tf.Tensor);
    expect(layer.sigma()).toBeCloseTo(K_TOP, 4);
    const out = model.predict(x) as tf.Tensor;
    expect(out.shape).toEqual([1, 3, 3, 3]);
    tf.dispose([x, out]);
    model.dispose();
  });

  it('passes the gradient through σ: d/dW Σ(x W / σ) = (Σ_rows x)ᵀ1 / σ - Σ(xW) / σ² · v uᵀ', () => {
    const { model, layer } = denseModel();
    const x = tf.tensor2d([[0.5, -1, 0.25, 2, 0, 1]]);
    const [kernel, , uT, vT] = layer.getWeights();
    const u = Array.from(uT.dataSync());
    const v = Array.from(vT.dataSync());
    const sigma = v.reduce((s, vi, i) => s + u.reduce((t, uj, j) => t + vi * W[i][j] * uj, 0), 0);
    const xs = Array.from(x.dataSync());
    const total = xs.reduce((s, xi, i) => s + W[i].reduce((a, b) => a + b, 0) * xi, 0);
    const expected = W.flatMap((row, i) =>
      row.map((_, j) => xs[i] / sigma - (total / sigma ** 2) * v[i] * u[j]),
    );
    // Inference mode: no iteration, so u and v are the stored ones.
    const { grads } = tf.variableGrads(
      () => tf.sum(model.apply(x, { training: false }) as tf.Tensor) as tf.Scalar,
      [kernel as tf.Variable],
    );
    expectClose(Object.values(grads)[0].dataSync(), expected, 1e-4);
    tf.dispose([x, ...Object.values(grads)]);
    model.dispose();
  });

  it('saves the vectors: a reloaded layer gives the same outputs and the same next iteration', async () => {
    await withTempDir(async (dir) => {
      const { model } = denseModel(7);
      const x = tf.tensor2d([[1, 0.5, -0.5, 0.25, 0, -1]]);
      for (let i = 0; i < 3; i++) tf.dispose(model.apply(x, { training: true }) as tf.Tensor);
      await saveNetwork(model, join(dir, 'model'));
      const loaded = await loadNetwork(join(dir, 'model'));
      const names = loaded.getLayer('sn_dense').weights.map((w) => w.originalName);
      expect(names).toEqual(['sn_dense/kernel', 'sn_dense/bias', 'sn_dense/sn_u', 'sn_dense/sn_v']);
      const same = (a: tfl.LayersModel, b: tfl.LayersModel) => {
        for (const [i, w] of a.getWeights().entries())
          expectClose(w.dataSync(), b.getWeights()[i].dataSync(), 0);
      };
      same(model, loaded);
      // One more training pass on each: the vectors move the same way.
      const a = model.apply(x, { training: true }) as tf.Tensor;
      const b = loaded.apply(x, { training: true }) as tf.Tensor;
      expectClose(a.dataSync(), b.dataSync(), 0);
      same(model, loaded);
      tf.dispose([x, a, b]);
      model.dispose();
      loaded.dispose();
    });
  });
});
