// Test helpers: run a computation on wasm with latentlab's fixes and on cpu with the stock kernels and
// gradients, and compare.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { expect } from 'vitest';
import { createRng } from '../../src/data/random.js';
import { registerWasmKernelFixes, unregisterWasmKernelFixes } from '../../src/engine/kernels/index.js';
import { tf } from '../../src/engine/tf.js';

export type Build = () => tf.Tensor | tf.Tensor[];
export type Result = { shape: number[]; values: Float32Array }[];

/** Uniform values in [-1, 1) from a seed (not via ../helpers.js, which loads every model family). */
function randomValues(size: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: size }, () => rng() * 2 - 1);
}

let seedCounter = 100;
/** Same values on whichever backend is active when the returned builder runs. */
export function randomTensor(shape: number[]): () => tf.Tensor {
  const values = randomValues(tf.util.sizeFromShape(shape), seedCounter++);
  return () => tf.tensor(values, shape, 'float32');
}

/** The shapes and values `build` gives on the active backend (its tensors disposed). */
export function outputsOf(build: Build): Result {
  return tf.tidy(() => {
    const out = build();
    return (Array.isArray(out) ? out : [out]).map((t) => ({
      shape: t.shape,
      values: Float32Array.from(t.dataSync() as Float32Array),
    }));
  });
}

/** The outputs of `build` on a backend with latentlab's fixes, checking that it leaves no tensors behind. */
export async function onLeakFree(backend: 'cpu' | 'wasm' | 'native', build: Build): Promise<Result> {
  registerWasmKernelFixes();
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const result = outputsOf(build);
  expect(tf.memory().numTensors, `${backend} leaves no tensors`).toBe(before);
  return result;
}

/** Runs `build` on a backend, with latentlab's fixes (kernels and gradients) or the stock ones. */
export async function runOn(backend: 'cpu' | 'wasm', build: Build, fixes = true): Promise<Result> {
  if (fixes) registerWasmKernelFixes();
  else unregisterWasmKernelFixes();
  try {
    await tf.setBackend(backend);
    return outputsOf(build);
  } finally {
    registerWasmKernelFixes();
  }
}

/** Worst difference relative to each output's largest magnitude (long sums cancel near zero). */
export function worstDifference(got: Result, want: Result): number {
  expect(got.map((r) => r.shape)).toEqual(want.map((r) => r.shape));
  let worst = 0;
  want.forEach((w, k) => {
    let scale = 1e-30;
    for (const v of w.values) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < w.values.length; i++) {
      const d = Math.abs(got[k].values[i] - w.values[i]) / scale;
      worst = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(worst, d);
    }
  });
  return worst;
}

/** wasm with the fixes against stock cpu (stock kernels and stock gradients), to `tolerance`. */
export async function expectStock(build: Build, tolerance = 1e-5): Promise<void> {
  const want = await runOn('cpu', build, false);
  const got = await runOn('wasm', build);
  expect(worstDifference(got, want)).toBeLessThanOrEqual(tolerance);
}
