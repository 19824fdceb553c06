// Running a sweep's trials and gathering what they came to. A training trial is an ordinary run in
// RUNS/<sweep>/<trial>: trained when absent, resumed from its last checkpoint when a run was started there (by a
// worker that died, a pod that was evicted), left as it is when finished; a compare entry is such a run and then
// its figures, an anomaly-benchmark cell one file (compare-entries.ts, anomaly-cells.ts). So any number of
// runners can take trials in any order, and a trial started twice continues rather than restarts.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { readJsonIfAny, readJsonLines } from '../../io/json-files.js';
import type { RunConfigInput } from '../../train/config.js';
import { type RunOptions, resumeRun, trainRun } from '../../train/run.js';
import { runPaths } from '../../train/run-dir.js';
import { detectRun } from '../detect.js';
import { readCell, runAnomalyCell, writeAnomalyBenchmark } from './anomaly-cells.js';
import { compareEntryFigures, runCompareEntry, writeComparisons } from './compare-entries.js';
import type { AnomalyTrial, CompareTrial, SweepSpec, TrainSweepSpec, TrainTrial, Trial } from './spec.js';

export const sweepDir = (runsDir: string, spec: Pick<SweepSpec, 'name'>) => join(runsDir, spec.name);
export const trialDir = (runsDir: string, spec: Pick<SweepSpec, 'name'>, trial: Pick<Trial, 'id'>) =>
  join(sweepDir(runsDir, spec), trial.id);

export type TrialStatus = 'done' | 'failed' | 'running' | 'pending';

export interface TrialOutcome {
  id: string;
  index: number;
  setting: number;
  params: Trial['params'];
  seed: number;
  status: TrialStatus;
  epochs?: number;
  /** Test-split means of the model's losses (summary.json). */
  test?: Record<string, number>;
  /** The last epoch's validation losses (metrics.jsonl). */
  validation?: Record<string, number>;
  trainSeconds?: number;
  /** Why it failed, for failed trials (the last attempt's error). */
  error?: string;
}

/** What running a trial did: trained or resumed its run, only scored (a cell, a finished run judged), nothing. */
export type TrialAction = 'trained' | 'resumed' | 'scored' | 'finished';

/** Run trial `trial` in its directory, or go on with it there; a finished trial is left as it is. */
export async function runTrial(
  runsDir: string,
  spec: SweepSpec,
  trial: Trial,
  options: RunOptions = {},
): Promise<TrialAction> {
  const dir = trialDir(runsDir, spec, trial);
  if (trial.kind === 'compare') return runCompareEntry(dir, trial, options);
  if (trial.kind === 'anomaly-benchmark') return runAnomalyCell(dir, trial);
  if (spec.kind === 'compare' || spec.kind === 'anomaly-benchmark')
    throw new ConfigError(
      `trial ${trial.id} is a training run, and sweep ${spec.name} is a ${spec.kind} sweep`,
    );
  return runTrainTrial(runsDir, spec, trial, options);
}

async function runTrainTrial(
  runsDir: string,
  spec: TrainSweepSpec,
  trial: TrainTrial,
  options: RunOptions,
): Promise<TrialAction> {
  const dir = trialDir(runsDir, spec, trial);
  const paths = runPaths(dir);
  let how: 'trained' | 'resumed' | 'finished' = 'finished';
  if (!existsSync(paths.summary)) {
    if (existsSync(paths.config)) {
      const result = await resumeRun(dir, { ...options, monitor: false });
      result.model.dispose();
      how = 'resumed';
    } else {
      // The config was validated when the sweep was expanded; trainRun checks it again, model part included.
      const result = await trainRun(trial.config as RunConfigInput, dir, { ...options, monitor: false });
      result.model.dispose();
      how = 'trained';
    }
  }
  await detectTrial(runsDir, spec, trial);
  return how;
}

/** Where a trial's detect step writes for `score`: RUN/detect-<split>-<score> (as scripts/one-class-auroc.sh). */
const detectDir = (dir: string, split: string, score: string) => join(dir, `detect-${split}-${score}`);

/**
 * The spec's detect step for a trained trial, each score once (a folder already written is kept): the trial's
 * split scored, with its train.classes as the normal classes when it has some (the one-class protocol).
 */
async function detectTrial(runsDir: string, spec: TrainSweepSpec, trial: TrainTrial): Promise<void> {
  if (!spec.detect) return;
  const dir = trialDir(runsDir, spec, trial);
  const classes = trial.config.train.classes;
  for (const score of spec.detect.scores) {
    const out = detectDir(dir, spec.detect.split, score);
    if (existsSync(join(out, 'summary.json'))) continue;
    await detectRun({
      run: dir,
      split: spec.detect.split,
      out,
      options: { score, top: 0, ...(classes.length > 0 ? { normalClasses: classes } : {}) },
      command: `latentlab sweep (${spec.name}, trial ${trial.id}): detect --score ${score}`,
    });
  }
}

