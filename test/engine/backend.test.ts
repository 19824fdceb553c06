// Backend selection: auto picks native when the addon is built, else wasm (no tfjs-node here), flags and
// LATENTLAB_BACKEND override, bad names fail clearly.
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { describeBackend, selectBackend } from '../../src/engine/backend.js';
import { loadNativeAddon } from '../../src/engine/native/addon.js';
import { tf } from '../../src/engine/tf.js';

const nativeBuilt = loadNativeAddon().addon !== undefined;

// vitest.config.ts gives each fork one share of the cores through LATENTLAB_THREADS; this file tests the
// default, what a user gets without it (its own children included).
delete process.env.LATENTLAB_THREADS;

afterEach(() => {
  delete process.env.LATENTLAB_BACKEND;
});

describe('selectBackend', () => {
  it('auto picks native when the addon is built, else wasm with SIMD and the kernel fixes, and announces once', async () => {
    const lines: string[] = [];
    const info = await selectBackend({ log: (l) => lines.push(l) });
    const expected = nativeBuilt ? 'native' : 'wasm';
    expect(info.name).toBe(expected);
    expect(info.reason).toBe('auto');
    expect(info.simd).toBe(true);
    expect(info.kernelFixes).toBe(true);
    expect(tf.getBackend()).toBe(expected);
    await selectBackend({ log: (l) => lines.push(l) });
    // Threads default to the cores Node reports, capped at 8 (2 on the dev machine: '2 threads').
    const cores = Math.min(availableParallelism(), 8);
    const threads = cores > 1 ? `${cores} threads` : 'single thread';
    expect(lines).toEqual([
      nativeBuilt
        ? expect.stringMatching(
            new RegExp(
              `^backend: native \\(OpenBLAS [^,]+, ${threads}, other kernels: wasm SIMD, single thread, latentlab kernel fixes\\) \\[auto\\]$`,
            ),
          )
        : `backend: wasm (SIMD, ${threads}, latentlab kernel fixes) [auto]`,
    ]);
  });

  it('without the addon, auto is wasm and asking for native says why and how to enable it', async () => {
    const script = `
      const { selectBackend } = await import('./src/engine/backend.ts');
      const auto = await selectBackend();
      let error = '';
      try { await selectBackend({ backend: 'native' }); } catch (e) { error = e.message; }
      console.log(JSON.stringify({ auto: auto.name, error }));`;
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, LATENTLAB_NATIVE: '0', LATENTLAB_BACKEND: '' },
    });
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(result.auto).toBe('wasm');
    expect(result.error).toBe('backend "native" is unavailable: LATENTLAB_NATIVE=0');
  });

  it('follows LATENTLAB_BACKEND, and the flag wins over it', async () => {
    process.env.LATENTLAB_BACKEND = 'cpu';
    expect((await selectBackend()).name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect((await selectBackend({ backend: 'wasm' })).name).toBe('wasm');
  });

  it('names the bad value and where it came from', async () => {
    process.env.LATENTLAB_BACKEND = 'metal';
    await expect(selectBackend()).rejects.toThrow(
      'LATENTLAB_BACKEND: unknown backend "metal": expected one of auto, tensorflow, native, wasm, cpu, webgpu',
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
