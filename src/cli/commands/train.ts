// `latentlab train`: flags (or a JSON config file) → a validated run config → a run directory.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { parseDataSpec } from '../../data/spec.js';
import { InterruptedError, UsageError } from '../../errors.js';
import { isAutoencoder, isGenerative } from '../../models/family.js';
import { dataFitWarnings, listFamilies } from '../../models/registry.js';
import type { RunConfigInput } from '../../train/config.js';
import { type RunResult, resumeRun, trainRun } from '../../train/run.js';
import { defaultRunName, runPaths } from '../../train/run-dir.js';
import { modelConfigFromFlags, modelOptionFlags } from '../model-options.js';
import { progressCallbacks } from '../progress.js';
import {
  type AudioFlags,
  audioDataOptions,
  audioLabelOptions,
  backendOption,
  type CsvFlags,
  dataSpecFrom,
  type GlobalOptions,
  labelColumnOption,
  noHeaderOption,
  parseIntList,
  parseNumber,
  readJsonObject,
  skipRowsOption,
  startBackend,
  streamDataOptions,
  type TextFlags,
  tableDataOptions,
  textDataOptions,
} from '../shared.js';

interface TrainFlags extends GlobalOptions, CsvFlags, TextFlags, AudioFlags {
  config?: string;
  model?: string;
  data?: string;
  set?: string[];
  epochs?: number;
  batchSize?: number;
  lr?: number;
  beta1?: number;
  beta2?: number;
  schedule?: string;
  patience?: number;
  limit?: number;
  labelsPerClass?: number;
  extraData?: string;
  extraShare?: number;
  classes?: number[];
  seed?: number;
  scaling?: 'minmax' | 'standard' | 'none';
  imageSize?: number;
  out?: string;
  runsDir: string;
  resume?: string;
}

/** `--set key=value`: any model option by its config name; the value is JSON when it parses as JSON, else text. */
function parseAssignment(text: string): [string, unknown] {
  const at = text.indexOf('=');
  if (at <= 0) {
    throw new UsageError(
      `--set expects key=value (a model option, e.g. instanceNoiseEpochs=10), got "${text}"`,
      {
        path: '--set',
      },
    );
  }
  const raw = text.slice(at + 1);
  try {
    return [text.slice(0, at), JSON.parse(raw)];
  } catch {
    return [text.slice(0, at), raw];
  }
}

function parseSchedule(text: string): Record<string, unknown> {
  const [type, arg] = text.split(':');
  if (type === 'exponential') return { type, ...(arg ? { decay: parseNumber('--schedule')(arg) } : {}) };
  if (type === 'cosine') return { type, ...(arg ? { minLearningRate: parseNumber('--schedule')(arg) } : {}) };
  if (type === 'constant') return { type };
  throw new UsageError(`expected constant, exponential[:decay] or cosine[:minLr], got "${text}"`, {
    path: '--schedule',
  });
}

/** Flags override the config file; unset flags leave the schema defaults. */
export async function runConfigFromFlags(flags: TrainFlags): Promise<Record<string, unknown>> {
  const base = flags.config ? await readJsonObject(flags.config) : {};
  const fileModel = (base.model as Record<string, unknown> | undefined) ?? {};
  // The kind decides how the model flags read (which options exist, their types and choices differ by family).
  // A file's kind that is not a string stays as written, for the schema to refuse.
  const kind = flags.model ?? fileModel.kind ?? 'dense-ae';
  const model: Record<string, unknown> = {
    ...fileModel,
    kind,
    ...modelConfigFromFlags(flags as unknown as Record<string, unknown>, String(kind)),
  };
  const set = (target: Record<string, unknown>, key: string, value: unknown) => {
    if (value !== undefined) target[key] = value;
  };
  for (const assignment of flags.set ?? []) {
    const [key, value] = parseAssignment(assignment);
    model[key] = value;
  }

  const train: Record<string, unknown> = { ...((base.train as object) ?? {}) };
  set(train, 'epochs', flags.epochs);
  set(train, 'batchSize', flags.batchSize);
  set(train, 'limit', flags.limit);
  set(train, 'labelsPerClass', flags.labelsPerClass);
  set(train, 'classes', flags.classes);
  if (flags.extraData !== undefined || flags.extraShare !== undefined) {
    const extra: Record<string, unknown> = { ...((train.extraData as object) ?? {}) };
    if (flags.extraData !== undefined) extra.data = parseDataSpec(flags.extraData);
    set(extra, 'share', flags.extraShare);
    train.extraData = extra;
  }
  if (flags.lr !== undefined || flags.beta1 !== undefined || flags.beta2 !== undefined) {
    const optimizer: Record<string, unknown> = { ...((train.optimizer as object) ?? {}) };
    set(optimizer, 'learningRate', flags.lr);
    set(optimizer, 'beta1', flags.beta1);
    set(optimizer, 'beta2', flags.beta2);
    train.optimizer = optimizer;
  }
  if (flags.schedule) train.schedule = parseSchedule(flags.schedule);
  if (flags.patience !== undefined) train.earlyStopping = { patience: flags.patience };

  const data =
    flags.data !== undefined || base.data === undefined
      ? dataSpecFrom(flags.data ?? 'mnist', flags, { scaling: flags.scaling, imageSize: flags.imageSize })
      : base.data;
  // Any other key of the file stays, so that the schema refuses a misspelt one instead of dropping it.
  return { ...base, seed: flags.seed ?? base.seed ?? 0, model, data, train };
}

