// The fused softmax cross-entropy (src/engine/kernels/softmax-cross-entropy.ts, native/src/softmax.c): values and
// gradients by hand, then native, wasm and cpu kernels against the stock composition (logSoftmax times a one-hot,
// summed) with the stock kernels and gradients, on random shapes up to a 10,000-token vocabulary.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/data/random.js';
import { registerWasmKernelFixes } from '../../src/engine/kernels/index.js';
import {
  SOFTMAX_CROSS_ENTROPY,
  softmaxCrossEntropy,
} from '../../src/engine/kernels/softmax-cross-entropy.js';
import { registerNativeBackend } from '../../src/engine/native/backend.js';
import { tf } from '../../src/engine/tf.js';
import { type Build, onLeakFree as on, runOn, worstDifference } from './stock-reference.js';

type Backend = 'cpu' | 'wasm' | 'native';

registerWasmKernelFixes();
const native = registerNativeBackend();
const backends: Backend[] = ['cpu', 'wasm', ...(native.ok ? (['native'] as const) : [])];
if (!native.ok) console.warn(`native softmax cross-entropy tests skipped: ${native.reason}`);

/** nll, argMax (as float32) and d Σ(nll · weights) / d logits. */
function lossAndGradient(logits: () => tf.Tensor, labels: () => tf.Tensor, weights: () => tf.Tensor): Build {
  return () => {
    const [x, y, w] = [logits(), labels(), weights()];
    const { nll, argMax } = softmaxCrossEntropy(x, y);
    const grad = tf.grad((l: tf.Tensor) => tf.sum(tf.mul(softmaxCrossEntropy(l, y).nll, w)))(x);
    return [nll, tf.cast(argMax, 'float32'), grad];
  };
}

function values(
  shape: number[],
  seed: number,
  make: (r: () => number) => number,
  dtype: 'float32' | 'int32',
) {
  const r = createRng(seed);
  const data = Array.from({ length: tf.util.sizeFromShape(shape) }, () => make(r));
  return () => tf.tensor(data, shape, dtype);
}

describe('softmax cross-entropy', () => {
  it('gives -log softmax at the label, the first argmax, and softmax - onehot as the gradient (by hand)', async () => {
    const build = lossAndGradient(
      () =>
        tf.tensor2d([
          [1, 2, 3],
          [0, 0, 0],
        ]),
      () => tf.tensor1d([2, 0], 'float32'),
      () => tf.ones([2]),
    );
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const total = e[0] + e[1] + e[2];
    for (const backend of backends) {
      const [nll, argMax, grad] = await on(backend, build);
      expect(nll.values[0]).toBeCloseTo(Math.log(total) - 3, 6);
      expect(nll.values[1]).toBeCloseTo(Math.log(3), 6);
      // Equal logits: the first index, as tf.argMax.
      expect(Array.from(argMax.values)).toEqual([2, 0]);
      const want = [e[0] / total, e[1] / total, e[2] / total - 1, 1 / 3 - 1, 1 / 3, 1 / 3];
      for (const [i, v] of want.entries())
        expect(grad.values[i], `${backend} dlogits[${i}]`).toBeCloseTo(v, 6);
    }
  });

  it('gives 0 and no gradient for labels outside the vocabulary, and none where the incoming gradient is 0', async () => {
    const build = lossAndGradient(
      () =>
        tf.tensor2d([
          [1, -2, 0.5],
          [3, 1, 2],
          [0.1, 0.2, 0.3],
        ]),
      () => tf.tensor1d([-1, 3, 1], 'int32'),
      () => tf.tensor1d([1, 1, 0]),
    );
    for (const backend of backends) {
      const [nll, , grad] = await on(backend, build);
      expect(nll.values[0]).toBe(0);
      expect(nll.values[1]).toBe(0);
      expect(Array.from(grad.values), backend).toEqual(new Array(9).fill(0));
    }
  });

  it('matches the stock composition on cpu (logSoftmax · oneHot) forward and backward, up to a 10,000-token vocabulary', async () => {
    const cases: Array<[number[], number]> = [
      [[1, 2], 1],
      [[7, 5], 1],
      [[3, 4, 13], 5],
      [[64, 100], 20],
      [[4, 6, 10_000], 3],
      [[2, 300], 60],
    ];
    let seed = 1;
    for (const [shape, scale] of cases) {
      const vocabulary = shape[shape.length - 1];
      const lead = shape.slice(0, -1);
      const logits = values(shape, seed++, (r) => (r() * 2 - 1) * scale, 'float32');
      // Float ids as text rows hold them, a few out of range (-1, vocabulary).
      const labels = values(lead, seed++, (r) => Math.floor(r() * (vocabulary + 2)) - 1, 'float32');
      // Zeros among the weights, as masked <pad> positions give.
      const weights = values(lead, seed++, (r) => (r() < 0.3 ? 0 : r() * 2 - 1), 'float32');
      const build = lossAndGradient(logits, labels, weights);
      const want = await runOn('cpu', build, false);
      for (const backend of backends) {
        const got = await on(backend, build);
        expect(worstDifference(got, want), `${backend} [${shape}] x${scale}`).toBeLessThanOrEqual(2e-6);
      }
    }
  });

  it("differentiates the kernel's log-sum-exp output too (softmax · dlse)", async () => {
    const logits = values([5, 9], 77, (r) => r() * 4 - 2, 'float32');
    const weights = values([5], 78, (r) => r() * 2 - 1, 'float32');
    const build =
      (fused: boolean): Build =>
      () => {
        const [x, w] = [logits(), weights()];
        const lse = (l: tf.Tensor) =>
          fused
            ? (
                tf
                  .engine()
                  .runKernel(
                    SOFTMAX_CROSS_ENTROPY,
                    { logits: l, labels: tf.zeros([5], 'int32') },
                    {},
                  ) as tf.Tensor[]
              )[1]
            : tf.logSumExp(l, -1);
        return [lse(x), tf.grad((l: tf.Tensor) => tf.sum(tf.mul(lse(l), w)))(x)];
      };
    const want = await runOn('cpu', build(false), false);
    for (const backend of backends) {
      expect(worstDifference(await on(backend, build(true)), want), backend).toBeLessThanOrEqual(2e-6);
    }
  });

  it('refuses logits and labels of mismatched shapes', async () => {
    for (const backend of backends) {
      await tf.setBackend(backend);
      expect(() => softmaxCrossEntropy(tf.zeros([2, 3, 4]), tf.zeros([2, 4]))).toThrow(
        'LatentlabSoftmaxCrossEntropy: expected float32 logits [..., V] (V > 0) and int32 labels [...] of the leading shape, got float32 [2,3,4] and int32 [2,4]',
      );
    }
  });
});
