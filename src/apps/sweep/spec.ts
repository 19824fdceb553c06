// A sweep: a grid or random search over one run config (`base`) and seeds, each trial a training run; or
// `latentlab compare` (families × seeds) or `latentlab benchmark anomaly` (data sets × detectors × seeds) as
// sweeps, each entry or cell a trial. `expandTrials` turns the spec into its trials, in a fixed order (settings,
// then seeds), each checked as its command would check it, so a mistake is reported before anything trains,
// naming the trial and the field.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { createRng } from '../../data/random.js';
import { ConfigError, parseOrThrow } from '../../errors.js';
import { modelDefaultsForData, parseModelConfig } from '../../models/registry.js';
import { type RunConfig, RunConfig as RunConfigSchema } from '../../train/config.js';
import { BenchmarkAnomalyOptions, type DetectorName, datasetName, npzFiles } from '../benchmark-anomaly.js';
import {
  type CompareFamily,
  type CompareOptions,
  CompareOptions as CompareOptionsSchema,
  checkFamily,
  parseCompareOptions,
} from '../compare.js';
import { AnomalyScore } from '../detect.js';

/** A setting's path in the run config: model.*, data.* or train.* (the seed is `seeds`). */
const SETTING_PATH = /^(model|data|train)(\.[A-Za-z][A-Za-z0-9]*)+$/;

/** Settings by path, each path checked (zod's own record-key error does not say what was expected). */
const settings = <V extends z.ZodType>(value: V) =>
  z.record(z.string(), value).superRefine((record, ctx) => {
    for (const path of Object.keys(record))
      if (!SETTING_PATH.test(path))
        ctx.addIssue({
          code: 'custom',
          path: [path],
          message: `expected a setting's path such as model.beta or train.epochs (seeds go in "seeds"), got "${path}"`,
        });
  });

const SettingValue = z.union([
  z.number(),
  z.string(),
  z.boolean(),
  z.array(z.union([z.number(), z.string()])),
]);
type SettingValue = z.infer<typeof SettingValue>;

const Distribution = z.union([
  z.strictObject({ uniform: z.tuple([z.number(), z.number()]).describe('low, high') }),
  z.strictObject({
    logUniform: z.tuple([z.number().positive(), z.number().positive()]).describe('low, high'),
  }),
  z.strictObject({ int: z.tuple([z.number().int(), z.number().int()]).describe('low, high, both included') }),
  z.strictObject({ choice: z.array(SettingValue).min(1) }),
]);
type Distribution = z.infer<typeof Distribution>;

const SweepName = z
  .string()
  .regex(
    /^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/,
    'expected a name usable as a folder: letters, digits, ".", "_", "-"',
  )
  .describe('the sweep: its trials go to RUNS/<name>/<trial>');

const Attempts = z
  .number()
  .int()
  .min(1)
  .max(10)
  .default(3)
  .describe('tries of a trial before it is reported failed (queued sweeps and Kubernetes)');

const Seeds = (what: string) => z.array(z.number().int().min(0)).min(1).default([0]).describe(what);

/** A training sweep: the spec without a `kind` (sweeps recorded before the other kinds read the same). */
export const TrainSweepSpec = z
  .strictObject({
    kind: z.literal('train').optional().describe('train (the default): trials are training runs'),
    name: SweepName,
    base: z
      .record(z.string(), z.unknown())
      .describe('the run config every trial starts from (as `latentlab train --config`)'),
    grid: settings(z.array(SettingValue).min(1))
      .optional()
      .describe('every combination of these settings, e.g. {"model.beta": [1, 4], "train.epochs": [5, 10]}'),
    random: z
      .strictObject({
        trials: z.number().int().min(1).max(10_000),
        params: settings(Distribution),
        seed: z.number().int().min(0).default(0).describe('seeds the draws of the settings'),
      })
      .optional()
      .describe('settings drawn at random: uniform, logUniform, int (both ends included) or choice'),
    seeds: Seeds('each setting trains once per seed (the run config seed)'),
    detect: z
      .strictObject({
        scores: z.array(AnomalyScore).min(1).describe('the anomaly scores to judge each trial by'),
        split: z
          .enum(['validation', 'test'])
          .default('test')
          .describe('the split scored (choose on validation)'),
      })
      .optional()
      .describe(
        "after training, score a split of the trial's data and report AUROC and AUPRC per score: with train.classes, the one-class protocol (those classes normal, the rest anomalies); else 0/1 labels",
      ),
    attempts: Attempts,
  })
  .refine((spec) => !(spec.grid && spec.random), {
    message: 'give grid or random, not both',
    path: ['random'],
  });

