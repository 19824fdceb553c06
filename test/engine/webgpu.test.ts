// The webgpu backend in Node (Dawn through the `webgpu` package): refused with what is missing where the package
// or an adapter is, and, wherever Dawn finds an adapter, a training run on it matching the cpu backend's.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebgpu } from '../../src/engine/webgpu.js';

const root = join(import.meta.dirname, '..', '..');
const cli = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src', 'cli', 'bin.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });

/** Whether Dawn finds an adapter on this machine (asked in a child, so this process keeps its backend). */
const hasAdapter = (() => {
  const probe = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      "const { create } = await import('webgpu'); process.exit((await create([]).requestAdapter()) ? 0 : 3);",
    ],
    { cwd: root, encoding: 'utf8', timeout: 60_000 },
  );
  return probe.status === 0;
})();

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'latentlab-webgpu-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('--backend webgpu', () => {
  it('says which package is missing', async () => {
    const missing = async () => {
      throw new Error("Cannot find package 'webgpu'");
    };
    await expect(startWebgpu(missing)).rejects.toThrow(
      'backend "webgpu" needs the webgpu package (Dawn for Node), which could not be loaded: Cannot find package \'webgpu\'',
    );
  });

  it('refuses clearly where Dawn finds no adapter, before TensorFlow.js is asked', async () => {
    const loaded: string[] = [];
    const noAdapter = async (name: string) => {
      loaded.push(name);
      return { create: () => ({ requestAdapter: async () => null }), globals: {} };
    };
    await expect(startWebgpu(noAdapter)).rejects.toThrow(/Dawn found no WebGPU adapter on this machine/);
    expect(loaded).toEqual(['webgpu']);
  });

  it.skipIf(hasAdapter)('is refused from the command line on this machine (no adapter), exit 1', () => {
    const out = cli(['pca', '--components', '2', '--backend', 'webgpu']);
    expect(out.status).toBe(1);
    expect(out.stderr).toContain('latentlab: error: backend "webgpu": Dawn found no WebGPU adapter');
  });

  it.skipIf(!hasAdapter)(
    'trains a dense AE as the cpu backend does, to float32 tolerance',
    async () => {
      const args = (backend: string) => [
        'train',
        '--model',
        'dense-ae',
        '--latent',
        '8',
        '--hidden',
        '64',
        '--epochs',
        '2',
        '--limit',
        '1000',
        '--seed',
        '0',
        '--backend',
        backend,
        '--out',
        join(dir, backend),
      ];
      for (const backend of ['cpu', 'webgpu']) expect(cli(args(backend)).status).toBe(0);
      const loss = async (backend: string) =>
        JSON.parse(await readFile(join(dir, backend, 'summary.json'), 'utf8')).test.loss as number;
      const [cpu, gpu] = [await loss('cpu'), await loss('webgpu')];
      expect(Math.abs(gpu - cpu) / cpu).toBeLessThan(1e-3);
    },
    300_000,
  );
});
