// Data other than the run's own (issue 16, item 13): detect and encode take it whole, in file order, with ids
// that join back to the file (CSV row numbers from 1, image file names); the run's own data keeps its splits.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { detectRun } from '../../src/apps/detect.js';
import { encodeImage } from '../../src/io/png.js';
import { trainRun } from '../../src/train/run.js';
import { useBackend, withTempDir } from '../helpers.js';
import { runInProcess } from './cli-helper.js';

beforeAll(async () => {
  await useBackend('wasm');
});

/** `rows` rows of 3 features and a 0/1 `anomaly` column (every 10th row an anomaly). */
function table(rows: number, offset = 0): string {
  const lines = ['a,b,c,anomaly'];
  for (let i = 0; i < rows; i++) {
    const t = ((i + offset) % 17) / 17;
    const anomaly = i % 10 === 0;
    lines.push([anomaly ? 1 - t : t, anomaly ? t : 2 * t, t / 2, anomaly ? 1 : 0].join(','));
  }
  return `${lines.join('\n')}\n`;
}

async function trainTable(dir: string): Promise<string> {
  const path = join(dir, 'train.csv');
  await writeFile(path, table(100));
  const runDir = join(dir, 'run');
  const trained = await trainRun(
    {
      model: { kind: 'dense-ae', hidden: [8], latent: 1 },
      data: { source: 'csv', path, labelColumn: 'anomaly' },
      train: { epochs: 1, batchSize: 32 },
    },
    runDir,
    { monitor: false },
  );
  trained.model.dispose();
  return runDir;
}

describe('scoring data other than the run’s own', () => {
  it('detect scores every row of a new CSV, in file order, with 1-based row numbers as ids', async () => {
    await withTempDir(async (dir) => {
      const runDir = await trainTable(dir);
      const fresh = join(dir, 'new.csv');
      await writeFile(fresh, table(57, 5));
      const result = await detectRun({
        run: runDir,
        data: { source: 'csv', path: fresh, labelColumn: 'anomaly' },
        out: join(dir, 'detect'),
      });
      expect(result.detection.samples).toBe(57);
      // Labels in file order: anomalies at rows 1, 11, 21, ... (ids 1-based).
      expect(Array.from(result.detection.labels ?? []).slice(0, 11)).toEqual([
        1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
      ]);
      const lines = (await readFile(result.files.scores, 'utf8')).trim().split('\n');
      expect(lines).toHaveLength(58);
      expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(
        Array.from({ length: 57 }, (_, i) => String(i + 1)),
      );
      const summary = JSON.parse(await readFile(result.files.summary, 'utf8'));
      expect(summary.scored).toBe('all rows, in file order');

      // The run's own data keeps its split: 20 test rows of 100, each with its CSV row number as its id, so
      // scores of a shuffled split still join back to the file.
      const own = await detectRun({ run: runDir, out: join(dir, 'own') });
      expect(own.detection.samples).toBe(20);
      const ids = (own.detection.ids ?? []).map(Number);
      expect(ids).toHaveLength(20);
      expect(new Set(ids).size).toBe(20);
      expect(ids.every((id) => Number.isInteger(id) && id >= 1 && id <= 100)).toBe(true);

      // A split of other data does not exist: refused rather than ignored.
      await expect(
        detectRun({ run: runDir, data: { source: 'csv', path: fresh }, split: 'test', out: join(dir, 'x') }),
      ).rejects.toThrow(
        /^split: picks a split of the run's own data; other data \(csv:.*new\.csv\) is scored whole/,
      );
    });
  });

  it('encode takes --label-column and encodes new data whole, with an id column', async () => {
    await withTempDir(async (dir) => {
      const runDir = await trainTable(dir);
      const fresh = join(dir, 'new.csv');
      await writeFile(fresh, table(33, 2));
      const out = join(dir, 'codes.csv');
      const r = await runInProcess([
        'encode',
        runDir,
        '--data',
        `csv:${fresh}`,
        '--label-column',
        'anomaly',
        '--out',
        out,
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^33 codes of size 1/);
      const lines = (await readFile(out, 'utf8')).trim().split('\n');
      expect(lines[0]).toBe('id,z0,label');
      expect(lines[1]).toMatch(/^1,[-\d.e]+,1$/);
      expect(lines[33]).toMatch(/^33,/);
      const split = await runInProcess([
        'encode',
        runDir,
        '--data',
        `csv:${fresh}`,
        '--split',
        'test',
        '--out',
        out,
      ]);
      expect(split.code).toBe(2);
      expect(split.stderr).toContain("--split: picks a split of the run's own data");
    });
  });

  it('image folders: ids are the file names', async () => {
    await withTempDir(async (dir) => {
      const images = join(dir, 'imgs');
      await mkdir(images);
      for (let i = 0; i < 12; i++) {
        const pixels = Float32Array.from({ length: 64 }, (_, p) => ((p + i) % 8) / 8);
        await writeFile(
          join(images, `img-${String(i).padStart(2, '0')}.png`),
          encodeImage(pixels, [8, 8, 1]),
        );
      }
      const runDir = join(dir, 'run');
      const trained = await trainRun(
        {
          model: { kind: 'dense-ae', hidden: [8], latent: 2 },
          data: { source: 'images', dir: images, height: 8, width: 8 },
          train: { epochs: 1, batchSize: 4 },
        },
        runDir,
        { monitor: false },
      );
      trained.model.dispose();
      const other = join(dir, 'other');
      await mkdir(other);
      for (const name of ['b.png', 'a.png', 'c d.png']) {
        await writeFile(join(other, name), encodeImage(new Float32Array(64).fill(0.5), [8, 8, 1]));
      }
      const result = await detectRun({
        run: runDir,
        data: { source: 'images', dir: other, height: 8, width: 8 },
        out: join(dir, 'detect'),
        options: { top: 0 },
      });
      const lines = (await readFile(result.files.scores, 'utf8')).trim().split('\n');
      expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['a.png', 'b.png', 'c d.png']);
    });
  });
});
