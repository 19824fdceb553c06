// `benchmark anomaly`: ADBench's protocol end to end on obvious anomalies (every detector finds them), the
// stratified split, the report's form, and the folders and archives it refuses.
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  AnomalyBenchmarkReport,
  AutoencoderDetector,
  benchmarkAnomaly,
  benchmarkMarkdown,
  DETECTORS,
  ranksDescending,
  stratifiedSplit,
  summarise,
} from '../../src/apps/benchmark-anomaly.js';
import { benchmarkAnomalyCommand } from '../../src/cli/commands/benchmark-anomaly.js';
import { ensureBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { auroc } from '../../src/eval/anomaly.js';
import { DeepSvdd } from '../../src/eval/detectors/deep-svdd.js';
import { labelledTable, readNpz } from '../../src/io/numpy.js';
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
      expect(markdown).toMatch(
        new RegExp(`\\| data set +\\| ${DETECTORS.map((d) => `${d} *`).join('\\| ')}\\|`),
      );
      expect(markdown).toMatch(/\| obvious +\| .*\*\*1\.000 ± 0\.000\*\*/);
      expect(markdown).toMatch(/\| \*\*mean AUROC\*\* +\|/);
      expect(markdown).toMatch(/\| \*\*mean rank\*\* +\|/);
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
    expect(markdown).toContain(
      [
        '| data set       | iforest           | knn               |',
        '| -------------- | ----------------- | ----------------- |',
        '| a              | 0.700 ± 0.141     | **0.900 ± 0.000** |',
        '| b              | **1.000 ± 0.000** | 0.600 ± 0.141     |',
        '| **mean AUROC** | **0.850**         | 0.750             |',
        '| **mean AUPRC** | **0.425**         | 0.375             |',
        '| **mean rank**  | **1.50**          | **1.50**          |',
        '| time (s)       | 6.0               | 6.0               |',
      ].join('\n'),
    );
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

describe('latentlab benchmark anomaly (the command)', () => {
  async function run(args: string[]): Promise<string> {
    let stdout = '';
    const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      stdout += String(chunk);
      return true;
    });
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await benchmarkAnomalyCommand().exitOverride().parseAsync(args, { from: 'user' });
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
    return stdout;
  }

  it('runs the chosen detectors and says where the report went', async () => {
    await withTempDir(async (dir) => {
      await mkdir(join(dir, 'data'));
      await copyFile(join(fixtures, 'obvious.npz'), join(dir, 'data', 'obvious.npz'));
      const out = join(dir, 'out');
      const printed = await run([
        '--data',
        join(dir, 'data'),
        '--out',
        out,
        '--seeds',
        '1',
        '--detectors',
        'knn,ecod',
        '--backend',
        'cpu',
      ]);
      expect(printed).toMatch(/^(knn|ecod) +mean AUROC 1\.000 {2}mean AUPRC 1\.000 {2}mean rank 1\.50$/m);
      expect(printed).toContain(
        `wrote ${join(out, 'anomaly-benchmark.md')} and ${join(out, 'anomaly-benchmark.json')}`,
      );
      const report = AnomalyBenchmarkReport.parse(
        JSON.parse(await readFile(join(out, 'anomaly-benchmark.json'), 'utf8')),
      );
      expect(report.detectors).toEqual(['knn', 'ecod']);
      expect(report.seeds).toBe(1);
    });
  });

  it('names the flag of an unknown detector', async () => {
    await expect(run(['--data', 'x', '--detectors', 'iforest,magic', '--backend', 'cpu'])).rejects.toThrow(
      `--detectors.1: unknown detector "magic": expected one of ${DETECTORS.join(', ')}`,
    );
  });
});

describe('neural detectors', () => {
  it('every option of the autoencoder detector finds obvious anomalies, and dispose frees its tensors', async () => {
    await ensureBackend();
    const table = labelledTable(
      readNpz(await readFile(join(fixtures, 'obvious.npz')), 'obvious.npz'),
      'obvious.npz',
    );
    const x = { rows: table.rows, cols: table.cols, data: table.x };
    const before = tf.memory().numTensors;
    for (const detector of [
      new AutoencoderDetector(
        'bagged',
        {
          kind: 'dense-ae',
          members: 2,
          featureFraction: 0.6,
          perFeature: true,
          codeNeighbours: 5,
          noise: 0.1,
        },
        0,
      ),
      new AutoencoderDetector('vae-tails', { kind: 'vae', combine: 'tails' }, 1),
      new DeepSvdd({ seed: 2, epochs: 30 }),
    ]) {
      await detector.fit(x);
      const scores = await detector.score(x);
      expect(auroc(scores, table.y!), detector.name).toBeGreaterThan(0.9);
      detector.dispose?.();
      expect(tf.memory().numTensors, detector.name).toBe(before);
    }
  }, 120_000);
});
