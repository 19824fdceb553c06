// Defaults that work on small tables (issue 16, item 15): without --epochs a run makes at least 1,000 optimiser
// steps (MNIST keeps its 20 epochs), a table scaled to no fixed range gets a linear output, and a sigmoid output
// asked for on such a table is warned about.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { detectRun } from '../../src/apps/detect.js';
import { defaultEpochs } from '../../src/train/config.js';
import { trainRun } from '../../src/train/run.js';
import { ROOT, runInProcess } from '../apps/cli-helper.js';
import { useBackend, withTempDir } from '../helpers.js';

beforeAll(async () => {
  await useBackend('wasm');
});

/** `rows` rows of 4 correlated features. */
function table(rows: number): string {
  const lines = ['a,b,c,d'];
  for (let i = 0; i < rows; i++) {
    const t = Math.sin(i * 0.7) * 3;
    lines.push([t, 2 * t + 1, -t, Math.cos(i)].map((v) => v.toFixed(4)).join(','));
  }
  return `${lines.join('\n')}\n`;
}

describe('epochs when none are given', () => {
  it('are 20, raised so that training makes at least 1,000 steps (at most 500 epochs)', () => {
    // MNIST: 7,200 training images at batch size 128 are 57 batches: 20 epochs, as before.
    expect(defaultEpochs(7200, 128)).toBe(20);
    expect(defaultEpochs(60000, 128)).toBe(20);
    // A 569-row table: 410 training rows, 4 batches: 250 epochs (1,000 steps), not 20 (80 steps).
    expect(defaultEpochs(410, 128)).toBe(250);
    expect(defaultEpochs(3, 128)).toBe(500);
  });

  it('a run on a small table records the epochs it used; given epochs are kept', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 't.csv');
      await writeFile(path, table(250));
      // 250 rows: 200 outside the test split, 180 training rows: 45 batches of 4, so 23 epochs (1,035 steps).
      // The run is stopped after its first epoch: the plan is what is checked.
      const stop = new AbortController();
      let planned = 0;
      const run = await trainRun(
        {
          model: { kind: 'dense-ae', hidden: [8], latent: 2 },
          data: { source: 'csv', path },
          train: { batchSize: 4 },
        },
        join(dir, 'auto'),
        {
          monitor: false,
          signal: stop.signal,
          callbacks: {
            onEpochStart: (_epoch, epochs) => {
              planned = epochs;
              stop.abort();
            },
          },
        },
      );
      run.model.dispose();
      expect(planned).toBe(23);
      const config = JSON.parse(await readFile(join(dir, 'auto', 'config.json'), 'utf8'));
      expect(config.train.epochs).toBe(23);
      const given = await trainRun(
        {
          model: { kind: 'dense-ae', hidden: [8], latent: 2 },
          data: { source: 'csv', path },
          train: { batchSize: 16, epochs: 2 },
        },
        join(dir, 'given'),
        { monitor: false },
      );
      given.model.dispose();
      expect(given.epochs).toBe(2);
    });
  });
});

describe('output activation', () => {
  it('is linear for tables scaled by standard or none, sigmoid for min-max; given ones are kept', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 't.csv');
      await writeFile(path, table(50));
      const activation = async (
        scaling: 'minmax' | 'standard' | 'none',
        model: Record<string, unknown> = {},
      ) => {
        const out = join(dir, `${scaling}-${JSON.stringify(model).replace(/\W/g, '')}`);
        const run = await trainRun(
          {
            model: { kind: 'dense-ae', hidden: [4], latent: 2, ...model },
            data: { source: 'csv', path, scaling },
            train: { epochs: 1 },
          },
          out,
          { monitor: false },
        );
        run.model.dispose();
        return JSON.parse(await readFile(join(out, 'config.json'), 'utf8')).model.outputActivation;
      };
      expect(await activation('standard')).toBe('linear');
      expect(await activation('none')).toBe('linear');
      expect(await activation('minmax')).toBe('sigmoid');
      expect(await activation('standard', { outputActivation: 'sigmoid' })).toBe('sigmoid');
      expect(await activation('standard', { loss: 'bce' })).toBe('sigmoid');
    });
  });

  it('train warns when a sigmoid output is asked for on standard-scaled data', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 't.csv');
      await writeFile(path, table(50));
      const args = [
        'train',
        '--data',
        `csv:${path}`,
        '--scaling',
        'standard',
        '--hidden',
        '4',
        '--latent',
        '2',
      ];
      const warned = await runInProcess([
        ...args,
        '--set',
        'outputActivation=sigmoid',
        '--epochs',
        '1',
        '--out',
        join(dir, 'a'),
      ]);
      expect(warned.code, warned.stderr).toBe(0);
      expect(warned.stderr).toContain(
        "warning: the model's output is a sigmoid (0 to 1), but csv:" +
          `${path} is scaled by standard (values outside [0, 1]): reconstructions cannot fit it`,
      );
      const quiet = await runInProcess([...args, '--epochs', '1', '--out', join(dir, 'b')]);
      expect(quiet.code, quiet.stderr).toBe(0);
      expect(quiet.stderr).not.toContain('warning:');
    });
  });
});

// ADBench's breastw (683 rows, 9 features, 35% anomalies) from the shared data mirror, when present.
const BREASTW = join(ROOT, '..', 'shared', 'data', 'adbench', '4_breastw.npz');
const hasNumpy = (() => {
  try {
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!existsSync(BREASTW) || !hasNumpy)('breastw at the defaults', () => {
  it('standard scaling: a dense-ae at the defaults detects the anomalies (AUROC above 0.85; 0.77 before)', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'breastw.csv');
      execFileSync('python3', [join(ROOT, 'scripts', 'npz-to-csv.py'), BREASTW, path]);
      const runDir = join(dir, 'run');
      const run = await trainRun(
        {
          model: { kind: 'dense-ae' },
          data: { source: 'csv', path, labelColumn: 'y', scaling: 'standard' },
          train: {},
        },
        runDir,
        { monitor: false },
      );
      run.model.dispose();
      expect(run.epochs).toBe(250);
      const result = await detectRun({ run: runDir, out: join(dir, 'detect') });
      expect(result.detection.evaluation?.auroc).toBeGreaterThan(0.85);
    });
  }, 120_000);
});