/** AUROC and AUPRC per score of a trial's detect step, as `auroc:<score>` and `auprc:<score>` (test split). */
async function detectFigures(dir: string, spec: SweepSpec): Promise<Record<string, number> | undefined> {
  if (spec.kind === 'compare' || spec.kind === 'anomaly-benchmark' || !spec.detect) return undefined;
  const figures: Record<string, number> = {};
  for (const score of spec.detect.scores) {
    const summary = (await readJsonIfAny(join(detectDir(dir, spec.detect.split, score), 'summary.json'))) as
      | { evaluation?: { auroc?: number; auprc?: number } }
      | undefined;
    // Named for their split where it is not the test split, so no validation figure passes for a test one.
    const prefix = spec.detect.split === 'test' ? '' : `${spec.detect.split} `;
    if (summary?.evaluation?.auroc !== undefined)
      figures[`${prefix}auroc:${score}`] = summary.evaluation.auroc;
    if (summary?.evaluation?.auprc !== undefined)
      figures[`${prefix}auprc:${score}`] = summary.evaluation.auprc;
  }
  return Object.keys(figures).length > 0 ? figures : undefined;
}

/** What trial `trial` has come to, from its run directory (and `failures`: errors of trials given up on). */
export async function trialOutcome(
  runsDir: string,
  spec: SweepSpec,
  trial: Trial,
  failures: ReadonlyMap<string, string> = new Map(),
): Promise<TrialOutcome> {
  const dir = trialDir(runsDir, spec, trial);
  const failed = failures.get(trial.id);
  const outcome = {
    id: trial.id,
    index: trial.index,
    setting: trial.setting,
    params: trial.params,
    seed: trial.seed,
  };
  if (trial.kind === 'anomaly-benchmark') {
    const cell = await readCell(dir);
    return {
      ...outcome,
      status: cell ? 'done' : failed ? 'failed' : 'pending',
      test: cell && { auroc: cell.auroc, auprc: cell.auprc },
      trainSeconds: cell?.seconds,
      ...(failed && !cell ? { error: failed } : {}),
    };
  }
  const paths = runPaths(dir);
  const summary = (await readJsonIfAny(paths.summary)) as
    | { epochs?: number; test?: Record<string, number>; trainSeconds?: number }
    | undefined;
  const last = (await readJsonLines(paths.metrics)).at(-1) as Record<string, unknown> | undefined;
  // A compare entry is done once judged; its figures are compare's. A training trial is done once trained, with
  // the detect step's figures beside its test losses (on the spec's split: validation when chosen so).
  const test =
    trial.kind === 'compare'
      ? await compareEntryFigures(dir)
      : summary && { ...summary.test, ...(await detectFigures(dir, spec)) };
  const status: TrialStatus = test ? 'done' : failed ? 'failed' : last || summary ? 'running' : 'pending';
  return {
    ...outcome,
    status,
    epochs: summary?.epochs ?? (last?.epoch as number | undefined),
    test,
    validation: last?.validation as Record<string, number> | undefined,
    trainSeconds: summary?.trainSeconds,
    ...(failed && !test ? { error: failed } : {}),
  };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};
const figure = (x: number | undefined) =>
  x === undefined
    ? ''
    : Math.abs(x) >= 1000 || (Math.abs(x) < 0.001 && x !== 0)
      ? x.toExponential(3)
      : x.toPrecision(4);
const settingText = (params: Trial['params']) =>
  Object.entries(params)
    .map(([path, value]) => {
      const text =
        typeof value !== 'number'
          ? JSON.stringify(value)
          : Number.isInteger(value)
            ? String(value)
            : figure(value);
      return `${path}=${text}`;
    })
    .join(', ') || '(base)';

/** Mean and standard deviation of each test figure over the finished trials among `outcomes`. */
function meanAndSd(outcomes: TrialOutcome[]): Record<string, { mean: number; sd: number }> {
  const done = outcomes.filter((o) => o.status === 'done' && o.test);
  const names = [...new Set(done.flatMap((o) => Object.keys(o.test ?? {})))];
  return Object.fromEntries(
    names.map((name) => {
      const xs = done.map((o) => o.test?.[name]).filter((x): x is number => x !== undefined);
      return [name, { mean: mean(xs), sd: sd(xs) }];
    }),
  );
}

export interface SweepResults {
  sweep: string;
  trials: TrialOutcome[];
  /** Per setting: its test figures as mean and standard deviation over the seeds that finished. */
  settings: Array<{
    setting: number;
    params: Trial['params'];
    done: number;
    of: number;
    test: Record<string, { mean: number; sd: number }>;
  }>;
  /** Every finished trial together: e.g. the one-class protocol's mean AUROC over its classes. */
  overall: Record<string, { mean: number; sd: number }>;
}

/** Gather every trial's outcome and summarise each setting over its seeds. */
export async function sweepResults(
  runsDir: string,
  spec: SweepSpec,
  trials: Trial[],
  failures: ReadonlyMap<string, string> = new Map(),
): Promise<SweepResults> {
  const outcomes = await Promise.all(trials.map((trial) => trialOutcome(runsDir, spec, trial, failures)));
  const bySetting = new Map<number, TrialOutcome[]>();
  for (const outcome of outcomes)
    bySetting.set(outcome.setting, [...(bySetting.get(outcome.setting) ?? []), outcome]);
  const settings = [...bySetting].map(([setting, group]) => ({
    setting,
    params: group[0].params,
    done: group.filter((o) => o.status === 'done' && o.test).length,
    of: group.length,
    test: meanAndSd(group),
  }));
  return { sweep: spec.name, trials: outcomes, settings, overall: meanAndSd(outcomes) };
}

