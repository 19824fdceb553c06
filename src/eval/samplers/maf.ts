// Masked autoregressive flow (Papamakarios et al. 2017) over standardised codes: a stack of MADE layers
// (Germain et al. 2015), each mapping x to u = (x - μ(x_<i)) · exp(-α(x_<i)) in its own variable order (reversed
// from one layer to the next), trained by maximum likelihood under u ~ N(0, I). Density is one pass per layer;
// sampling inverts each layer one variable at a time (d passes). Weights are plain arrays, saved as JSON.

import { computeValues } from '../../engine/memory.js';
import { type Scalar, type Tensor, tf } from '../../engine/tf.js';
import { ConfigError } from '../../errors.js';
import type { Matrix } from '../../io/arrays.js';
import { standardNormals } from '../code-prior.js';

export interface MafOptions {
  layers: number;
  hidden: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  onEpoch?: (epoch: number, meanLogLikelihood: number) => void;
}

/** A fitted flow: standardisation and per layer W1 [d, h], b1 [h], W2 [h, 2d], b2 [2d] (μ then α). */
export interface MafFit {
  dims: number;
  hidden: number;
  shift: number[];
  scale: number[];
  layers: { w1: number[]; b1: number[]; w2: number[]; b2: number[] }[];
}

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * MADE masks for `d` inputs and `h` hidden units, in the identity order: hidden unit k has degree k mod (d-1) + 1
 * and sees inputs of degree ≤ its own; output i (degree i + 1) sees hidden units of degree < i + 1, so μ_i and
 * α_i depend on x_<i only.
 */
export function madeMasks(d: number, h: number): { hidden: Float32Array; output: Float32Array } {
  const degree = (k: number) => (d > 1 ? (k % (d - 1)) + 1 : 0);
  const hidden = new Float32Array(d * h);
  for (let i = 0; i < d; i++) for (let k = 0; k < h; k++) hidden[i * h + k] = degree(k) >= i + 1 ? 1 : 0;
  const output = new Float32Array(h * 2 * d);
  for (let k = 0; k < h; k++)
    for (let i = 0; i < d; i++) {
      const v = degree(k) < i + 1 && d > 1 ? 1 : 0;
      output[k * 2 * d + i] = v;
      output[k * 2 * d + d + i] = v;
    }
  return { hidden, output };
}

type Layer = { w1: tf.Variable; b1: tf.Variable; w2: tf.Variable; b2: tf.Variable };

class Flow {
  readonly masks: { hidden: Tensor; output: Tensor };
  constructor(
    readonly dims: number,
    readonly layers: Layer[],
  ) {
    const h = layers[0].w1.shape[1] as number;
    const m = madeMasks(dims, h);
    this.masks = {
      hidden: tf.tensor2d(m.hidden, [dims, h]),
      output: tf.tensor2d(m.output, [h, 2 * dims]),
    };
  }

  /** μ and α [n, d] of one layer at its input x (its own order). */
  params(layer: Layer, x: Tensor): { mu: Tensor; alpha: Tensor } {
    const h = tf.relu(tf.add(tf.matMul(x, tf.mul(layer.w1, this.masks.hidden)), layer.b1));
    const out = tf.add(tf.matMul(h, tf.mul(layer.w2, this.masks.output)), layer.b2);
    const d = this.dims;
    // α bounded by tanh: exp(±5) is scale enough, and an unbounded α lets early training blow up.
    return { mu: tf.slice(out, [0, 0], [-1, d]), alpha: tf.mul(5, tf.tanh(tf.slice(out, [0, d], [-1, d]))) };
  }

  /** x (standardised) → u, and Σ log|det ∂u/∂x| = -Σ α per row [n]. */
  forward(x: Tensor): { u: Tensor; logDet: Tensor } {
    let h = x;
    let logDet: Tensor = tf.zeros([x.shape[0]]);
    for (const layer of this.layers) {
      const { mu, alpha } = this.params(layer, h);
      h = tf.reverse(tf.mul(tf.sub(h, mu), tf.exp(tf.neg(alpha))), 1);
      logDet = tf.sub(logDet, tf.sum(alpha, 1));
    }
    return { u: h, logDet };
  }

  /** u → x, each layer inverted one variable at a time (the inverse of forward). */
  inverse(u: Tensor): Tensor {
    let h = u;
    for (let l = this.layers.length - 1; l >= 0; l--) {
      const target = tf.reverse(h, 1);
      let x = tf.zerosLike(target);
      for (let i = 0; i < this.dims; i++) {
        const { mu, alpha } = this.params(this.layers[l], x);
        // Only column i is final after pass i; later columns are recomputed from it.
        const solved = tf.add(tf.mul(target, tf.exp(alpha)), mu);
        const mask = tf.tensor2d(
          Float32Array.from({ length: this.dims }, (_, j) => (j === i ? 1 : 0)),
          [1, this.dims],
        );
        x = tf.add(tf.mul(x, tf.sub(1, mask)), tf.mul(solved, mask));
      }
      h = x;
    }
    return h;
  }

  /** log p(x) of standardised codes [n] under u ~ N(0, I). */
  logDensity(x: Tensor): Tensor {
    const { u, logDet } = this.forward(x);
    return tf.add(tf.mul(-0.5, tf.add(tf.sum(tf.square(u), 1), this.dims * LOG_2PI)), logDet);
  }

  dispose(): void {
    tf.dispose([this.masks.hidden, this.masks.output]);
    for (const layer of this.layers) tf.dispose(Object.values(layer));
  }
}

