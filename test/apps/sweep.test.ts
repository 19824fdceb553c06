// Sweeps: a spec expanded into its trials (grid order, seeded random draws, each config checked with the
// trial and field named), run here with one results table, resumed where a trial was left, one trial alone
// (as a Kubernetes pod runs it), and written out as an Indexed Job.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { kubernetesJob } from '../../src/apps/sweep/k8s.js';
import {
  expandTrials,
  parseSweep,
  TrainSweepSpec,
  type TrainTrial,
  type Trial,
} from '../../src/apps/sweep/spec.js';
import { resultsMarkdown, runTrial, sweepResults, writeResults } from '../../src/apps/sweep/trials.js';
import { main } from '../../src/cli/main.js';
import { useBackend } from '../helpers.js';

/** The trials of a training sweep, as such. */
const training = (trials: Trial[]) => trials as TrainTrial[];

const base = {
  model: { kind: 'dense-ae', hidden: [8] },
  data: { source: 'mnist' },
  train: { epochs: 1, limit: 200, batchSize: 100 },
};

let dir: string;
beforeAll(async () => {
  await useBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'latentlab-sweep-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a sweep spec', () => {
  it('expands a grid in order, last setting fastest, each setting once per seed', () => {
    const { trials: expanded } = parseSweep({
      name: 'g',
      base,
      grid: { 'model.latent': [2, 3], 'train.optimizer.learningRate': [0.01, 0.001] },
      seeds: [0, 7],
    });
    const trials = training(expanded);
    expect(trials.map((t) => t.id)).toEqual([
      'p0-s0',
      'p0-s7',
      'p1-s0',
      'p1-s7',
      'p2-s0',
      'p2-s7',
      'p3-s0',
      'p3-s7',
    ]);
    expect(trials.map((t) => [t.config.model.latent, t.config.train.optimizer.learningRate])).toEqual([
      [2, 0.01],
      [2, 0.01],
      [2, 0.001],
      [2, 0.001],
      [3, 0.01],
      [3, 0.01],
      [3, 0.001],
      [3, 0.001],
    ]);
    expect(trials.map((t) => t.config.seed)).toEqual([0, 7, 0, 7, 0, 7, 0, 7]);
    expect(trials[5]).toMatchObject({ index: 5, setting: 2, seed: 7 });
    // The base's other settings are kept (the optimiser's betas too).
    expect(trials[0].config.train.optimizer.beta1).toBe(0.9);
    expect(trials[0].config.model.hidden).toEqual([8]);
  });

  it('draws random settings from their distributions, the same for the same seed', () => {
    const spec = TrainSweepSpec.parse({
      name: 'r',
      base,
      random: {
        trials: 40,
        seed: 3,
        params: {
          'train.optimizer.learningRate': { logUniform: [1e-4, 1e-2] },
          'model.latent': { int: [2, 4] },
          'model.activation': { choice: ['relu', 'tanh'] },
          'train.optimizer.beta1': { uniform: [0.5, 0.9] },
        },
      },
    });
    const trials = expandTrials(spec);
    expect(trials).toHaveLength(40);
    for (const t of trials) {
      const lr = t.params['train.optimizer.learningRate'] as number;
      expect(lr).toBeGreaterThanOrEqual(1e-4);
      expect(lr).toBeLessThanOrEqual(1e-2);
      expect([2, 3, 4]).toContain(t.params['model.latent']);
      expect(['relu', 'tanh']).toContain(t.params['model.activation']);
    }
    expect(new Set(trials.map((t) => t.params['model.latent']))).toEqual(new Set([2, 3, 4]));
    expect(expandTrials(spec)).toEqual(trials);
    expect(expandTrials({ ...spec, random: { ...spec.random!, seed: 4 } })[0].params).not.toEqual(
      trials[0].params,
    );
  });

  it('names the trial and the field of a bad setting, before anything trains', () => {
    expect(() => parseSweep({ name: 'b', base, grid: { 'model.latent': [2, -1] } }, 'sweep.json')).toThrow(
      /sweep\.json trial p1-s0#model\.latent/,
    );
    expect(() => parseSweep({ name: 'b', base, grid: { 'train.epochs': ['many'] } }, 'sweep.json')).toThrow(
      /trial p0-s0#train\.epochs/,
    );
    expect(() => parseSweep({ name: 'b', base, grid: { seed: [1] } })).toThrow(/grid\.seed.*model\.beta/);
    expect(() => parseSweep({ name: 'b c', base })).toThrow(/name/);
    expect(() =>
      parseSweep({ name: 'b', base, grid: { 'model.latent': [2] }, random: { trials: 1, params: {} } }),
    ).toThrow(/grid or random, not both/);
  });
});

describe('running a sweep here', () => {
  it('trains every trial, resumes one left half done, and writes one results table', async () => {
    const { spec, trials } = parseSweep({
      name: 'local',
      base: { ...base, train: { ...base.train, epochs: 2 } },
      grid: { 'model.latent': [2, 4] },
      seeds: [0, 1],
    });
    const runs = join(dir, 'runs');
    // Trial p1-s0 was started by a runner that stopped after its first epoch (as a killed worker leaves it).
    const { trainRun } = await import('../../src/train/run.js');
    const { config: third } = training(trials)[2];
    const partial = await trainRun(
      { ...third, train: { ...third.train, epochs: 1 } } as never,
      join(runs, 'local', 'p1-s0'),
      { monitor: false },
    );
    partial.model.dispose();
    await rm(join(runs, 'local', 'p1-s0', 'summary.json'));
    const config = JSON.parse(await readFile(join(runs, 'local', 'p1-s0', 'config.json'), 'utf8'));
    await writeFile(
      join(runs, 'local', 'p1-s0', 'config.json'),
      JSON.stringify({ ...config, train: { ...config.train, epochs: 2 } }),
    );

    const how = [];
    for (const trial of trials) how.push(await runTrial(runs, spec, trial));
    expect(how).toEqual(['trained', 'trained', 'resumed', 'trained']);
    expect(await runTrial(runs, spec, trials[0])).toBe('finished');
    const epochs = (await readFile(join(runs, 'local', 'p1-s0', 'metrics.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).epoch);
    expect(epochs).toEqual([1, 2]);

    const results = await sweepResults(runs, spec, trials);
    expect(results.trials.map((t) => t.status)).toEqual(['done', 'done', 'done', 'done']);
    expect(results.settings).toHaveLength(2);
    const loss = results.trials.map((t) => t.test?.loss as number);
    expect(results.settings[0].test.loss.mean).toBeCloseTo((loss[0] + loss[1]) / 2, 6);
    expect(results.settings[1].test.loss.sd).toBeCloseTo(Math.abs(loss[2] - loss[3]) / Math.SQRT2, 6);
    const markdown = await readFile(await writeResults(runs, spec, results), 'utf8');
    expect(markdown).toContain('| model.latent=4 | 2/2 |');
    expect(markdown).toContain('| p1-s1 | model.latent=4 | 1 | done | 2 |');
    expect(JSON.parse(await readFile(join(runs, 'local', 'results.json'), 'utf8')).trials).toHaveLength(4);
  }, 120_000);

  it('runs from the CLI: the whole sweep, one trial alone, a failing trial reported and the exit status 1', async () => {
    const spec = join(dir, 'cli.json');
    await writeFile(
      spec,
      JSON.stringify({ name: 'cli', base, grid: { 'model.latent': [2, 3] }, attempts: 2 }),
    );
    const runs = join(dir, 'cli-runs');
    expect(
      await main(['node', 'latentlab', 'sweep', spec, '--runs', runs, '--trial', '1', '--backend', 'wasm']),
    ).toBe(0);
    expect(JSON.parse(await readFile(join(runs, 'cli', 'p1-s0', 'summary.json'), 'utf8')).epochs).toBe(1);
    expect(await main(['node', 'latentlab', 'sweep', spec, '--runs', runs, '--trial', '5'])).toBe(2);
    expect(await main(['node', 'latentlab', 'sweep', spec, '--runs', runs, '--backend', 'wasm'])).toBe(0);
    expect(await readFile(join(runs, 'cli', 'results.md'), 'utf8')).toContain(
      '| p0-s0 | model.latent=2 | 0 | done |',
    );

    // Another spec under the same name would mix its trials into this table: refused, naming the recorded spec.
    const other = join(dir, 'other.json');
    await writeFile(other, JSON.stringify({ name: 'cli', base, grid: { 'model.latent': [5] } }));
    const errors: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => errors.push(String(chunk)) > 0) as typeof process.stderr.write;
    try {
      expect(await main(['node', 'latentlab', 'sweep', other, '--runs', runs])).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(errors.join('')).toContain(`was started with another spec (${join(runs, 'cli', 'sweep.json')})`);

    const broken = join(dir, 'broken.json');
    await writeFile(
      broken,
      JSON.stringify({
        name: 'broken',
        base: { ...base, data: { source: 'csv', path: join(dir, 'absent.csv') } },
        attempts: 2,
      }),
    );
    expect(await main(['node', 'latentlab', 'sweep', broken, '--runs', runs, '--backend', 'wasm'])).toBe(1);
    const table = await readFile(join(runs, 'broken', 'results.md'), 'utf8');
    expect(table).toMatch(/\| p0-s0 \| \(base\) \| 0 \| failed: .*absent\.csv/);
  }, 120_000);
});

describe('the one-class protocol as a sweep', () => {
  it('scores each trial after training, its classes normal, and averages AUROC over the classes', async () => {
    const { spec, trials } = parseSweep({
      name: 'one-class',
      base: { ...base, train: { ...base.train, limit: 600 } },
      grid: { 'train.classes': [[0], [1]] },
      detect: { scores: ['mse', 'mahalanobis'] },
    });
    const runs = join(dir, 'one-class-runs');
    for (const trial of trials) await runTrial(runs, spec, trial);
    const summary = JSON.parse(
      await readFile(join(runs, 'one-class', 'p1-s0', 'detect-test-mse', 'summary.json'), 'utf8'),
    );
    // The whole test split scored, class 1 normal and every other class an anomaly.
    expect(summary.samples).toBe(2000);
    expect(summary.evaluation.anomalies).toBeGreaterThan(1500);
    expect(summary.evaluation.auprcChance).toBeCloseTo(summary.evaluation.anomalies / 2000, 10);
    const results = await sweepResults(runs, spec, trials);
    const aurocs = results.trials.map((t) => t.test?.['auroc:mse'] as number);
    expect(aurocs[1]).toBeCloseTo(summary.evaluation.auroc, 10);
    expect(results.overall['auroc:mse'].mean).toBeCloseTo((aurocs[0] + aurocs[1]) / 2, 10);
    expect(results.trials[0].test?.['auroc:mahalanobis']).toBeGreaterThan(0);
    expect(resultsMarkdown(results)).toMatch(/\| \*\*all settings\*\* \| 2\/2 \|/);
    // On the validation split, the figures say so.
    const validation = parseSweep({ ...spec, detect: { scores: ['mse'], split: 'validation' } });
    await runTrial(runs, validation.spec, validation.trials[0]);
    const checked = await sweepResults(runs, validation.spec, validation.trials);
    expect(Object.keys(checked.trials[0].test ?? {})).toContain('validation auroc:mse');
  }, 120_000);
});

describe('a sweep for Kubernetes', () => {
  it('is a ConfigMap with the spec and an Indexed Job of one completion per trial, each running its trial', () => {
    const { spec, trials } = parseSweep({
      name: 'Beta_Grid',
      base,
      grid: { 'model.latent': [2, 3, 4] },
      seeds: [0, 1],
    });
    const yaml = kubernetesJob(spec, trials, {
      image: 'registry.example/latentlab:0.1',
      runsClaim: 'runs-pvc',
      parallelism: 4,
    });
    const [configMap, job] = parseAllDocuments(yaml).map((d) => d.toJSON());
    expect(configMap.kind).toBe('ConfigMap');
    expect(JSON.parse(configMap.data['sweep.json'])).toEqual(spec);
    expect(job).toMatchObject({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'latentlab-sweep-beta-grid' },
      spec: { completionMode: 'Indexed', completions: 6, parallelism: 4, backoffLimitPerIndex: 2 },
    });
    const pod = job.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.containers[0].image).toBe('registry.example/latentlab:0.1');
    expect(pod.containers[0].command).toEqual([
      'npx',
      'latentlab',
      'sweep',
      '/sweep/sweep.json',
      '--trial',
      '$(JOB_COMPLETION_INDEX)',
      '--runs',
      '/runs',
    ]);
    expect(pod.volumes).toEqual([
      { name: 'runs', persistentVolumeClaim: { claimName: 'runs-pvc' } },
      { name: 'sweep', configMap: { name: 'latentlab-sweep-beta-grid' } },
    ]);
    // What each pod is handed reads back as the same trials.
    expect(parseSweep(JSON.parse(configMap.data['sweep.json'])).trials).toEqual(trials);
    expect(parse(yaml.split('---\n')[1]).spec.completions).toBe(6);
  });
});