/** `runs/<kind>-<data>-<yyyymmdd-hhmmss-mmm>`; trainRun adds `-2`, `-3` … if two trains still pick one name. */
function defaultRunDir(runsDir: string, config: Record<string, unknown>): string {
  const kind = (config.model as { kind: string }).kind;
  const data = (config.data as { source: string }).source;
  return join(runsDir, defaultRunName(kind, data));
}

function report(result: RunResult): void {
  const paths = runPaths(result.runDir);
  const out = process.stdout;
  if (result.aborted) {
    const kept =
      result.epochs === 0
        ? 'no model yet (no epoch finished)'
        : `model of epoch ${result.modelEpoch}: ${paths.model}`;
    out.write(
      `stopped after epoch ${result.epochs}; ${kept}\ncontinue with: latentlab train --resume ${result.runDir}\n`,
    );
    throw new InterruptedError(`interrupted after epoch ${result.epochs} (run ${result.runDir})`);
  }
  const test = Object.entries(result.test ?? {})
    .map(([k, v]) => `${k} ${v.toPrecision(4)}`)
    .join(', ');
  out.write(`\ntrained ${result.model.kind} for ${result.epochs} epochs in ${result.seconds.toFixed(1)} s\n`);
  out.write(`test (${result.data.testSize} samples): ${test}\n`);
  out.write(`run:             ${result.runDir}\n`);
  out.write(`model:           ${paths.model}\n`);
  out.write(`metrics:         ${paths.metrics}\n`);
  if (existsSync(paths.loss)) out.write(`loss chart:      ${paths.loss} (train and validation per epoch)\n`);
  if (result.model.preview && result.data.sampleShape.length === 3) {
    // What the preview holds follows from what the model can do: samples, reconstructions, or both.
    const rows = !isGenerative(result.model)
      ? 'originals above, reconstructions below'
      : isAutoencoder(result.model)
        ? 'originals, reconstructions, prior samples'
        : 'samples from the same noise every epoch';
    out.write(`pictures:        ${paths.epochImage(result.epochs)} (${rows}; one per epoch)\n`);
  }
  const scatter = paths.epochScatter(result.epochs);
  if (existsSync(scatter))
    out.write(`scatter:         ${scatter} (real grey, generated green; one per epoch)\n`);
}

