// The library works without a selectBackend() call: its entry points start the backend when first needed
// (LATENTLAB_BACKEND, else auto). This file never selects one itself; vitest runs it in a fork of its own.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { currentBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { loadModel } from '../../src/io/model-files.js';
import { buildServer } from '../../src/server/app.js';
import { trainRun } from '../../src/train/run.js';
import { withTempDir } from '../helpers.js';

process.env.LATENTLAB_BACKEND = 'wasm';

describe('the backend, started when first needed', () => {
  it('lets trainRun, loadModel and the server work with no setup call', async () => {
    expect(currentBackend()).toBeUndefined();
    // The server alone starts it (it answered 500 before).
    const empty = await withTempDir((dir) => buildServer({ runsDir: dir }).then((app) => app.close()));
    expect(empty).toBeUndefined();
    expect(currentBackend()?.name).toBe('wasm');
    await withTempDir(async (dir) => {
      const runDir = join(dir, 'run');
      const result = await trainRun(
        {
          model: { kind: 'dense-ae', hidden: [16], latent: 2 },
          data: { source: 'mnist' },
          train: { epochs: 1, limit: 128, previewCount: 0 },
        },
        runDir,
      );
      result.model.dispose();
      expect(currentBackend()?.name).toBe('wasm');
      expect(tf.getBackend()).toBe('wasm');
      const loaded = await loadModel(join(runDir, 'model'));
      expect(loaded.model.kind).toBe('dense-ae');
      loaded.model.dispose();
      const app = await buildServer({ runsDir: dir });
      try {
        const status = await app.inject({ method: 'GET', url: '/v1/status' });
        expect(status.statusCode, status.body).toBe(200);
        const encoded = await app.inject({
          method: 'POST',
          url: '/v1/runs/run/encode',
          payload: { inputs: [Array.from({ length: 784 }, () => 0.5)] },
        });
        expect(encoded.statusCode, encoded.body).toBe(200);
        expect(JSON.parse(encoded.body).codes[0]).toHaveLength(2);
      } finally {
        await app.close();
      }
    });
  });
});