function toFlow(fit: MafFit): Flow {
  const d = fit.dims;
  const h = fit.hidden;
  return new Flow(
    d,
    fit.layers.map((l) => ({
      w1: tf.variable(tf.tensor2d(l.w1, [d, h])),
      b1: tf.variable(tf.tensor1d(l.b1)),
      w2: tf.variable(tf.tensor2d(l.w2, [h, 2 * d])),
      b2: tf.variable(tf.tensor1d(l.b2)),
    })),
  );
}

function standardise(codes: Matrix): { shift: number[]; scale: number[] } {
  const { rows: n, cols: d, data } = codes;
  const shift = new Array(d).fill(0);
  const scale = new Array(d).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) shift[j] += data[i * d + j] / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) scale[j] += (data[i * d + j] - shift[j]) ** 2 / n;
  // A dead code dimension keeps a unit scale rather than dividing by zero.
  return { shift, scale: scale.map((v) => (v > 1e-12 ? Math.sqrt(v) : 1)) };
}

function standardised(fit: Pick<MafFit, 'shift' | 'scale'>, codes: Matrix): Tensor {
  return tf.tidy(() =>
    tf.div(tf.sub(tf.tensor2d(codes.data, [codes.rows, codes.cols]), fit.shift), fit.scale),
  );
}

/** Σ log scale: the standardisation's log-determinant, subtracted from the flow's density. */
const logScale = (fit: Pick<MafFit, 'scale'>) => fit.scale.reduce((s, v) => s + Math.log(v), 0);

/** Fit a MAF to the rows of `codes` [n, d] by maximum likelihood (Adam, shuffled minibatches, seeded). */
export function fitMaf(codes: Matrix, options: MafOptions): MafFit {
  const d = codes.cols;
  if (codes.rows < 2)
    throw new ConfigError(`a MAF needs at least 2 codes, got ${codes.rows}`, { path: 'codes' });
  const { shift, scale } = standardise(codes);
  const h = options.hidden;
  const layers: Layer[] = Array.from({ length: options.layers }, (_, l) => {
    const init = (shape: [number, number], salt: number) =>
      tf.variable(
        tf.randomNormal(shape, 0, 1 / Math.sqrt(shape[0]), 'float32', options.seed * 131 + l * 7 + salt),
      );
    return {
      w1: init([d, h], 1),
      b1: tf.variable(tf.zeros([h])),
      // Small output weights: every layer starts near the identity.
      w2: tf.variable(tf.mul(init([h, 2 * d], 2), 0.01)),
      b2: tf.variable(tf.zeros([2 * d])),
    };
  });
  const flow = new Flow(d, layers);
  const x = standardised({ shift, scale }, codes);
  const optimizer = tf.train.adam(options.learningRate);
  const variables = layers.flatMap((l) => [l.w1, l.b1, l.w2, l.b2]);
  try {
    for (let epoch = 1; epoch <= options.epochs; epoch++) {
      const perm = shuffled(codes.rows, options.seed + epoch);
      let total = 0;
      for (let start = 0; start < codes.rows; start += options.batchSize) {
        const idx = perm.subarray(start, Math.min(start + options.batchSize, codes.rows));
        const cost = optimizer.minimize(
          () =>
            tf.tidy(() => {
              const batch = tf.gather(x, tf.tensor1d(idx, 'int32'));
              return tf.neg(tf.mean(flow.logDensity(batch))) as Scalar;
            }),
          true,
          variables,
        );
        total += cost!.dataSync()[0] * idx.length;
        cost!.dispose();
      }
      options.onEpoch?.(epoch, -total / codes.rows - logScale({ scale }));
    }
    return {
      dims: d,
      hidden: h,
      shift,
      scale,
      layers: layers.map((l) => ({
        w1: Array.from(l.w1.dataSync()),
        b1: Array.from(l.b1.dataSync()),
        w2: Array.from(l.w2.dataSync()),
        b2: Array.from(l.b2.dataSync()),
      })),
    };
  } finally {
    x.dispose();
    optimizer.dispose();
    flow.dispose();
  }
}

/** A seeded permutation of 0 .. n-1 (Fisher-Yates on a small LCG: the order only needs to be reproducible). */
export function shuffled(n: number, seed: number): Int32Array {
  const out = Int32Array.from({ length: n }, (_, i) => i);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = n - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** log p(code) of every row (nats), the standardisation's Jacobian included. */
export function mafLogDensity(fit: MafFit, codes: Matrix): Float64Array {
  const flow = toFlow(fit);
  try {
    const values = computeValues(() => flow.logDensity(standardised(fit, codes)));
    return Float64Array.from(values, (v) => v - logScale(fit));
  } finally {
    flow.dispose();
  }
}

/** The flow's forward map and its inverse on codes, for checks: u = f(x), x = f⁻¹(u), log|det ∂u/∂x| per row. */
export function mafTransforms(fit: MafFit) {
  const flow = toFlow(fit);
  return {
    forward: (x: Tensor) => tf.tidy(() => flow.forward(x)),
    inverse: (u: Tensor) => tf.tidy(() => flow.inverse(u)),
    dispose: () => flow.dispose(),
  };
}

/** n seeded draws [n, d]: u ~ N(0, I) through the inverse flow, then un-standardised. */
export function sampleMaf(fit: MafFit, n: number, seed: number): Matrix {
  const flow = toFlow(fit);
  try {
    const u = standardNormals(n * fit.dims, seed);
    const data = computeValues(() => {
      const x = flow.inverse(tf.tensor2d(Float32Array.from(u), [n, fit.dims]));
      return tf.add(tf.mul(x, fit.scale), fit.shift);
    });
    return { rows: n, cols: fit.dims, data: Float32Array.from(data) };
  } finally {
    flow.dispose();
  }
}