/**
 * The results as Markdown: `sections` first (a compare or anomaly-benchmark sweep's own tables), then one row per
 * setting (mean ± sd over seeds), then one per trial.
 */
export function resultsMarkdown(results: SweepResults, sections: string[] = []): string {
  const metrics = [...new Set(results.settings.flatMap((s) => Object.keys(s.test)))];
  const lines = [
    `# Sweep ${results.sweep}`,
    '',
    ...sections,
    '## Settings (test split unless a figure names its split; mean ± sd over seeds)',
    '',
  ];
  lines.push(
    `| setting | seeds done | ${metrics.join(' | ')} |`,
    `| --- | ---: |${' ---: |'.repeat(metrics.length)}`,
  );
  for (const s of results.settings)
    lines.push(
      `| ${settingText(s.params)} | ${s.done}/${s.of} | ${metrics
        .map((m) =>
          // One seed has no spread to show.
          !s.test[m]
            ? ''
            : s.done < 2
              ? figure(s.test[m].mean)
              : `${figure(s.test[m].mean)} ± ${figure(s.test[m].sd)}`,
        )
        .join(' | ')} |`,
    );
  // All settings together: with a grid over classes, the one-class protocol's mean over them.
  const done = results.trials.filter((t) => t.status === 'done').length;
  if (results.settings.length > 1 && done > 0)
    lines.push(
      `| **all settings** | ${done}/${results.trials.length} | ${metrics
        .map((m) => (results.overall[m] ? `**${figure(results.overall[m].mean)}**` : ''))
        .join(' | ')} |`,
    );
  lines.push(
    '',
    '## Trials',
    '',
    `| trial | setting | seed | status | epochs | ${metrics.join(' | ')} | train s |`,
  );
  lines.push(`| --- | --- | ---: | --- | ---: |${' ---: |'.repeat(metrics.length)} ---: |`);
  for (const t of results.trials)
    lines.push(
      `| ${t.id} | ${settingText(t.params)} | ${t.seed} | ${t.status}${t.error ? `: ${t.error.replace(/\|/g, '/').slice(0, 200)}` : ''} | ${t.epochs ?? ''} | ${metrics
        .map((m) => figure(t.test?.[m]))
        .join(' | ')} | ${t.trainSeconds === undefined ? '' : t.trainSeconds.toFixed(1)} |`,
    );
  return `${lines.join('\n')}\n`;
}

/** The spec a sweep directory was started with: RUNS/<sweep>/sweep.json. */
export const specFile = (runsDir: string, spec: Pick<SweepSpec, 'name'>) =>
  join(sweepDir(runsDir, spec), 'sweep.json');

/**
 * Record the spec in RUNS/<sweep>/sweep.json (what the studio reads, and what was run), or check that the one
 * recorded is this one: trials of two different specs under one name would mix in one results table.
 */
export async function recordSpec(runsDir: string, spec: SweepSpec): Promise<void> {
  const file = specFile(runsDir, spec);
  const text = `${JSON.stringify(spec, null, 2)}\n`;
  let recorded: string | undefined;
  try {
    recorded = await readFile(file, 'utf8');
  } catch {
    recorded = undefined;
  }
  if (recorded === undefined) {
    await mkdir(sweepDir(runsDir, spec), { recursive: true });
    await writeFileAtomic(file, text);
  } else if (recorded !== text)
    throw new ConfigError(
      `sweep "${spec.name}" in ${runsDir} was started with another spec (${file}); give this one another name, or remove that directory`,
      { path: 'name' },
    );
}

/**
 * Write RUNS/<sweep>/results.json and results.md (each atomically), and a compare or anomaly-benchmark sweep's
 * own report files (those of its command) where its trials are done; returns the Markdown's path.
 */
export async function writeResults(
  runsDir: string,
  spec: SweepSpec,
  results: SweepResults,
  trials: Trial[] = [],
): Promise<string> {
  const dir = sweepDir(runsDir, spec);
  await mkdir(dir, { recursive: true });
  const dirOf = (trial: Trial) => trialDir(runsDir, spec, trial);
  const sections =
    spec.kind === 'compare'
      ? await writeComparisons(
          dir,
          spec,
          trials.filter((t): t is CompareTrial => t.kind === 'compare'),
          dirOf,
        )
      : spec.kind === 'anomaly-benchmark'
        ? await writeAnomalyBenchmark(
            dir,
            spec,
            trials.filter((t): t is AnomalyTrial => t.kind === 'anomaly-benchmark'),
            dirOf,
          )
        : [];
  await writeFileAtomic(join(dir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const markdown = join(dir, 'results.md');
  await writeFileAtomic(markdown, resultsMarkdown(results, sections));
  return markdown;
}
