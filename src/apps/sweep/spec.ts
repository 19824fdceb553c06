// A sweep: one run config (`base`) varied over a grid of settings or a seeded random search, each setting
// trained once per seed. `expandTrials` turns the spec into its trials, in a fixed order (settings, then seeds),
// each a full run config validated as `latentlab train --config` would validate it, so a mistake is reported
// before anything trains, naming the trial and the field.
import { z } from 'zod';
import { createRng } from '../../data/random.js';
import { ConfigError, parseOrThrow } from '../../errors.js';
import { modelDefaultsForData, parseModelConfig } from '../../models/registry.js';
import { type RunConfig, RunConfig as RunConfigSchema } from '../../train/config.js';
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

export const SweepSpec = z
  .strictObject({
    name: z
      .string()
      .regex(
        /^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/,
        'expected a name usable as a folder: letters, digits, ".", "_", "-"',
      )
      .describe('the sweep: its runs go to RUNS/<name>/<trial>'),
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
    seeds: z
      .array(z.number().int().min(0))
      .min(1)
      .default([0])
      .describe('each setting trains once per seed (the run config seed)'),
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
    attempts: z
      .number()
      .int()
      .min(1)
      .max(10)
      .default(3)
      .describe('tries of a trial before it is reported failed (queued sweeps and Kubernetes)'),
  })
  .refine((spec) => !(spec.grid && spec.random), {
    message: 'give grid or random, not both',
    path: ['random'],
  });
export type SweepSpec = z.output<typeof SweepSpec>;

export interface Trial {
  /** Position in the sweep, from 0: also the Kubernetes completion index. */
  index: number;
  /** Folder name under RUNS/<sweep>: p<setting>-s<seed>. */
  id: string;
  /** The setting's number, from 0 (trials of one setting differ only by seed). */
  setting: number;
  params: Record<string, SettingValue>;
  seed: number;
  config: RunConfig;
}

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
function settingsOf(spec: SweepSpec): Array<Record<string, SettingValue>> {
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

/** Parse a sweep spec (`where`: the file, for errors) and expand it into its trials, each config validated. */
export function parseSweep(raw: unknown, where = ''): { spec: SweepSpec; trials: Trial[] } {
  const spec = parseOrThrow(SweepSpec, raw, where);
  return { spec, trials: expandTrials(spec, where) };
}

export function expandTrials(spec: SweepSpec, where = ''): Trial[] {
  const settings = settingsOf(spec);
  if (settings.length * spec.seeds.length > 10_000)
    throw new ConfigError(`the sweep has ${settings.length * spec.seeds.length} trials; at most 10,000`, {
      path: where ? `${where}#grid` : 'grid',
    });
  const width = String(Math.max(0, settings.length - 1)).length;
  const trials: Trial[] = [];
  settings.forEach((params, setting) => {
    for (const seed of spec.seeds) {
      let raw: Record<string, unknown> = { ...spec.base, seed };
      for (const [path, value] of Object.entries(params)) raw = withSetting(raw, path, value);
      const id = `p${String(setting).padStart(width, '0')}-s${seed}`;
      const at = `${where ? `${where} ` : ''}trial ${id}#`;
      const config = parseOrThrow(RunConfigSchema, raw, at);
      // The model's options too, as train checks them, so a bad value fails here and not trials later.
      parseModelConfig(modelDefaultsForData(config.model, config.data), `${at}model`);
      trials.push({ index: trials.length, id, setting, params, seed, config });
    }
  });
  return trials;
}
