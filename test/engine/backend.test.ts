// Backend selection: auto picks wasm here (no tfjs-node), flags and LATENTLAB_BACKEND override, bad names fail clearly.
import { availableParallelism } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { describeBackend, selectBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';

afterEach(() => {
  delete process.env.LATENTLAB_BACKEND;
});

describe('selectBackend', () => {
  it('auto falls back to wasm with SIMD and the kernel fixes when tfjs-node is absent, and announces once', async () => {
    const lines: string[] = [];
    const info = await selectBackend({ log: (l) => lines.push(l) });
    expect(info.name).toBe('wasm');
    expect(info.reason).toBe('auto');
    expect(info.simd).toBe(true);
    expect(info.kernelFixes).toBe(true);
    expect(tf.getBackend()).toBe('wasm');
    await selectBackend({ log: (l) => lines.push(l) });
    // Threads default to the cores Node reports, capped at 8 (2 on the dev machine: '2 threads').
    const cores = Math.min(availableParallelism(), 8);
    const threads = cores > 1 ? `${cores} threads` : 'single thread';
    expect(lines).toEqual([`backend: wasm (SIMD, ${threads}, latentlab kernel fixes) [auto]`]);
  });

  it('follows LATENTLAB_BACKEND, and the flag wins over it', async () => {
    process.env.LATENTLAB_BACKEND = 'cpu';
    expect((await selectBackend()).name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect((await selectBackend({ backend: 'wasm' })).name).toBe('wasm');
  });

  it('names the bad value and where it came from', async () => {
    process.env.LATENTLAB_BACKEND = 'webgpu';
    await expect(selectBackend()).rejects.toThrow(
      'LATENTLAB_BACKEND: unknown backend "webgpu": expected one of auto, tensorflow, wasm, cpu',
    );
  });

  it('says what is missing when tensorflow is requested without tfjs-node', async () => {
    await expect(selectBackend({ backend: 'tensorflow' })).rejects.toThrow(/needs @tensorflow\/tfjs-node/);
  });

  it('describes a backend in one line', () => {
    expect(describeBackend({ name: 'cpu', reason: 'requested', kernelFixes: false })).toBe(
      'backend: cpu [requested]',
    );
  });
});
