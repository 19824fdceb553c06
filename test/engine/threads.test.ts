// Multi-threaded wasm: the thread count and its sources, same numbers as one thread and as cpu (dense and conv,
// forward and gradient, through latentlab's kernel fixes), a one-line fallback when workers fail, clean exits.
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import {
  configureWasmThreads,
  MAX_WASM_THREADS,
  requestedThreads,
  startThreadedWasm,
} from '../../src/engine/threads.js';
import { expectClose } from '../helpers.js';

type Tf = typeof tf;

// vitest.config.ts gives each fork one share of the cores through LATENTLAB_THREADS; this file tests the
// default, what a user gets without it (its own children included).
delete process.env.LATENTLAB_THREADS;
type Outputs = Record<string, Float32Array>;

/**
 * Dense and conv layers, forward and both gradients. Self-contained: a child process runs its source.
 * The sizes are large enough for XNNPack to split the work across threads; the scales are a layer's
 * (pixels in [0, 1], Glorot-sized weights), where float32 sums agree with cpu to 1e-4.
 */
function workload(tfx: Tf): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  const x = tfx.randomUniform([64, 784], 0, 1, 'float32', 1);
  const w = tfx.randomUniform([784, 256], -0.08, 0.08, 'float32', 2);
  const dense = (a: tf.Tensor, b: tf.Tensor) => tfx.sum(tfx.square(tfx.matMul(a, b)));
  out.denseForward = tfx.matMul(x, w).dataSync() as Float32Array;
  const [dx, dw] = tfx.grads(dense)([x, w]);
  out.denseGradX = dx.dataSync() as Float32Array;
  out.denseGradW = dw.dataSync() as Float32Array;

  const img = tfx.randomUniform([8, 28, 28, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
  const filter = tfx.randomUniform([3, 3, 3, 16], -0.3, 0.3, 'float32', 4) as tf.Tensor4D;
  for (const stride of [1, 2] as const) {
    const conv = (a: tf.Tensor, f: tf.Tensor) =>
      tfx.sum(tfx.square(tfx.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, stride, 'same')));
    out[`conv${stride}Forward`] = tfx.conv2d(img, filter, stride, 'same').dataSync() as Float32Array;
    const [di, df] = tfx.grads(conv)([img, filter]);
    out[`conv${stride}GradInput`] = di.dataSync() as Float32Array;
    out[`conv${stride}GradFilter`] = df.dataSync() as Float32Array;
  }
  return out;
}

function runHere(): Outputs {
  return tf.tidy(() => workload(tf));
}

const srcUrl = (path: string) => JSON.stringify(pathToFileURL(resolve('src/engine', path)).href);

interface ChildResult {
  lines: string[];
  threads: number;
  outputs: Outputs;
}

/** Runs the workload in a fresh process (threads are fixed per process), as the CLI would start. */
async function runChild(env: Record<string, string>, setup = ''): Promise<ChildResult> {
  const script = `
import { selectBackend } from ${srcUrl('backend.ts')};
import { tf } from ${srcUrl('tf.ts')};
import * as threads from ${srcUrl('threads.ts')};
${setup}
const lines = [];
const info = await selectBackend({ backend: 'wasm', log: (line) => lines.push(line) });
const outputs = tf.tidy(() => (${workload.toString()})(tf));
const encoded = {};
for (const [k, v] of Object.entries(outputs)) encoded[k] = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
process.stdout.write(JSON.stringify({ lines, threads: info.threads, outputs: encoded }));
`;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    // A child that does not exit by itself (a worker keeping it alive) fails here.
    { env: { ...process.env, ...env }, timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
  );
  const parsed = JSON.parse(stdout) as { lines: string[]; threads: number; outputs: Record<string, string> };
  const outputs: Outputs = {};
  for (const [k, v] of Object.entries(parsed.outputs)) {
    const bytes = Buffer.from(v, 'base64');
    outputs[k] = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  }
  return { lines: parsed.lines, threads: parsed.threads, outputs };
}

function expectSameOutputs(actual: Outputs, expected: Outputs, tolerance: number): void {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const key of Object.keys(expected)) expectClose(actual[key], expected[key], tolerance);
}

describe('requestedThreads', () => {
  afterEach(() => {
    delete process.env.LATENTLAB_THREADS;
  });

  it('defaults to the cores Node reports, capped at the pre-started workers', () => {
    expect(requestedThreads()).toBe(Math.min(availableParallelism(), MAX_WASM_THREADS));
    expect(requestedThreads(64)).toBe(MAX_WASM_THREADS);
  });

  it('takes LATENTLAB_THREADS, and the option wins over it', () => {
    process.env.LATENTLAB_THREADS = '1';
    expect(requestedThreads()).toBe(1);
    expect(requestedThreads(2)).toBe(2);
  });

  it('names the bad value and where it came from', () => {
    process.env.LATENTLAB_THREADS = 'two';
    expect(() => requestedThreads()).toThrow(
      'LATENTLAB_THREADS: expected a whole number of threads >= 1, got "two"',
    );
    expect(() => requestedThreads(0)).toThrow('threads: expected a whole number of threads >= 1, got "0"');
  });
});

describe('threaded wasm backend', () => {
  it('runs with every core and matches the cpu backend (dense and conv, forward and gradients)', async () => {
    const lines: string[] = [];
    const info = await selectBackend({ backend: 'wasm', log: (line) => lines.push(line) });
    const cores = Math.min(availableParallelism(), MAX_WASM_THREADS);
    expect(info.threads).toBe(cores);
    expect(lines).toHaveLength(1);
    if (cores > 1) expect(lines[0]).toContain(`${cores} threads`);
    const onWasm = runHere();
    await selectBackend({ backend: 'cpu' });
    const onCpu = runHere();
    expectSameOutputs(onWasm, onCpu, 1e-4);
    await selectBackend({ backend: 'wasm' });
  });

  it('gives the same numbers on 2 threads as on 1, and the processes exit by themselves', async () => {
    const [one, two] = await Promise.all([
      runChild({ LATENTLAB_THREADS: '1' }),
      runChild({ LATENTLAB_THREADS: '2' }),
    ]);
    expect(one.threads).toBe(1);
    expect(one.lines).toEqual(['backend: wasm (SIMD, single thread, latentlab kernel fixes) [requested]']);
    expect(two.threads).toBe(2);
    expect(two.lines).toEqual(['backend: wasm (SIMD, 2 threads, latentlab kernel fixes) [requested]']);
    expectSameOutputs(two.outputs, one.outputs, 1e-5);
  });

  it('falls back to one thread with a one-line notice when the workers do not start in time', async () => {
    const fallback = await runChild(
      { LATENTLAB_THREADS: '2' },
      'threads.configureWasmThreads(2, { timeoutMs: 1 });',
    );
    expect(fallback.threads).toBe(1);
    expect(fallback.lines).toEqual([
      'wasm threads unavailable (pthread workers did not start within 1 ms); running on one thread',
      'backend: wasm (SIMD, single thread, latentlab kernel fixes) [requested]',
    ]);
    const reference = runHere();
    expectSameOutputs(fallback.outputs, reference, 1e-4);
  });

  it('rejects, stopping its workers, instead of hanging', async () => {
    await expect(startThreadedWasm(2, { timeoutMs: 0 })).rejects.toThrow(/did not start within 0 ms/);
    // Re-configuring after the backend started changes nothing.
    configureWasmThreads(1);
    expect((await selectBackend({ backend: 'wasm' })).threads).toBe(
      Math.min(availableParallelism(), MAX_WASM_THREADS),
    );
  });
});
