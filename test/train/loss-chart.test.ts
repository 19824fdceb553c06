// Every run draws RUN/loss.png after each epoch from the history so far (train and validation, each loss term),
// and a chart that cannot be written warns once without stopping training.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { infoCommand } from '../../src/cli/commands/use.js';
import { encodeLossChart } from '../../src/io/plot.js';
import type { EpochRecord } from '../../src/train/checkpoint.js';
import type { RunConfigInput } from '../../src/train/config.js';
import { trainRun } from '../../src/train/run.js';
import { useBackend, withTempDir } from '../helpers.js';

const tiny = (epochs: number): RunConfigInput => ({
  seed: 3,
  model: { kind: 'dense-ae', hidden: [16], latent: 2 },
  data: { source: 'mnist' },
  train: { epochs, batchSize: 64, limit: 256, previewCount: 0 },
});

beforeAll(async () => {
  await useBackend('wasm');
});

/** Trains tiny(3) into `runDir`, keeping each epoch's record and the loss.png on disk right after it. */
async function trainWatchingChart(runDir: string, lossChartSeconds: number) {
  const records: EpochRecord[] = [];
  const drawn: (Buffer | undefined)[] = [];
  const chart = join(runDir, 'loss.png');
  const result = await trainRun(tiny(3), runDir, {
    lossChartSeconds,
    callbacks: {
      onEpochEnd: (record) => {
        records.push(record);
        drawn.push(existsSync(chart) ? readFileSync(chart) : undefined);
      },
    },
  });
  result.model.dispose();
  return { records, drawn };
}

describe('loss.png', () => {
  it('is redrawn after every epoch from the whole history so far', async () => {
    await withTempDir(async (dir) => {
      const runDir = join(dir, 'run');
      const chart = join(runDir, 'loss.png');
      const { records, drawn } = await trainWatchingChart(runDir, 0);
      expect(drawn).toHaveLength(3);
      // Each epoch's file is the chart of the records up to it: 1, 2, then 3 points per line.
      for (const [i, png] of drawn.entries()) {
        const expected = await encodeLossChart(records.slice(0, i + 1), {
          title: `${basename(runDir)}: loss per epoch`,
        });
        expect(png?.equals(expected)).toBe(true);
      }
      expect(drawn[0]?.equals(drawn[2] as Buffer)).toBe(false);
      // `latentlab info RUN` names the chart, in text and in JSON.
      const printed: string[] = [];
      const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
        printed.push(String(chunk));
        return true;
      });
      try {
        await infoCommand().parseAsync([runDir], { from: 'user' });
        await infoCommand().parseAsync([runDir, '--json'], { from: 'user' });
      } finally {
        write.mockRestore();
      }
      expect(printed[0]).toContain(`loss chart: ${chart}\n`);
      expect(JSON.parse(printed[1]).lossChart).toBe(chart);
    });
  });

  it('is redrawn at most every lossChartSeconds on fast epochs, and always ends with the whole run', async () => {
    await withTempDir(async (dir) => {
      const runDir = join(dir, 'run');
      const { records, drawn } = await trainWatchingChart(runDir, 3600);
      // Epoch 1 draws (nothing drawn yet), epoch 2 is within the interval, the last epoch always draws.
      const title = `${basename(runDir)}: loss per epoch`;
      expect(drawn[0]?.equals(await encodeLossChart(records.slice(0, 1), { title }))).toBe(true);
      expect(drawn[1]?.equals(drawn[0] as Buffer)).toBe(true);
      expect(drawn[2]?.equals(await encodeLossChart(records, { title }))).toBe(true);
    });
  });

  it('that cannot be written warns once, and training completes', async () => {
    await withTempDir(async (dir) => {
      const runDir = join(dir, 'run');
      const warnings: string[] = [];
      const result = await trainRun(tiny(2), runDir, {
        callbacks: {
          onWarning: (m) => warnings.push(m),
          // A directory where the chart goes: renaming the temp file onto it fails every epoch.
          onEpochStart: () => mkdirSync(join(runDir, 'loss.png', 'blocked'), { recursive: true }),
        },
      });
      result.model.dispose();
      expect(result.epochs).toBe(2);
      expect(existsSync(join(runDir, 'model', 'manifest.json'))).toBe(true);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^loss\.png not drawn: /);
    });
  });
});
