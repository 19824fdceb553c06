// latentlab benchmark impute: the report is well formed (every method, seed and hidden count; Markdown and JSON
// written and agreeing), hidden cells are scored against the truth (a column that is an exact function of another
// is filled almost exactly by MICE, while mean/mode errs by about one standard deviation), and bad options are
// refused by name. On the mirror (when present), MICE beats mean/mode on the house votes.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { benchmarkImpute } from '../../src/apps/benchmark-impute.js';
import { benchmarkImputeCommand } from '../../src/cli/commands/benchmark-impute.js';
import { createRng } from '../../src/data/random.js';
import { useBackend, withTempDir } from '../helpers.js';

beforeAll(async () => {
  await useBackend('wasm');
});

/** 150 rows: x uniform, y = 3x - 1 exactly, k by the sign of x; a few cells of x empty. */
function exactCsv(): string {
  const random = createRng(7);
  const lines = ['x,y,k'];
  for (let r = 0; r < 150; r++) {
    const x = Math.round((random() * 2 - 1) * 1e4) / 1e4;
    lines.push(`${r % 25 === 0 ? '' : x},${Math.round((3 * x - 1) * 1e4) / 1e4},${x > 0 ? 'pos' : 'neg'}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('benchmark impute', () => {
  it('writes a well-formed report in Markdown and JSON, one row per method, scored on the hidden cells', async () => {
    await withTempDir(async (dir) => {
      const csv = join(dir, 'exact.csv');
      await writeFile(csv, exactCsv());
      const out = join(dir, 'report');
      let printed = '';
      const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
        printed += String(chunk);
        return true;
      });
      const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      try {
        await benchmarkImputeCommand().parseAsync(
          [
            '--data',
            `csv:${csv}`,
            '--seeds',
            '2',
            '--methods',
            'mean,knn,mice,table-ae',
            '--steps',
            '20',
            '--out',
            out,
          ],
          { from: 'user' },
        );
      } finally {
        write.mockRestore();
        stderr.mockRestore();
      }
      const json = JSON.parse(await readFile(join(out, 'impute.json'), 'utf8'));
      const markdown = await readFile(join(out, 'impute.md'), 'utf8');
      expect(printed).toContain(markdown);
      expect(json.rows).toBe(150);
      expect(json.columns).toEqual([
        { name: 'x', type: 'numeric', missing: 6 },
        { name: 'y', type: 'numeric', missing: 0 },
        { name: 'k', type: 'categorical', missing: 0 },
      ]);
      expect(json.seeds).toBe(2);
      expect(json.hidden).toHaveLength(2);
      // About 20% of the 444 observed cells, different per seed.
      for (const count of json.hidden) expect(count).toBeGreaterThan(60);
      expect(json.hidden[0]).not.toBe(json.hidden[1]);
      expect(json.methods.map((m: { name: string }) => m.name)).toEqual([
        'mean/mode',
        'kNN (k=5)',
        'MICE',
        'table-ae',
      ]);
      for (const method of json.methods) {
        expect(method.seeds).toHaveLength(2);
        for (const seed of method.seeds)
          expect(seed.score.numericCells + seed.score.categoricalCells).toBe(json.hidden[seed.seed]);
        expect(Number.isFinite(method.rmse.mean)).toBe(true);
        expect(markdown).toContain(
          `| ${method.name} | ${method.rmse.mean.toFixed(3)} ± ${method.rmse.sd.toFixed(3)} |`,
        );
      }
      const byName = Object.fromEntries(json.methods.map((m: { name: string }) => [m.name, m]));
      // y = 3x - 1: a ridge on the other column recovers a hidden x or y exactly where that one is observed (in
      // about 4 of 5 rows; where both are hidden only the sign k is left), while a mean misses by about 1 sd.
      expect(byName.MICE.rmse.mean).toBeLessThan(0.5 * byName['mean/mode'].rmse.mean);
      expect(byName['mean/mode'].rmse.mean).toBeGreaterThan(0.8);
      for (const seed of byName.MICE.seeds) {
        expect(seed.score.columns.x.cells + seed.score.columns.y.cells).toBe(seed.score.numericCells);
      }
      expect(byName.MICE.accuracy.mean).toBeGreaterThan(0.9);
      expect(markdown).toContain('| method | RMSE (sd units) | accuracy | seconds |');
      expect(markdown).toContain('latentlab benchmark impute');
    });
  });

  it('refuses a rate outside (0, 1) and an unknown method, naming them', async () => {
    await expect(
      benchmarkImpute({ data: { source: 'csv', path: 'x.csv', scaling: 'minmax', header: true }, rate: 1.5 }),
    ).rejects.toThrow(/rate/);
    await expect(
      benchmarkImputeCommand().parseAsync(['--data', 'csv:x.csv', '--methods', 'mean,missforest'], {
        from: 'user',
      }),
    ).rejects.toThrow(
      /unknown imputer "missforest": expected some of mean, knn, mice, table-ae, table-vae, gain/,
    );
  });
});

const VOTES = join(import.meta.dirname, '../../../shared/data/tables/house_votes84.csv');

describe('benchmark impute log', () => {
  it('leaves out the RMSE of a table with no numbers rather than printing NaN', async () => {
    await withTempDir(async (dir) => {
      const csv = join(dir, 'votes.csv');
      const random = createRng(3);
      const rows = Array.from({ length: 60 }, () => {
        const a = random() < 0.5 ? 'y' : 'n';
        return `${a},${random() < 0.9 ? a : 'y'},${random() < 0.1 ? '' : a}`;
      });
      await writeFile(csv, `a,b,c\n${rows.join('\n')}\n`);
      const lines: string[] = [];
      await benchmarkImpute(
        { data: { source: 'csv', path: csv, scaling: 'minmax', header: true }, seeds: 1, methods: ['mean'] },
        { log: (line) => lines.push(line) },
      );
      const line = lines.find((l) => l.startsWith('seed 0: mean/mode: '));
      expect(line).toMatch(/^seed 0: mean\/mode: accuracy \d\.\d{4} \(\d+ categories\), \d+\.\d s$/);
    });
  });
});

describe.skipIf(!existsSync(VOTES))('benchmark impute on the mirror', () => {
  it('on the house votes (categories with real gaps), MICE beats mean/mode', async () => {
    const report = await benchmarkImpute({
      data: { source: 'csv', path: VOTES, scaling: 'minmax', header: true },
      seeds: 1,
      methods: ['mean', 'mice'],
    });
    const [mean, mice] = report.methods;
    expect(Number.isNaN(mean.rmse.mean)).toBe(true); // no numbers
    expect(mice.accuracy.mean).toBeGreaterThan(mean.accuracy.mean + 0.1);
  });
});
