// Shared test helpers: backend start-up, temp dirs, closeness checks.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { expect } from 'vitest';
import { createRng } from '../src/data/random.js';
import { selectBackend } from '../src/engine/backend.js';
import { tf, tfl } from '../src/engine/tf.js';
import { saveModel } from '../src/io/model-files.js';
import type { Autoencoder } from '../src/models/family.js';

export async function useBackend(name: 'wasm' | 'cpu' = 'wasm') {
  return selectBackend({ backend: name });
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'latentlab-test-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    if (!(diff <= worst)) worst = Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff;
  }
  expect(worst).toBeLessThanOrEqual(tolerance);
}

/**
 * Serve `root` over plain HTTP on loopback while `fn` runs, so tests can load saved models the way a browser
 * does (stock tfl.loadLayersModel with a URL, no latentlab code on the path).
 */
const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

export async function withStaticServer<T>(root: string, fn: (baseUrl: string) => Promise<T>): Promise<T> {
  const server = createServer(async (req, res) => {
    try {
      const path = join(root, decodeURIComponent(req.url ?? '/'));
      const bytes = await readFile(path);
      // Browsers run module scripts and compile wasm only when served with these types.
      const type = STATIC_TYPES[extname(path)];
      if (type) res.setHeader('content-type', type);
      res.end(bytes);
    } catch {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    return await fn(`http://127.0.0.1:${port}`);
  } finally {
    server.close();
  }
}

/**
 * Runs `fn` and expects it to leave exactly as many live tensors as it found: whatever it makes, it disposes.
 * Awaits `fn` when it returns a promise. `what` names the check in a failure.
 */
export function expectNoLeakedTensors(fn: () => void, what?: string): void;
export function expectNoLeakedTensors(fn: () => Promise<void>, what?: string): Promise<void>;
export function expectNoLeakedTensors(
  fn: () => void | Promise<void>,
  what = 'live tensors',
): void | Promise<void> {
  const before = tf.memory().numTensors;
  const check = () => expect(tf.memory().numTensors, what).toBe(before);
  const result = fn();
  if (result instanceof Promise) return result.then(check);
  check();
}

/** Deterministic uniform floats in [-1, 1), from the project's own seeded generator. */
export function randomValues(size: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: size }, () => rng() * 2 - 1);
}

/** n smooth blobs on an 8x8 single-channel grid, values in [0, 1]: learnable by a tiny model. [n, 8, 8, 1] */
export function blobs(n: number, seed: number): tf.Tensor {
  return tf.tidy(() => {
    const centres = tf.randomUniform([n, 1, 1, 2], 1, 7, 'float32', seed);
    const ys = tf.reshape(tf.range(0, 8), [1, 8, 1, 1]);
    const xs = tf.reshape(tf.range(0, 8), [1, 1, 8, 1]);
    const cy = tf.slice(centres, [0, 0, 0, 0], [n, 1, 1, 1]);
    const cx = tf.slice(centres, [0, 0, 0, 1], [n, 1, 1, 1]);
    const d2 = tf.add(tf.square(tf.sub(ys, cy)), tf.square(tf.sub(xs, cx)));
    return tf.exp(tf.div(tf.neg(d2), 4));
  });
}

/**
 * Saves an autoencoder and loads its encoder and decoder over plain HTTP with tfl.loadLayersModel: the encoder
 * gives its codes and the decoder, fed them, its reconstructions. (That a saved model reloads with the same
 * outputs is the contract suite's, test/models/contract.test.ts.)
 */
export async function expectStockAutoencoder(model: Autoencoder, x: tf.Tensor, dir: string): Promise<void> {
  const expected = model.reconstruct(x);
  const expectedCodes = model.encode(x);
  await saveModel(model, join(dir, 'model'));
  await withStaticServer(join(dir, 'model'), async (base) => {
    const encoder = await tfl.loadLayersModel(`${base}/encoder/model.json`);
    const decoder = await tfl.loadLayersModel(`${base}/decoder/model.json`);
    const codes = encoder.predict(x) as tf.Tensor;
    const recon = decoder.predict(codes) as tf.Tensor;
    expectClose(codes.dataSync(), expectedCodes.dataSync(), 1e-6);
    expectClose(recon.dataSync(), expected.dataSync(), 1e-6);
    tf.dispose([codes, recon]);
    encoder.dispose();
    decoder.dispose();
  });
  tf.dispose([expected, expectedCodes]);
}