/** `latentlab compare` as a sweep: each family once per seed, a trial each; one comparison table per seed. */
export const CompareSweepSpec = z.strictObject({
  kind: z.literal('compare'),
  name: SweepName,
  compare: CompareOptionsSchema.omit({ out: true, seed: true, command: true, overridesSource: true })
    .strict()
    .describe(
      "`latentlab compare`'s settings: data, families, latent, epochs, limit, samples, overrides ...",
    ),
  seeds: Seeds('the comparison is made once per seed (as `latentlab compare --seed`)'),
  attempts: Attempts,
});

/** `latentlab benchmark anomaly` as a sweep: each data set × detector × seed a trial (a cell of its table). */
export const AnomalySweepSpec = z.strictObject({
  kind: z.literal('anomaly-benchmark'),
  name: SweepName,
  benchmark: z
    .strictObject({
      data: BenchmarkAnomalyOptions.shape.data.describe('a folder of .npz files with X and y (1 = anomaly)'),
      datasets: z
        .array(z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]*$/, 'expected a file name without .npz'))
        .min(1)
        .refine((list) => new Set(list).size === list.length, 'a data set is listed twice')
        .optional()
        .describe('the data sets, by file name without .npz (default: every .npz of the folder, by name)'),
      detectors: BenchmarkAnomalyOptions.shape.detectors,
      development: BenchmarkAnomalyOptions.shape.development,
    })
    .describe("`latentlab benchmark anomaly`'s settings"),
  seeds: Seeds('the splits (as `--seeds 3` is seeds [0, 1, 2])'),
  attempts: Attempts,
});

const SWEEP_KINDS = ['train', 'compare', 'anomaly-benchmark'];

export const SweepSpec = z.discriminatedUnion('kind', [TrainSweepSpec, CompareSweepSpec, AnomalySweepSpec], {
  error: (issue) =>
    issue.code === 'invalid_union'
      ? `expected kind ${SWEEP_KINDS.join(', ')} (none: train), got ${JSON.stringify((issue.input as { kind?: unknown })?.kind)}`
      : undefined,
});
export type SweepSpec = z.output<typeof SweepSpec>;
export type TrainSweepSpec = z.output<typeof TrainSweepSpec>;
export type CompareSweepSpec = z.output<typeof CompareSweepSpec>;
export type AnomalySweepSpec = z.output<typeof AnomalySweepSpec>;

interface TrialCommon {
  /** Position in the sweep, from 0: also the Kubernetes completion index. */
  index: number;
  /** Folder name under RUNS/<sweep>: p<setting>-s<seed>, <family>-s<seed>, <data set>-<detector>-s<seed>. */
  id: string;
  /** The setting's number, from 0 (trials of one setting differ only by seed). */
  setting: number;
  params: Record<string, SettingValue>;
  seed: number;
}

/** A training run (and the spec's detect step). */
export interface TrainTrial extends TrialCommon {
  kind: 'train';
  config: RunConfig;
}

/** One family of one seed's comparison: its run, then compare's figures for it. */
export interface CompareTrial extends TrialCommon {
  kind: 'compare';
  family: CompareFamily;
  /** The comparison's settings, as `latentlab compare` takes them (its seed is the trial's). */
  compare: CompareSweepSpec['compare'];
  /** The family's run config, as compare trains it. */
  config: RunConfig;
}

