// Runs check that the model family and the data agree: sequence families take text, the others do not.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { resumeRun, trainRun } from '../../src/train/run.js';
import { useBackend, withTempDir } from '../helpers.js';
import { metricsOf, stateBytes } from './run-state.js';

beforeAll(async () => {
  await useBackend('wasm');
});

describe('text data in a run', () => {
  it('refuses a family that takes images or table rows, naming the sequence families', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'lines.txt');
      await writeFile(file, Array.from({ length: 20 }, (_, i) => `sample number ${i}`).join('\n'));
      const run = trainRun(
        {
          model: { kind: 'dense-ae', hidden: [4], latent: 2 },
          data: { source: 'text', path: file },
          train: { epochs: 1 },
        },
        join(dir, 'run'),
      );
      const error = await run.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain(
        `model "dense-ae" takes images or table rows, but text:${file} is text (token ids): use seq-ae, seq-vae or lm`,
      );
    });
  });

  it('a seq-vae stopped after epoch 1 of 3 resumes bit-identical: word dropout, ε and the KL weight by global step', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'lines.txt');
      const words = ['red', 'green', 'blue', 'cat', 'dog', 'runs', 'sleeps'];
      await writeFile(
        file,
        Array.from(
          { length: 120 },
          (_, i) => `the ${words[i % 3]} ${words[3 + (i % 2)]} ${words[5 + ((i >> 1) % 2)]}`,
        ).join('\n'),
      );
      // klAnnealSteps spans the stop, so a resume that restarted the schedule (or the seeds) would differ.
      const config = {
        seed: 3,
        model: { kind: 'seq-vae', embedding: 8, hidden: 12, latent: 3, klAnnealSteps: 12, freeBits: 0.1 },
        data: { source: 'text', path: file, minCount: 1, maxLength: 6 },
        train: { epochs: 3, batchSize: 16 },
      } as const;
      const straight = await trainRun(config, join(dir, 'straight'));
      straight.model.dispose();
      const abort = new AbortController();
      const stopped = await trainRun(config, join(dir, 'stopped'), {
        signal: abort.signal,
        callbacks: { onEpochEnd: (r) => r.epoch === 1 && abort.abort() },
      });
      stopped.model.dispose();
      expect(stopped.aborted).toBe(true);
      const resumed = await resumeRun(join(dir, 'stopped'));
      resumed.model.dispose();
      expect(await metricsOf(join(dir, 'stopped'))).toEqual(await metricsOf(join(dir, 'straight')));
      expect(await stateBytes(join(dir, 'stopped'))).toEqual(await stateBytes(join(dir, 'straight')));
    });
  });
});
