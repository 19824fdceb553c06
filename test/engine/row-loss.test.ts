// The fused reconstruction losses (src/engine/kernels/row-loss.ts, native/src/losses.c): values and gradients by
// hand, then the native, wasm and cpu kernels against the stock composition they replace (with the stock
// kernels and gradients), on the shapes the families use, logits out to ±100 and exactly 0.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/data/random.js';
import { registerWasmKernelFixes } from '../../src/engine/kernels/index.js';
import { meanSquaredError, type RowLossKind, rowLoss } from '../../src/engine/kernels/row-loss.js';
import { registerNativeBackend } from '../../src/engine/native/backend.js';
import { tf } from '../../src/engine/tf.js';
import { type Build, onLeakFree as on, runOn, worstDifference } from './stock-reference.js';

type Backend = 'cpu' | 'wasm' | 'native';

registerWasmKernelFixes();
const native = registerNativeBackend();
const backends: Backend[] = ['cpu', 'wasm', ...(native.ok ? (['native'] as const) : [])];
if (!native.ok) console.warn(`native row loss tests skipped: ${native.reason}`);

/** The loss, and the gradients of Σ(loss · weights) with respect to the prediction and to the target. */
function lossAndGradients(
  kind: RowLossKind,
  target: () => tf.Tensor,
  prediction: () => tf.Tensor,
  rank: number,
  weights: () => tf.Tensor,
): Build {
  return () => {
    const [t, p, w] = [target(), prediction(), weights()];
    const weighted = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(rowLoss(kind, a, b, rank), w));
    const [dt, dp] = tf.grads(weighted)([t, p]);
    return [rowLoss(kind, t, p, rank), dp, dt];
  };
}

function uniform(shape: number[], seed: number, low: number, high: number): () => tf.Tensor {
  const r = createRng(seed);
  const data = Float32Array.from({ length: tf.util.sizeFromShape(shape) }, () => low + r() * (high - low));
  return () => tf.tensor(data, shape, 'float32');
}

describe('row losses', () => {
  it('sum squared errors and Bernoulli NLLs per row, with their gradients (by hand)', async () => {
    const target = () =>
      tf.tensor2d([
        [0, 1, 0.25],
        [1, 0, 0.5],
      ]);
    const prediction = () =>
      tf.tensor2d([
        [0.5, -1, 0],
        [100, -100, 2],
      ]);
    const weights = () => tf.tensor1d([1, 2]);
    const sigmoid = (l: number) => 1 / (1 + Math.exp(-l));
    const nll = (t: number, l: number) => -(t * Math.log(sigmoid(l)) + (1 - t) * Math.log(1 - sigmoid(l)));
    for (const backend of backends) {
      const [sq, dsq, dsqTarget] = await on(
        backend,
        lossAndGradients('squared', target, prediction, 1, weights),
      );
      expect(sq.values[0]).toBeCloseTo(0.25 + 4 + 0.0625, 5);
      expect(sq.values[1]).toBeCloseTo(99 * 99 + 100 * 100 + 2.25, 1);
      // d/dp of w · (p - t)² is 2 w (p - t); the target's is its negative.
      expect(Array.from(dsq.values)).toEqual([1, -4, -0.5, 396, -400, 6]);
      expect(Array.from(dsqTarget.values)).toEqual([-1, 4, 0.5, -396, 400, -6]);

      const [be, dbe, dbeTarget] = await on(
        backend,
        lossAndGradients('bernoulli-logits', target, prediction, 1, weights),
      );
      expect(be.values[0], backend).toBeCloseTo(nll(0, 0.5) + nll(1, -1) + nll(0.25, 0), 5);
      // Saturated logits: a confident right answer costs ~0 and a confident wrong one |l|, never Infinity.
      expect(be.values[1], backend).toBeCloseTo(0 + 0 + nll(0.5, 2), 5);
      const dWant = [
        sigmoid(0.5),
        sigmoid(-1) - 1,
        0.5 - 0.25,
        2 * (sigmoid(100) - 1),
        2 * sigmoid(-100),
        2 * (sigmoid(2) - 0.5),
      ];
      for (const [i, v] of dWant.entries()) expect(dbe.values[i], `${backend} d[${i}]`).toBeCloseTo(v, 6);
      // d/dt of max(l, 0) - t·l + log(1 + e^-|l|) is -l.
      expect(Array.from(dbeTarget.values)).toEqual([-0.5, 1, -0, -200, 200, -4]);
    }
  });

  it('match the stock composition (squaredDifference, or relu - t·l + log1p(exp(-|l|)), summed) forward and backward', async () => {
    const cases: Array<[number[], number, number]> = [
      [[3], 1, 1],
      [[1, 5], 1, 4],
      [[128, 28, 28, 1], 3, 6],
      [[256, 784], 1, 3],
      [[4, 7, 9], 2, 100],
      [[6, 10], 0, 2],
      [[2, 3, 4], 3, 1],
    ];
    let seed = 1;
    for (const kind of ['squared', 'bernoulli-logits'] as const) {
      for (const [shape, rank, scale] of cases) {
        const target = uniform(shape, seed++, 0, 1);
        const prediction = uniform(shape, seed++, -scale, scale);
        const lead = shape.slice(0, shape.length - rank);
        const weights = uniform(lead, seed++, -1, 1);
        const build = lossAndGradients(kind, target, prediction, rank, weights);
        // Stock cpu: rowLoss finds no fused kernel there once the fixes are off, and composes stock ops.
        const want = await runOn('cpu', build, false);
        for (const backend of backends) {
          const got = await on(backend, build);
          expect(
            worstDifference(got, want),
            `${kind} ${backend} [${shape}] rank ${rank}`,
          ).toBeLessThanOrEqual(2e-6);
        }
      }
    }
  });

  it('compose stock ops for operands the kernels do not take (a broadcast target), with the same values', async () => {
    const build: Build = () => {
      const t = tf.tensor2d([[0.2], [0.9]]);
      const p = tf.tensor2d([
        [1, -2, 3],
        [0, 0.5, -1],
      ]);
      return [rowLoss('bernoulli-logits', t, p, 1), meanSquaredError(t, p)];
    };
    const want = await runOn('cpu', build, false);
    for (const backend of backends)
      expect(worstDifference(await on(backend, build), want)).toBeLessThanOrEqual(1e-6);
  });

  it('give the mean squared error of every entry', async () => {
    for (const backend of backends) {
      const [mse] = await on(backend, () =>
        meanSquaredError(
          tf.tensor2d([
            [1, 2],
            [3, 4],
          ]),
          tf.tensor2d([
            [1, 0],
            [0, 4],
          ]),
        ),
      );
      expect(mse.shape).toEqual([]);
      expect(mse.values[0]).toBeCloseTo((0 + 4 + 9 + 0) / 4, 6);
    }
  });
});
