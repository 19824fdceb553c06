// Runs check that the model family and the data agree: sequence families take text, the others do not.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { trainRun } from '../../src/train/run.js';
import { useBackend, withTempDir } from '../helpers.js';

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
});
