// `compare` and `benchmark anomaly` as sweeps: each family of a comparison and each cell of the benchmark is a
// trial, checked before anything runs (the trial and field named), run once (a finished one is left, a lost
// one is done again cleanly), and the sweep's tables are the commands' own for the same settings, number for
// number (timings apart).
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import {
  type AnomalyBenchmarkReport,
  benchmarkAnomaly,
  benchmarkMarkdown,
  type DetectorName,
} from '../../src/apps/benchmark-anomaly.js';
import { type Comparison, compareFamilies, type FamilyResult } from '../../src/apps/compare.js';
import { kubernetesJob } from '../../src/apps/sweep/k8s.js';
import { parseSweep } from '../../src/apps/sweep/spec.js';
import { runTrial, sweepResults } from '../../src/apps/sweep/trials.js';
import { main } from '../../src/cli/main.js';
import { useBackend } from '../helpers.js';

const ROOT = join(import.meta.dirname, '..', '..');
const fixtures = join(ROOT, 'test', 'fixtures', 'numpy');
// A small ADBench data set from the shared mirror, where it is (the obvious fixture alone otherwise).
const WBC = join(ROOT, '..', 'shared', 'data', 'adbench', '42_WBC.npz');

let dir: string;
beforeAll(async () => {
  await useBackend('wasm');
  const { mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  dir = await mkdtemp(join(tmpdir(), 'latentlab-sweep-kinds-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Run the CLI quietly; its exit status. */
async function cli(args: string[]): Promise<number> {
  const write = process.stderr.write.bind(process.stderr);
  const out = process.stdout.write.bind(process.stdout);
  process.stderr.write = (() => true) as typeof process.stderr.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return await main(['node', 'latentlab', ...args]);
  } finally {
    process.stderr.write = write;
    process.stdout.write = out;
  }
}

/** A report's timings zeroed, so two runs of the same cells compare equal. */
function withoutTimes(report: AnomalyBenchmarkReport): AnomalyBenchmarkReport {
  return {
    ...report,
    datasets: report.datasets.map((d) => ({
      ...d,
      results: Object.fromEntries(
        Object.entries(d.results).map(([name, r]) => [name, { ...r, seconds: r.seconds.map(() => 0) }]),
      ),
    })),
    summary: Object.fromEntries(
      Object.entries(report.summary).map(([name, s]) => [name, { ...s, seconds: 0 }]),
    ),
  };
}

describe('the anomaly benchmark as a sweep', () => {
  it('names the trial or field of a mistake before anything runs', async () => {
    const data = join(dir, 'checked');
    await mkdir(data, { recursive: true });
    await copyFile(join(fixtures, 'obvious.npz'), join(data, 'obvious.npz'));
    const spec = { name: 'a', kind: 'anomaly-benchmark', benchmark: { data, detectors: ['knn'] } };
    expect(() =>
      parseSweep({ ...spec, benchmark: { data, detectors: ['knn', 'magic'] } }, 'sweep.json'),
    ).toThrow(/sweep\.json\.benchmark\.detectors\.1: unknown detector "magic"/);
    expect(() =>
      parseSweep({ ...spec, benchmark: { data, datasets: ['obvious', 'absent'] } }, 'sweep.json'),
    ).toThrow(`sweep.json#benchmark.datasets.1: no absent.npz in ${data}`);
    expect(() => parseSweep({ ...spec, benchmark: { data: join(dir, 'nope') } })).toThrow(
      'cannot read the folder (ENOENT)',
    );
    expect(() => parseSweep({ ...spec, kind: 'benchmark' })).toThrow(
      /expected kind train, compare, anomaly-benchmark \(none: train\), got "benchmark"/,
    );
    // The folder's data sets are written into the spec, so every worker (and the studio) sees the same trials.
    const { spec: parsed, trials } = parseSweep({ ...spec, seeds: [0, 1] });
    expect(parsed.kind === 'anomaly-benchmark' && parsed.benchmark.datasets).toEqual(['obvious']);
    expect(trials.map((t) => t.id)).toEqual(['obvious-knn-s0', 'obvious-knn-s1']);
  });

  it("writes the command's report from its cells, the same figures; a finished cell is kept, a lost one redone", async () => {
    const data = join(dir, 'adbench');
    await mkdir(data, { recursive: true });
    await copyFile(join(fixtures, 'obvious.npz'), join(data, 'obvious.npz'));
    if (existsSync(WBC)) await copyFile(WBC, join(data, '42_WBC.npz'));
    const detectors: DetectorName[] = ['iforest', 'ecod', 'knn'];
    const file = join(dir, 'anomaly.json');
    await writeFile(
      file,
      JSON.stringify({
        name: 'adbench',
        kind: 'anomaly-benchmark',
        benchmark: { data, detectors },
        seeds: [0, 1],
      }),
    );
    const runs = join(dir, 'anomaly-runs');
    expect(await cli(['sweep', file, '--runs', runs, '--backend', 'wasm'])).toBe(0);
    const swept = JSON.parse(
      await readFile(join(runs, 'adbench', 'anomaly-benchmark.json'), 'utf8'),
    ) as AnomalyBenchmarkReport;

    const { report } = await benchmarkAnomaly({ data, out: join(dir, 'anomaly-out'), seeds: 2, detectors });
    expect(withoutTimes(swept)).toEqual(withoutTimes(report));
    expect(swept.datasets.map((d) => d.name)).toEqual(existsSync(WBC) ? ['42_WBC', 'obvious'] : ['obvious']);
    // The table itself, row for row (the time row apart).
    const rows = (markdown: string) =>
      markdown.split('\n').filter((l) => l.startsWith('|') && !l.includes('time (s)'));
    expect(rows(await readFile(join(runs, 'adbench', 'anomaly-benchmark.md'), 'utf8'))).toEqual(
      rows(benchmarkMarkdown(report)),
    );
    expect(await readFile(join(runs, 'adbench', 'results.md'), 'utf8')).toContain(
      rows(benchmarkMarkdown(report))[2],
    );

    // A finished cell is left as it is; one lost (a worker killed before its file was renamed into place) is
    // computed again, to the same figures.
    const { spec, trials } = parseSweep(JSON.parse(await readFile(file, 'utf8')));
    expect(await runTrial(runs, spec, trials[0])).toBe('finished');
    const cell = join(runs, 'adbench', trials[3].id, 'cell.json');
    const before = JSON.parse(await readFile(cell, 'utf8'));
    await rm(cell);
    await writeFile(join(runs, 'adbench', trials[3].id, '.cell.json.999.dead.tmp'), '{"auroc": 0.');
    expect((await sweepResults(runs, spec, trials)).trials[3].status).toBe('pending');
    expect(await runTrial(runs, spec, trials[3])).toBe('scored');
    expect({ ...JSON.parse(await readFile(cell, 'utf8')), seconds: 0 }).toEqual({ ...before, seconds: 0 });
  }, 60_000);
});

describe('compare as a sweep', () => {
  const settings = {
    data: { source: 'mnist' },
    families: ['ae', 'vae'],
    latent: 4,
    epochs: 1,
    limit: 200,
    samples: 100,
    permutations: 20,
    nllK: 5,
    nllImages: 50,
  };

  it('names the trial and field of a bad family option before anything trains', () => {
    expect(() =>
      parseSweep(
        { name: 'c', kind: 'compare', compare: { ...settings, overrides: { vae: { beta: -1 } } } },
        'sweep.json',
      ),
    ).toThrow(/sweep\.json trial vae-s0#compare\.overrides\.vae\.beta/);
    expect(() =>
      parseSweep({ name: 'c', kind: 'compare', compare: { ...settings, latent: 0 } }, 'sweep.json'),
    ).toThrow(/sweep\.json\.compare\.latent/);
    expect(() =>
      parseSweep({ name: 'c', kind: 'compare', compare: { ...settings, families: ['ae', 'lm'] } }),
    ).toThrow(/compare\.families: lm: text families/);
    expect(() => parseSweep({ name: 'c', kind: 'compare', compare: { ...settings, out: 'x' } })).toThrow(
      /unknown option "out"/,
    );
  });

  it("is compare's table for the same settings; a family judged is kept, one killed while judged is judged again", async () => {
    const file = join(dir, 'compare.json');
    await writeFile(file, JSON.stringify({ name: 'cmp', kind: 'compare', compare: settings, seeds: [0] }));
    const runs = join(dir, 'compare-runs');
    expect(await cli(['sweep', file, '--runs', runs, '--backend', 'wasm'])).toBe(0);
    const swept = JSON.parse(await readFile(join(runs, 'cmp', 'comparison-s0.json'), 'utf8')) as Comparison;
    expect(existsSync(join(runs, 'cmp', 'comparison-s0.png'))).toBe(true);

    const direct = await compareFamilies({ ...settings, out: join(dir, 'compare-out') } as never, {
      run: { monitor: false },
    });
    // The same families, trained alike and judged by the same code: the same figures.
    const figures = (f: FamilyResult) => ({
      ...f,
      runDir: '',
      action: '',
      trainSeconds: 0,
      samplesPerSecond: 0,
    });
    expect(swept.families.map(figures)).toEqual(direct.families.map(figures));
    expect(swept.floorFrechetDistance).toBe(direct.floorFrechetDistance);
    // The table without its timing columns (train s, samples/s).
    const cells = (table: string) =>
      table
        .split('\n')
        .filter((l) => l.startsWith('|'))
        .map((l) =>
          l
            .split('|')
            .slice(1, -3)
            .map((c) => c.trim()),
        );
    const results = await readFile(join(runs, 'cmp', 'results.md'), 'utf8');
    expect(cells(results.split('## Comparison, seed 0')[1].split('With its notes')[0])).toEqual(
      cells(direct.table),
    );

    // Finished: left as it is. The VAE's figures lost (killed while judged): its run is reused and judged again.
    const { spec, trials } = parseSweep(JSON.parse(await readFile(file, 'utf8')));
    expect(await runTrial(runs, spec, trials[0])).toBe('finished');
    await rm(join(runs, 'cmp', 'vae-s0', 'comparison-entry.json'));
    const metrics = await readFile(join(runs, 'cmp', 'vae-s0', 'metrics.jsonl'), 'utf8');
    expect(await runTrial(runs, spec, trials[1])).toBe('scored');
    expect(await readFile(join(runs, 'cmp', 'vae-s0', 'metrics.jsonl'), 'utf8')).toBe(metrics);
    const again = await sweepResults(runs, spec, trials);
    expect(again.trials.map((t) => [t.id, t.status, t.epochs])).toEqual([
      ['ae-s0', 'done', 1],
      ['vae-s0', 'done', 1],
    ]);
    expect(again.trials[1].test?.['probe accuracy']).toBeCloseTo(direct.families[1].probe?.accuracy ?? 0, 10);
    expect(again.trials[1].test?.NLL).toBeCloseTo(direct.families[1].nll?.iwae ?? 0, 10);

    // For a cluster: one completion per family and seed, each pod handed the same trials.
    const [configMap, job] = parseAllDocuments(
      kubernetesJob(spec, trials, { image: 'latentlab', runsClaim: 'runs' }),
    ).map((d) => d.toJSON());
    expect(job.spec.completions).toBe(2);
    expect(parseSweep(JSON.parse(configMap.data['sweep.json'])).trials).toEqual(trials);
  }, 120_000);
});

describe('the example specs of docs/sweeps', () => {
  it('expand into their trials (the ADBench one where the shared mirror is)', async () => {
    const { readdir } = await import('node:fs/promises');
    const folder = join(ROOT, 'docs', 'sweeps');
    const expanded: Record<string, number> = {};
    for (const name of (await readdir(folder)).filter((f) => f.endsWith('.json'))) {
      const spec = JSON.parse(await readFile(join(folder, name), 'utf8'));
      // Relative data folders are the repository's, as the README runs them.
      if (spec.kind === 'anomaly-benchmark') {
        spec.benchmark.data = join(ROOT, spec.benchmark.data);
        if (!existsSync(spec.benchmark.data)) continue;
      }
      expanded[name] = parseSweep(spec, name).trials.length;
    }
    expect(expanded['compare-mnist.json']).toBe(12);
    expect(expanded['one-class-fashion.json']).toBe(10);
    if (existsSync(join(ROOT, '..', 'shared', 'data', 'adbench')))
      expect(expanded['anomaly-adbench.json']).toBe(12 * 10 * 3);
  });
});