export function trainCommand(): Command {
  const kinds = listFamilies().map((f) => f.kind);
  const command = new Command('train')
    .description(
      'train a model; writes a run directory with config, metrics, pictures, checkpoints and the model',
    )
    .option('--config <file>', 'JSON run config ({model, data, train, seed}); flags override it')
    .addOption(
      new Option(
        '--model <kind>',
        'model family (`latentlab models` describes each; default dense-ae)',
      ).choices(kinds),
    )
    .option(
      '--data <spec>',
      'mnist | fashion-mnist | idx:PATH | csv:PATH | npz:PATH | npy:PATH | parquet:PATH | arrow:PATH | images:DIR | dsprites[:SIZE] | text:PATH | brown | spam-assassin (default mnist)',
    )
    .option(
      '--set <key=value>',
      'any model option by its config name (repeatable), e.g. --set instanceNoiseEpochs=10',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option(
      '--epochs <n>',
      'epochs (default 20, or on small data enough for 1,000 optimiser steps, at most 500)',
      parseNumber('--epochs', { integer: true, min: 1 }),
    )
    .option('--batch-size <n>', 'mini-batch size', parseNumber('--batch-size', { integer: true, min: 1 }))
    .option('--lr <rate>', 'Adam learning rate', parseNumber('--lr', { min: 0 }))
    .option('--beta1 <b>', 'Adam beta1', parseNumber('--beta1', { min: 0 }))
    .option('--beta2 <b>', 'Adam beta2', parseNumber('--beta2', { min: 0 }))
    .option('--schedule <s>', 'constant | exponential[:decay] | cosine[:minLr]')
    .option(
      '--patience <n>',
      'early stopping patience in epochs (0: off)',
      parseNumber('--patience', { integer: true, min: 0 }),
    )
    .option('--limit <n>', 'train on at most n samples', parseNumber('--limit', { integer: true, min: 0 }))
    .option(
      '--classes <list>',
      'train, validate and test on these class numbers only, e.g. 0 (one-class anomaly detection) or 3,5',
      parseIntList('--classes', 0),
    )
    .option(
      '--labels-per-class <n>',
      'keep the labels of n training samples per class (semi-supervised models use the rest unlabelled; others train on the n only)',
      parseNumber('--labels-per-class', { integer: true, min: 0 }),
    )
    .option(
      '--extra-data <spec>',
      'more labelled training samples, e.g. idx:DIR written by `latentlab augment` (validation and test stay on --data)',
    )
    .option(
      '--extra-share <s>',
      'with --extra-data: the share of each epoch taken by the extra samples (real ones repeated to keep it)',
      parseNumber('--extra-share', { min: 0 }),
    )
    .option(
      '--seed <n>',
      'random seed (same seed, same run)',
      parseNumber('--seed', { integer: true, min: 0 }),
    )
    .addOption(labelColumnOption())
    .addOption(noHeaderOption())
    .addOption(skipRowsOption())
    .addOption(
      new Option('--scaling <method>', 'csv: feature scaling fitted on the training split').choices([
        'minmax',
        'standard',
        'none',
      ]),
    )
    .option(
      '--image-size <n>',
      'images: resize to n x n',
      parseNumber('--image-size', { integer: true, min: 1 }),
    )
    .option('--out <dir>', 'run directory (default: RUNS_DIR/<kind>-<data>-<time>)')
    .option('--runs-dir <dir>', 'where new runs go', 'runs')
    .option('--resume <run>', 'continue a run from its last checkpoint (with --epochs to extend it)')
    .addOption(backendOption())
    .action(async (flags: TrainFlags) => {
      // A mistyped flag is said before the backend spends seconds starting.
      const config = flags.resume ? undefined : await runConfigFromFlags(flags);
      const backend = await startBackend(flags);
      const progress = progressCallbacks();
      const abort = new AbortController();
      const onSignal = () => {
        process.stderr.write('\nstopping after this batch; the last complete epoch is kept\n');
        abort.abort();
      };
      process.once('SIGINT', onSignal);
      try {
        const options = { callbacks: progress, signal: abort.signal, environment: { backend } };
        if (!config) {
          report(await resumeRun(flags.resume as string, { ...options, epochs: flags.epochs }));
        } else {
          for (const warning of dataFitWarnings(config)) process.stderr.write(`warning: ${warning}\n`);
          report(
            await trainRun(config as RunConfigInput, flags.out ?? defaultRunDir(flags.runsDir, config), {
              ...options,
              configFile: flags.config,
              uniqueDir: flags.out === undefined,
            }),
          );
        }
      } finally {
        progress.stop();
        process.off('SIGINT', onSignal);
      }
    });
  for (const option of [
    ...tableDataOptions(),
    ...streamDataOptions(),
    ...textDataOptions(),
    ...audioDataOptions(),
    ...audioLabelOptions(),
  ])
    command.addOption(option);
  for (const option of modelOptionFlags()) command.addOption(option);
  return command;
}