/** One cell of the anomaly benchmark: a detector on one seed's split of one data set. */
export interface AnomalyTrial extends TrialCommon {
  kind: 'anomaly-benchmark';
  dataset: string;
  /** The data set's .npz. */
  file: string;
  detector: DetectorName;
  development: boolean;
}

export type Trial = TrainTrial | CompareTrial | AnomalyTrial;

/** `value` at `path` (dotted) in a copy of `object`, creating objects on the way. */
function withSetting(object: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const [head, ...rest] = path.split('.');
  if (rest.length === 0) return { ...object, [head]: value };
  const inner = object[head];
  const child =
    inner && typeof inner === 'object' && !Array.isArray(inner) ? (inner as Record<string, unknown>) : {};
  return { ...object, [head]: withSetting(child, rest.join('.'), value) };
}

function draw(distribution: Distribution, rng: () => number): SettingValue {
  if ('uniform' in distribution) {
    const [low, high] = distribution.uniform;
    return low + (high - low) * rng();
  }
  if ('logUniform' in distribution) {
    const [low, high] = distribution.logUniform;
    return Math.exp(Math.log(low) + (Math.log(high) - Math.log(low)) * rng());
  }
  if ('int' in distribution) {
    const [low, high] = distribution.int;
    return low + Math.min(high - low, Math.floor((high - low + 1) * rng()));
  }
  return distribution.choice[
    Math.min(distribution.choice.length - 1, Math.floor(distribution.choice.length * rng()))
  ];
}

/** The settings of a sweep, in order: the grid's combinations (last path fastest), or the random draws. */
function settingsOf(spec: TrainSweepSpec): Array<Record<string, SettingValue>> {
  if (spec.random) {
    const rng = createRng(spec.random.seed);
    const entries = Object.entries(spec.random.params);
    return Array.from({ length: spec.random.trials }, () =>
      Object.fromEntries(entries.map(([path, distribution]) => [path, draw(distribution, rng)])),
    );
  }
  let settings: Array<Record<string, SettingValue>> = [{}];
  for (const [path, values] of Object.entries(spec.grid ?? {}))
    settings = settings.flatMap((setting) => values.map((value) => ({ ...setting, [path]: value })));
  return settings;
}

/**
 * Parse a sweep spec (`where`: the file, for errors) and expand it into its trials, each checked. An anomaly
 * benchmark without `datasets` gets the folder's, so the spec recorded (and each worker's copy) names them.
 */
export function parseSweep(raw: unknown, where = ''): { spec: SweepSpec; trials: Trial[] } {
  let spec = parseOrThrow(SweepSpec, raw, where);
  if (spec.kind === 'anomaly-benchmark' && !spec.benchmark.datasets)
    spec = {
      ...spec,
      benchmark: { ...spec.benchmark, datasets: npzFiles(spec.benchmark.data).map(datasetName) },
    };
  return { spec, trials: expandTrials(spec, where) };
}

/** Where a trial's mistake is reported: `FILE trial ID#field`. */
const trialWhere = (where: string, id: string) => `${where ? `${where} ` : ''}trial ${id}#`;

/** The trials of `spec`, settings in order and each setting once per seed. */
export function expandTrials(spec: SweepSpec, where = ''): Trial[] {
  const trials =
    spec.kind === 'compare'
      ? compareTrials(spec, where)
      : spec.kind === 'anomaly-benchmark'
        ? anomalyTrials(spec, where)
        : trainTrials(spec, where);
  checkCount(trials.length, where);
  return trials;
}

function checkCount(trials: number, where: string): void {
  if (trials > 10_000)
    throw new ConfigError(`the sweep has ${trials} trials; at most 10,000`, {
      path: where ? `${where}#grid` : 'grid',
    });
}

