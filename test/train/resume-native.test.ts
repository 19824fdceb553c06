// The native backend (src/engine/native, with its own Adam kernel) resumes bit for bit too.
// Skipped, with the reason in the suite's name, only when the addon is not built (npm run build:native).
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/engine/backend.js';
import { loadNativeAddon } from '../../src/engine/native/addon.js';
import type { RunConfigInput } from '../../src/train/config.js';
import { resumeRun, trainRun } from '../../src/train/run.js';
import { withTempDir } from '../helpers.js';
import { metricsOf, stateBytes } from './run-state.js';

const native = loadNativeAddon();
const skipReason = native.addon ? '' : ` (skipped: ${'reason' in native ? native.reason : ''})`;

const config = (epochs: number): RunConfigInput => ({
  seed: 4,
  model: { kind: 'conv-ae', filters: [8, 16], latent: 4 },
  data: { source: 'mnist' },
  train: { epochs, batchSize: 16, limit: 256, previewCount: 0 },
});

describe.skipIf(!native.addon)(`resume on the native backend${skipReason}`, () => {
  beforeAll(async () => {
    await selectBackend({ backend: 'native' });
  });

  it('a conv-ae stopped after epoch 2 of 3 and resumed ends bit-identical to an uninterrupted one', async () => {
    await withTempDir(async (dir) => {
      const straight = await trainRun(config(3), join(dir, 'straight'), { monitor: false });
      straight.model.dispose();
      const abort = new AbortController();
      const stopped = await trainRun(config(3), join(dir, 'stopped'), {
        monitor: false,
        signal: abort.signal,
        callbacks: { onEpochEnd: (r) => r.epoch === 2 && abort.abort() },
      });
      stopped.model.dispose();
      const resumed = await resumeRun(join(dir, 'stopped'));
      resumed.model.dispose();
      expect(await metricsOf(join(dir, 'stopped'))).toEqual(await metricsOf(join(dir, 'straight')));
      expect(await stateBytes(join(dir, 'stopped'))).toEqual(await stateBytes(join(dir, 'straight')));
    });
  });
});
