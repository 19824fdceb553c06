// A table model with gaps used as the CLI uses it: detect's reconstruction score counts observed cells only and
// encode reads the mask (what a missing cell holds changes nothing); reconstruct writes the rows as CSV with the
// table's own columns and types rather than an image; info lists the table's columns.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { anomalyScorer } from '../../src/apps/detect.js';
import { wholeData } from '../../src/apps/model-data.js';
import { infoCommand } from '../../src/cli/commands/use.js';
import { createRng } from '../../src/data/random.js';
import { tf } from '../../src/engine/tf.js';
import { encodeDataset, meanObserved } from '../../src/eval/codes.js';
import { loadModel } from '../../src/io/model-files.js';
import type { Autoencoder } from '../../src/models/family.js';
import { trainRun } from '../../src/train/run.js';
import { useBackend, withTempDir } from '../helpers.js';
import { runInProcess } from './cli-helper.js';

beforeAll(async () => {
  await useBackend('wasm');
});

/** 120 rows: a number x, an integer n = round(3x + 10), a category k by the sign of x; ~15% of x and k empty. */
function gappyCsv(seed: number): string {
  const random = createRng(seed);
  const lines = ['x,n,k'];
  for (let r = 0; r < 120; r++) {
    const x = Math.round((random() * 4 - 2) * 1000) / 1000;
    const k = x > 0 ? 'up' : 'down';
    lines.push([random() < 0.15 ? '' : x, Math.round(3 * x + 10), random() < 0.15 ? '' : k].join(','));
  }
  return `${lines.join('\n')}\n`;
}

async function trainedRun(dir: string): Promise<{ run: string; csv: string }> {
  const csv = join(dir, 'table.csv');
  await writeFile(csv, gappyCsv(5));
  const run = join(dir, 'run');
  await trainRun(
    {
      model: { kind: 'table-ae', hidden: [8], latent: 2 },
      data: { source: 'csv', path: csv },
      train: { epochs: 3, batchSize: 32 },
    },
    run,
    { monitor: false },
  );
  return { run, csv };
}