function trainTrials(spec: TrainSweepSpec, where: string): TrainTrial[] {
  const settings = settingsOf(spec);
  // Counted before the configs are checked, each of which takes a moment.
  checkCount(settings.length * spec.seeds.length, where);
  const width = String(Math.max(0, settings.length - 1)).length;
  const trials: TrainTrial[] = [];
  settings.forEach((params, setting) => {
    for (const seed of spec.seeds) {
      let raw: Record<string, unknown> = { ...spec.base, seed };
      for (const [path, value] of Object.entries(params)) raw = withSetting(raw, path, value);
      const id = `p${String(setting).padStart(width, '0')}-s${seed}`;
      const at = trialWhere(where, id);
      const config = parseOrThrow(RunConfigSchema, raw, at);
      // The model's options too, as train checks them, so a bad value fails here and not trials later.
      parseModelConfig(modelDefaultsForData(config.model, config.data), `${at}model`);
      trials.push({ kind: 'train', index: trials.length, id, setting, params, seed, config });
    }
  });
  return trials;
}

/** The settings of one seed's comparison, as `latentlab compare` takes them (the trial's runs set its own out). */
export function compareOptionsOf(
  compare: CompareSweepSpec['compare'],
  seed: number,
  out: string,
  where = '',
): CompareOptions {
  return parseCompareOptions(
    { ...compare, seed, out, overridesSource: `${where ? `${where} ` : ''}compare.overrides` },
    (field) => `${where ? `${where}#` : ''}compare.${field}`,
  );
}

function compareTrials(spec: CompareSweepSpec, where: string): CompareTrial[] {
  // The families as compare picks them (by the data, when none are named); the out folder is each trial's own.
  const { families } = compareOptionsOf(spec.compare, spec.seeds[0], spec.name, where);
  return families.flatMap((family, setting) =>
    spec.seeds.map((seed, k): CompareTrial => {
      const id = `${family}-s${seed}`;
      const options = compareOptionsOf(spec.compare, seed, spec.name, where);
      const field = spec.compare.overrides[family] ? `overrides.${family}` : `families.${family}`;
      const { config } = checkFamily(options, family, `${trialWhere(where, id)}compare.${field}`);
      return {
        kind: 'compare',
        index: setting * spec.seeds.length + k,
        id,
        setting,
        params: { family },
        seed,
        family,
        compare: { ...spec.compare, families },
        config: parseOrThrow(RunConfigSchema, config),
      };
    }),
  );
}

function anomalyTrials(spec: AnomalySweepSpec, where: string): AnomalyTrial[] {
  const { data, detectors, development } = spec.benchmark;
  const datasets = spec.benchmark.datasets ?? npzFiles(data).map(datasetName);
  // Named data sets are looked for where the folder is here (a studio reading the spec may not have it).
  if (spec.benchmark.datasets && existsSync(data))
    datasets.forEach((name, i) => {
      if (!existsSync(join(data, `${name}.npz`)))
        throw new ConfigError(`no ${name}.npz in ${data}`, {
          path: `${where ? `${where}#` : ''}benchmark.datasets.${i}`,
        });
    });
  const trials: AnomalyTrial[] = [];
  for (const dataset of datasets) {
    if (!/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(dataset))
      throw new ConfigError(
        `the data set "${dataset}" names a trial folder: rename its file to letters, digits, ".", "_", "-"`,
        { path: `${where ? `${where}#` : ''}benchmark.data` },
      );
    for (const detector of detectors) {
      const setting = trials.length / spec.seeds.length;
      for (const seed of spec.seeds)
        trials.push({
          kind: 'anomaly-benchmark',
          index: trials.length,
          id: `${dataset}-${detector}-s${seed}`,
          setting,
          params: { dataset, detector },
          seed,
          dataset,
          file: join(data, `${dataset}.npz`),
          detector,
          development,
        });
    }
  }
  return trials;
}
