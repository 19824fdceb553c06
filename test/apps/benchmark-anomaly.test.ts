// `benchmark anomaly`: ADBench's protocol end to end on obvious anomalies (every detector finds them), the
// stratified split, the report's form, and the folders and archives it refuses.
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AnomalyBenchmarkReport,
  benchmarkAnomaly,
  benchmarkMarkdown,
  DETECTORS,
  ranksDescending,
  stratifiedSplit,
  summarise,
} from '../../src/apps/benchmark-anomaly.js';
import { withTempDir } from '../helpers.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'numpy');

describe('stratifiedSplit', () => {
  const y = Uint8Array.from({ length: 100 }, (_, i) => (i % 10 === 0 ? 1 : 0));

  it('holds out 30% of each class, disjoint and covering every row', () => {
    const { train, test } = stratifiedSplit(y, 0.3, 0);
    expect(test.length).toBe(30);
    expect(Array.from(test).filter((r) => y[r] === 1)).toHaveLength(3);
    expect(Array.from(train).filter((r) => y[r] === 1)).toHaveLength(7);
    expect(new Set([...train, ...test]).size).toBe(100);
  });

  it('is the same for the same seed and differs between seeds', () => {
    expect(Array.from(stratifiedSplit(y, 0.3, 1).test)).toEqual(Array.from(stratifiedSplit(y, 0.3, 1).test));
    expect(Array.from(stratifiedSplit(y, 0.3, 1).test)).not.toEqual(
      Array.from(stratifiedSplit(y, 0.3, 2).test),
    );
  });
});

describe('ranksDescending', () => {
  it('ranks the largest first and shares tied ranks', () => {
    expect(ranksDescending([0.9, 0.7, 0.9, 0.5])).toEqual([1.5, 3, 1.5, 4]);
  });
});

describe('benchmarkAnomaly', () => {
  it('finds obvious anomalies with every detector and writes a well-formed report', async () => {
    await withTempDir(async (dir) => {
      const data = join(dir, 'data');
      await mkdir(data);
      await copyFile(join(fixtures, 'obvious.npz'), join(data, 'obvious.npz'));
      const lines: string[] = [];
      const { report, files } = await benchmarkAnomaly(
        { data, out: join(dir, 'out'), seeds: 2 },
        { onLine: (line) => lines.push(line), command: 'latentlab benchmark anomaly --data DIR' },
      );
      expect(lines[0]).toBe('[1/1] obvious: 300 rows, 5 features, 10.0% anomalies');
      expect(report.detectors).toEqual([...DETECTORS]);
      const [set] = report.datasets;
      expect(set).toMatchObject({ name: 'obvious', rows: 300, features: 5, anomalies: 30 });
      for (const name of DETECTORS) {
        expect(set.results[name].auroc).toHaveLength(2);
        for (const a of set.results[name].auroc) expect(a, name).toBeGreaterThan(0.9);
        expect(report.summary[name].meanRank).toBeGreaterThanOrEqual(1);
      }
      const json = AnomalyBenchmarkReport.parse(JSON.parse(await readFile(files.json, 'utf8')));
      expect(json).toEqual(report);
      const markdown = await readFile(files.markdown, 'utf8');
      expect(markdown).toBe(benchmarkMarkdown(report, 'latentlab benchmark anomaly --data DIR'));
      expect(markdown).toContain(`| data set | ${DETECTORS.join(' | ')} |`);
      expect(markdown).toMatch(/\| obvious \| .*\*\*1\.000 ± 0\.000\*\*/);
      expect(markdown).toContain('| **mean AUROC** |');
      expect(markdown).toContain('| **mean rank** |');
    });
  }, 120_000);

  it('computes the summary and the table by hand on made-up results', () => {
    const results = (a: number[]) => ({ auroc: a, auprc: a.map((v) => v / 2), seconds: [1, 2] });
    const datasets = [
      {
        name: 'a',
        rows: 1,
        features: 1,
        anomalies: 1,
        results: { iforest: results([0.8, 0.6]), knn: results([0.9, 0.9]) },
      },
      {
        name: 'b',
        rows: 1,
        features: 1,
        anomalies: 1,
        results: { iforest: results([1, 1]), knn: results([0.5, 0.7]) },
      },
    ];
    const summary = summarise(['iforest', 'knn'], datasets);
    // iforest: AUROC (0.7 + 1) / 2, AUPRC half that, ranks 2 then 1; knn: (0.9 + 0.6) / 2, ranks 1 then 2
    expect(summary.iforest.meanAuroc).toBeCloseTo(0.85, 12);
    expect(summary.iforest.meanAuprc).toBeCloseTo(0.425, 12);
    expect(summary.iforest.meanRank).toBe(1.5);
    expect(summary.knn.meanAuroc).toBeCloseTo(0.75, 12);
    expect(summary.iforest.seconds).toBe(6);
    const report = AnomalyBenchmarkReport.parse({
      kind: 'anomaly-benchmark',
      version: '0',
      protocol: 'p',
      data: 'd',
      seeds: 2,
      development: false,
      detectors: ['iforest', 'knn'],
      datasets,
      summary,
    });
    const markdown = benchmarkMarkdown(report);
    // iforest 0.7 ± sd(0.8, 0.6) = 0.141; knn 0.9 ± 0, the best in bold
    expect(markdown).toContain('| a | 0.700 ± 0.141 | **0.900 ± 0.000** |');
    expect(markdown).toContain('| **mean AUROC** | **0.850** | 0.750 |');
    expect(markdown).toContain('| **mean rank** | **1.50** | **1.50** |');
  });

  it('names a missing folder, a file, a folder without archives, an npz without X or y', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'out');
      await expect(benchmarkAnomaly({ data: join(dir, 'nope'), out })).rejects.toThrow(
        `${join(dir, 'nope')}: cannot read the folder (ENOENT)`,
      );
      await writeFile(join(dir, 'file.txt'), 'x');
      await expect(benchmarkAnomaly({ data: join(dir, 'file.txt'), out })).rejects.toThrow(
        'expected a folder of .npz files, got a file',
      );
      await mkdir(join(dir, 'empty'));
      await expect(benchmarkAnomaly({ data: join(dir, 'empty'), out })).rejects.toThrow(
        `${join(dir, 'empty')}: no .npz files here: expected numpy archives with X (features) and y (1 = anomaly)`,
      );
      await mkdir(join(dir, 'nox'));
      await copyFile(join(fixtures, 'no-x.npz'), join(dir, 'nox', 'no-x.npz'));
      await expect(benchmarkAnomaly({ data: join(dir, 'nox'), out })).rejects.toThrow(
        'no-x.npz: no array named X (the features): the npz holds "features", "labels"',
      );
      await mkdir(join(dir, 'noy'));
      await copyFile(join(fixtures, 'x-only.npz'), join(dir, 'noy', 'x-only.npz'));
      await expect(benchmarkAnomaly({ data: join(dir, 'noy'), out })).rejects.toThrow(
        'x-only.npz: no array named y: the benchmark needs labels (1 = anomaly) to judge the scores',
      );
      await mkdir(join(dir, 'few'));
      await copyFile(join(fixtures, 'deflated.npz'), join(dir, 'few', 'a.npz'));
      await expect(benchmarkAnomaly({ data: join(dir, 'few'), out })).rejects.toThrow(
        'a.npz: needs at least 2 anomalies and 2 normal rows, got 1 of 3',
      );
      await expect(
        benchmarkAnomaly({ data: join(dir, 'few'), out, detectors: ['iforest', 'magic' as never] }),
      ).rejects.toThrow('detectors.1: unknown detector "magic": expected one of');
    });
  });
});