describe('meanObserved', () => {
  it('averages each row over its observed values only, and a row with none scores 0', async () => {
    const errors = tf.tensor2d([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const mask = tf.tensor2d([
      [1, 0, 1],
      [0, 0, 0],
    ]);
    const masked = meanObserved(errors, mask);
    const plain = meanObserved(errors);
    expect(Array.from(await masked.data())).toEqual([2, 0]);
    expect(Array.from(await plain.data())).toEqual([2, 5]);
    tf.dispose([errors, mask, masked, plain]);
  });
});

describe('a table model with gaps', () => {
  it("detect's mse does not depend on what the missing cells hold", async () => {
    await withTempDir(async (dir) => {
      const { run, csv } = await trainedRun(dir);
      const loaded = await loadModel(join(run, 'model'));
      const data = await wholeData(loaded, { source: 'csv', path: csv, scaling: 'standard' });
      expect(data.mask?.includes(0)).toBe(true);
      const mask = data.mask as Float32Array;
      // The same rows with garbage where the cells are missing (stored 0s are no data).
      const garbage = data.x.map((v, i) => (mask[i] === 0 ? 7 : v));
      const scorer = await anomalyScorer(loaded.model, 'mse');
      const clean = await scorer.scores(data);
      const dirty = await scorer.scores({ ...data, x: garbage });
      expect(Array.from(dirty)).toEqual(Array.from(clean));
      // Unmasked, the 7s would be far from any reconstruction: the scores stay small.
      expect(Math.max(...clean)).toBeLessThan(5);
      loaded.model.dispose();
    });
  });

  it('encode reads the mask: codes do not depend on what the missing cells hold', async () => {
    await withTempDir(async (dir) => {
      const { run, csv } = await trainedRun(dir);
      const loaded = await loadModel(join(run, 'model'));
      const data = await wholeData(loaded, { source: 'csv', path: csv, scaling: 'standard' });
      const mask = data.mask as Float32Array;
      const garbage = data.x.map((v, i) => (mask[i] === 0 ? 7 : v));
      const model = loaded.model as Autoencoder;
      const clean = await encodeDataset(model, data);
      const dirty = await encodeDataset(model, { ...data, x: garbage });
      expect(Array.from(dirty.data)).toEqual(Array.from(clean.data));
      // Without the mask the 7s would count as observed values.
      const unmasked = await encodeDataset(model, { ...data, x: garbage, mask: undefined });
      expect(Array.from(unmasked.data)).not.toEqual(Array.from(clean.data));
      loaded.model.dispose();
    });
  });

  it('detect and encode say which cells of other data hold a category the model never saw', async () => {
    await withTempDir(async (dir) => {
      const { run } = await trainedRun(dir);
      const other = join(dir, 'other.csv');
      await writeFile(other, gappyCsv(6).replace(/\n([^\n]*),up\n/, '\n$1,sideways\n'));
      const note =
        'data: column "k": 1 row has a category never seen in training, read as missing: "sideways"';
      const detect = await runInProcess(['detect', run, '--data', `csv:${other}`, '--out', join(dir, 'd')]);
      expect(detect.code).toBe(0);
      expect(detect.stderr).toContain(note);
      const encode = await runInProcess([
        'encode',
        run,
        '--data',
        `csv:${other}`,
        '--out',
        join(dir, 'c.csv'),
      ]);
      expect(encode.code).toBe(0);
      expect(encode.stderr).toContain(note);
    });
  });

  it("detect reads other data with the model's missing tokens and the file's own besides", async () => {
    await withTempDir(async (dir) => {
      const { run } = await trainedRun(dir);
      const other = join(dir, 'other.csv');
      await writeFile(other, 'x,n,k\n0.5,12,up\nhigh,9,down\n');
      const refused = await runInProcess(['detect', run, '--data', `csv:${other}`, '--out', join(dir, 'd1')]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        `${other}:3: column "x" is stated numeric (the model's encoding), but this row has the text "high": list the text as missing (--missing "high")`,
      );
      const args = ['detect', run, '--data', `csv:${other}`, '--missing', 'high', '--out', join(dir, 'd2')];
      const scored = await runInProcess(args);
      expect(scored.code).toBe(0);
      expect(scored.stdout).toContain('other.csv: 2 samples scored by mse');
    });
  });

  it('refuses a stated column type or encoding the trained model does not have, rather than ignore it', async () => {
    await withTempDir(async (dir) => {
      const { run, csv } = await trainedRun(dir);
      const tail = ': a trained model reads a table with the column types and encoders it was trained with';
      const cases: [string[], string][] = [
        [['--columns', 'x:categorical'], `--columns x:categorical, but the model's "x" is numeric${tail}`],
        [
          ['--numeric-encoding', 'mode'],
          `--numeric-encoding mode, but the model's numbers are encoded standard${tail}`,
        ],
        [
          ['--categorical-encoding', 'embedding'],
          `--categorical-encoding embedding, but the model's categories are encoded onehot${tail}`,
        ],
      ];
      for (const [flags, message] of cases) {
        const result = await runInProcess([
          'encode',
          run,
          '--data',
          `csv:${csv}`,
          ...flags,
          '--out',
          join(dir, 'c.csv'),
        ]);
        expect(result.code).toBe(2);
        expect(result.stderr).toContain(message);
      }
      expect(existsSync(join(dir, 'c.csv'))).toBe(false);
      // What the model has may be stated.
      const same = await runInProcess([
        'encode',
        run,
        '--data',
        `csv:${csv}`,
        '--columns',
        'n:integer',
        '--out',
        join(dir, 'c.csv'),
      ]);
      expect(same.code).toBe(0);
    });
  });

  it('reconstruct writes the rows as CSV with the columns and types of the table', async () => {
    await withTempDir(async (dir) => {
      const { run, csv } = await trainedRun(dir);
      const out = join(dir, 'recon.csv');
      // The model's own file: its test split (a fifth of the rows).
      const result = await runInProcess(['reconstruct', run, '--data', `csv:${csv}`, '--out', out]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`reconstructions: ${out} (24 rows, in the order of table.csv/test)`);
      const rows: string[][] = parse(await readFile(out, 'utf8'));
      expect(rows[0]).toEqual(['x', 'n', 'k']);
      expect(rows).toHaveLength(25);
      for (const [x, n, k] of rows.slice(1)) {
        expect(Number.isFinite(Number(x))).toBe(true);
        expect(n).toMatch(/^-?\d+$/);
        expect(['up', 'down']).toContain(k);
      }
      // Another file is reconstructed whole, in file order.
      const other = join(dir, 'other.csv');
      await writeFile(other, gappyCsv(6));
      const whole = join(dir, 'whole.csv');
      const all = await runInProcess(['reconstruct', run, '--data', `csv:${other}`, '--out', whole]);
      expect(all.stdout).toContain(`reconstructions: ${whole} (120 rows, in the order of other.csv)`);
      expect(parse(await readFile(whole, 'utf8'))).toHaveLength(121);
      const png = await runInProcess(['reconstruct', run, '--out', join(dir, 'grid.png')]);
      expect(png.code).toBe(2);
      expect(png.stderr).toContain(
        `a table's rows are written as CSV: expected --out FILE.csv, got ${join(dir, 'grid.png')}`,
      );
    });
  });

  it('sample refuses an image path or --raw for a table, writing nothing', async () => {
    await withTempDir(async (dir) => {
      const { run } = await trainedRun(dir);
      const png = await runInProcess(['sample', run, '--n', '5', '--out', join(dir, 's.png')]);
      expect(png.code).toBe(2);
      expect(png.stderr).toContain("a table's rows are written as CSV: expected --out FILE.csv");
      expect(existsSync(join(dir, 's.png'))).toBe(false);
      const raw = await runInProcess(['sample', run, '--n', '5', '--raw', join(dir, 's.npy')]);
      expect(raw.code).toBe(2);
      expect(raw.stderr).toContain("--raw is for images, sounds and text: a table's rows are written as CSV");
      const csv = await runInProcess(['sample', run, '--n', '5', '--out', join(dir, 's.csv')]);
      expect(csv.code).toBe(0);
      expect(parse(await readFile(join(dir, 's.csv'), 'utf8'))).toHaveLength(6);
    });
  });

  it("info lists the table's columns with their types, encoders and training gaps", async () => {
    await withTempDir(async (dir) => {
      const { run } = await trainedRun(dir);
      let printed = '';
      const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
        printed += String(chunk);
        return true;
      });
      try {
        await infoCommand().parseAsync([run], { from: 'user' });
      } finally {
        write.mockRestore();
      }
      const result = { stdout: printed };
      // x, n, k: 1 + 1 + 2 encoded values.
      expect(result.stdout).toMatch(
        /table: 3 columns, 4 encoded values per row; \d+ training rows, \d+ missing cells\n/,
      );
      expect(result.stdout).toMatch(
        /columns: x \(numeric, standard, \d+ missing\), n \(integer, standard\), k \(categorical, 2 levels, onehot, \d+ missing\)\n/,
      );
    });
  });
});
