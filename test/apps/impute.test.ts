// latentlab impute: a table model trained on a CSV with gaps fills them; the written CSV has the input's columns in
// order, every observed cell as it was read and no cell missing; the printed counts are the gaps per column; a
// table lacking a model column and a model that does not fill gaps are refused by name.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { imputeTable } from '../../src/apps/impute.js';
import { imputeCommand } from '../../src/cli/commands/impute.js';
import { createRng } from '../../src/data/random.js';
import { trainRun } from '../../src/train/run.js';
import { useBackend, withTempDir } from '../helpers.js';

beforeAll(async () => {
  await useBackend('wasm');
});

/** 200 rows: id, a number x, y = 2x + noise, an integer n, a category k by the sign of x; ~10% of x, y, n, k empty. */
function gappyCsv(seed: number): { text: string; gaps: Record<string, number> } {
  const random = createRng(seed);
  const gaps: Record<string, number> = { x: 0, y: 0, n: 0, k: 0 };
  const lines = ['id,x,y,n,k'];
  for (let r = 0; r < 200; r++) {
    const x = Math.round((random() * 4 - 2) * 1000) / 1000;
    const cells: Record<string, string> = {
      x: String(x),
      y: String(Math.round((2 * x + 0.1 * (random() - 0.5)) * 1000) / 1000),
      n: String(Math.round(3 * x + 10)),
      k: x > 0 ? 'up' : 'down',
    };
    for (const name of Object.keys(gaps))
      if (random() < 0.1) {
        cells[name] = '';
        gaps[name]++;
      }
    lines.push([`r${r}`, cells.x, cells.y, cells.n, cells.k].join(','));
  }
  return { text: `${lines.join('\n')}\n`, gaps };
}

async function trainedRun(dir: string, csv: string): Promise<string> {
  const run = join(dir, 'run');
  await trainRun(
    {
      model: { kind: 'table-ae', hidden: [16], latent: 3 },
      data: { source: 'csv', path: csv, columns: { id: 'ignore' } },
      train: { epochs: 15, batchSize: 32 },
    },
    run,
    { monitor: false },
  );
  return run;
}

describe('impute', () => {
  it('fills every gap, keeps every observed cell and column, and prints the cells filled per column', async () => {
    await withTempDir(async (dir) => {
      const { text, gaps } = gappyCsv(3);
      const csv = join(dir, 'table.csv');
      await writeFile(csv, text);
      const run = await trainedRun(dir, csv);
      const out = join(dir, 'filled.csv');
      let printed = '';
      const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
        printed += String(chunk);
        return true;
      });
      try {
        await imputeCommand().parseAsync([run, '--data', `csv:${csv}`, '--out', out], { from: 'user' });
      } finally {
        write.mockRestore();
      }
      const total = Object.values(gaps).reduce((a, b) => a + b, 0);
      expect(printed).toContain(`filled ${total} cells in 200 rows → ${out}`);
      for (const [name, count] of Object.entries(gaps))
        expect(printed).toMatch(new RegExp(`  ${name}\\s+${count}\\n`));

      const before: string[][] = parse(text);
      const after: string[][] = parse(await readFile(out, 'utf8'));
      expect(after[0]).toEqual(['id', 'x', 'y', 'n', 'k']);
      expect(after.length).toBe(before.length);
      for (let r = 1; r < before.length; r++) {
        expect(after[r][0]).toBe(before[r][0]); // the id column, unknown to the model, passes through
        for (let c = 1; c < 5; c++) {
          if (before[r][c] === '') {
            expect(after[r][c], `row ${r}, column ${c}`).not.toBe('');
            if (c === 3) expect(after[r][c]).toMatch(/^-?\d+$/); // integers stay integers
            if (c === 4) expect(['up', 'down']).toContain(after[r][c]);
          } else if (c === 4) {
            expect(after[r][c]).toBe(before[r][c]);
          } else {
            expect(Number(after[r][c]), `row ${r}, column ${c}`).toBe(Number(before[r][c]));
          }
        }
      }
    });
  });

  it('refuses a table lacking a model column (named), data that is not a table, and a model that fills no gaps', async () => {
    await withTempDir(async (dir) => {
      const csv = join(dir, 'table.csv');
      await writeFile(csv, gappyCsv(4).text);
      const run = await trainedRun(dir, csv);
      const other = join(dir, 'other.csv');
      await writeFile(other, 'x,y,k\n1,2,up\n,3,down\n');
      await expect(
        imputeTable({
          run,
          data: { source: 'csv', path: other, scaling: 'minmax', header: true },
          out: join(dir, 'o.csv'),
        }),
      ).rejects.toThrow(/lacks the model's column "n"; the model's columns are x, y, n, k/);
      await expect(imputeTable({ run, data: { source: 'mnist' }, out: join(dir, 'o.csv') })).rejects.toThrow(
        /impute fills tables: expected csv:FILE, got mnist/,
      );
      // An --out folder that is not there is refused before the model runs.
      await expect(
        imputeTable({
          run,
          data: { source: 'csv', path: csv, scaling: 'minmax', header: true },
          out: join(dir, 'no-such-folder', 'o.csv'),
        }),
      ).rejects.toThrow(/the folder to write o\.csv into does not exist: .*no-such-folder/);
      const plain = join(dir, 'plain');
      await trainRun(
        {
          model: { kind: 'dense-ae', hidden: [], latent: 2 },
          data: { source: 'csv', path: csv, columns: { id: 'ignore' } },
          train: { epochs: 1 },
        },
        plain,
        { monitor: false },
      );
      await expect(
        imputeTable({
          run: plain,
          data: { source: 'csv', path: csv, scaling: 'minmax', header: true },
          out: join(dir, 'o.csv'),
        }),
      ).rejects.toThrow(
        /is a dense-ae model, which does not fill missing cells: train table-ae, table-vae or gain on the table/,
      );
    });
  });

  it("a text in a model's number column: only --missing is offered, and with it the cell is filled", async () => {
    await withTempDir(async (dir) => {
      const csv = join(dir, 'table.csv');
      await writeFile(csv, gappyCsv(4).text);
      const run = await trainedRun(dir, csv);
      const other = join(dir, 'other.csv');
      await writeFile(other, 'id,x,y,n,k\na,1,2,13,up\nb,-1,high,7,down\n');
      const out = join(dir, 'o.csv');
      const data = { source: 'csv', path: other, scaling: 'minmax', header: true } as const;
      // The model's column types are fixed, so stating the column categorical is no way out.
      await expect(imputeTable({ run, data, out })).rejects.toThrow(
        `${other}:3: column "y" is stated numeric (the model's encoding), but this row has the text "high": list the text as missing (--missing "high")`,
      );
      // The file's own token besides the model's: read as a gap and filled.
      const result = await imputeTable({ run, data: { ...data, missing: ['high'] }, out });
      expect(result.filled.find((f) => f.column === 'y')?.cells).toBe(1);
      const rows: string[][] = parse(await readFile(out, 'utf8'));
      expect(rows[2][2]).not.toBe('high');
      expect(Number.isFinite(Number(rows[2][2]))).toBe(true);
    });
  });
});
