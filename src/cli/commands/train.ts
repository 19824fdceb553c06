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
import { progressCallbacks } from '../progress.js';
import {
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
} from '../shared.js';

interface TrainFlags extends GlobalOptions, CsvFlags {
  config?: string;
  model?: string;
  data?: string;
  latent?: number;
  hidden?: number[];
  filters?: number[];
  activation?: string;
  loss?: string;
  noise?: string;
  sparsity?: number;
  likelihood?: string;
  sigma?: string;
  beta?: number;
  klWarmup?: number;
  freeBits?: number;
  conditional?: boolean;
  patchSize?: number;
  dim?: number;
  heads?: number;
  depth?: number;
  architecture?: string;
  generatorHidden?: number[];
  discriminatorHidden?: number[];
  discriminatorSteps?: number;
  gLr?: number;
  dLr?: number;
  labelSmoothing?: number;
  instanceNoise?: number;
  ema?: number;
  acgan?: boolean;
  prior?: string;
  semiSupervised?: boolean;
  adversarialLoss?: string;
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

function parseNoise(text: string): { type: string; level: number } {
  const [type, level] = text.split(':');
  return { type, level: level === undefined ? 0.3 : parseNumber('--noise', { min: 0 })(level) };
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
  const model: Record<string, unknown> = { kind: 'dense-ae', ...((base.model as object) ?? {}) };
  const set = (target: Record<string, unknown>, key: string, value: unknown) => {
    if (value !== undefined) target[key] = value;
  };
  set(model, 'kind', flags.model);
  set(model, 'latent', flags.latent);
  set(model, 'hidden', flags.hidden);
  set(model, 'filters', flags.filters);
  set(model, 'activation', flags.activation);
  set(model, 'loss', flags.loss);
  set(model, 'sparsity', flags.sparsity);
  set(model, 'likelihood', flags.likelihood);
  if (flags.sigma !== undefined)
    model.sigma = Number.isNaN(Number(flags.sigma)) ? flags.sigma : Number(flags.sigma);
  set(model, 'beta', flags.beta);
  set(model, 'klWarmupEpochs', flags.klWarmup);
  set(model, 'freeBits', flags.freeBits);
  set(model, 'conditional', flags.conditional);
  set(model, 'patchSize', flags.patchSize);
  set(model, 'dim', flags.dim);
  set(model, 'heads', flags.heads);
  set(model, 'depth', flags.depth);
  if (flags.noise) model.noise = parseNoise(flags.noise);
  set(model, 'architecture', flags.architecture);
  set(model, 'generatorHidden', flags.generatorHidden);
  set(model, 'discriminatorHidden', flags.discriminatorHidden);
  set(model, 'discriminatorSteps', flags.discriminatorSteps);
  set(model, 'generatorLearningRate', flags.gLr);
  set(model, 'discriminatorLearningRate', flags.dLr);
  set(model, 'labelSmoothing', flags.labelSmoothing);
  set(model, 'instanceNoise', flags.instanceNoise);
  set(model, 'ema', flags.ema);
  set(model, 'acgan', flags.acgan);
  set(model, 'prior', flags.prior);
  set(model, 'semiSupervised', flags.semiSupervised);
  set(model, 'adversarialLoss', flags.adversarialLoss);
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
  out.write(`test (${result.splits.test.size} samples): ${test}\n`);
  out.write(`run:             ${result.runDir}\n`);
  out.write(`model:           ${paths.model}\n`);
  out.write(`metrics:         ${paths.metrics}\n`);
  if (existsSync(paths.loss)) out.write(`loss chart:      ${paths.loss} (train and validation per epoch)\n`);
  if (result.model.preview && result.splits.train.sampleShape.length === 3) {
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
  return new Command('train')
    .description(
      'train a model; writes a run directory with config, metrics, pictures, checkpoints and the model',
    )
    .option('--config <file>', 'JSON run config ({model, data, train, seed}); flags override it')
    .addOption(new Option('--model <kind>', 'model family').choices(kinds))
    .option('--data <spec>', 'mnist | fashion-mnist | idx:PATH | csv:PATH | images:DIR (default mnist)')
    .option('--latent <n>', 'latent (code) size', parseNumber('--latent', { integer: true, min: 1 }))
    .option(
      '--hidden <widths>',
      'dense hidden widths, input side first, e.g. 512,256 ("" for shallow)',
      parseIntList('--hidden'),
    )
    .option('--filters <channels>', 'conv channels per stride-2 stage, e.g. 32,64', parseIntList('--filters'))
    .option(
      '--activation <name>',
      'relu | leakyRelu | elu | selu | tanh | sigmoid | linear (attention-ae also gelu)',
    )
    .option('--loss <name>', 'autoencoders: reconstruction loss mse | bce')
    .option('--noise <type[:level]>', 'denoising: gaussian | masking | salt-and-pepper, e.g. gaussian:0.3')
    .option(
      '--sparsity <weight>',
      'sparse autoencoder: L1 weight on the code',
      parseNumber('--sparsity', { min: 0 }),
    )
    .option('--likelihood <name>', 'VAE decoder likelihood: bernoulli | gaussian')
    .option('--sigma <s>', 'VAE gaussian scale: a number, learned, or learned-per-pixel')
    .option('--beta <b>', 'VAE: weight of the KL term (beta-VAE)', parseNumber('--beta', { min: 0 }))
    .option(
      '--kl-warmup <epochs>',
      'VAE: ramp the KL weight up over this many epochs',
      parseNumber('--kl-warmup', { integer: true, min: 0 }),
    )
    .option(
      '--free-bits <nats>',
      'VAE: KL floor per latent dimension',
      parseNumber('--free-bits', { min: 0 }),
    )
    .option('--conditional', 'conv-vae, vae, gan: condition the model on class labels')
    .option('--architecture <name>', 'gan, vaegan, classifier, aae: dense | conv')
    .option(
      '--generator-hidden <widths>',
      'gan (dense): generator widths, noise side first',
      parseIntList('--generator-hidden'),
    )
    .option(
      '--discriminator-hidden <widths>',
      'gan (dense): discriminator widths, input side first',
      parseIntList('--discriminator-hidden'),
    )
    .option(
      '--discriminator-steps <n>',
      'gan: discriminator updates per generator update (default 5 for wgan-gp, else 1)',
      parseNumber('--discriminator-steps', { integer: true, min: 1 }),
    )
    .option(
      '--g-lr <rate>',
      'gan: generator Adam learning rate (default 2e-4)',
      parseNumber('--g-lr', { min: 0 }),
    )
    .option(
      '--d-lr <rate>',
      'gan: discriminator Adam learning rate (default 2e-4)',
      parseNumber('--d-lr', { min: 0 }),
    )
    .option(
      '--label-smoothing <s>',
      'gan: one-sided label smoothing (real targets 1 - s)',
      parseNumber('--label-smoothing', { min: 0 }),
    )
    .option(
      '--instance-noise <std>',
      'gan: Gaussian noise on every discriminator input',
      parseNumber('--instance-noise', { min: 0 }),
    )
    .option(
      '--ema <decay>',
      'gan: EMA of generator weights for sampling, e.g. 0.999',
      parseNumber('--ema', { min: 0 }),
    )
    .option('--acgan', 'gan: auxiliary-classifier GAN')
    .option('--prior <prior>', 'aae: prior over codes, gaussian | mixture | uniform')
    .option('--semi-supervised', 'aae: categorical head trained on the labels kept by --labels-per-class')
    .option(
      '--adversarial-loss <loss>',
      'gan, aae, latentgan, aegan, vaegan: the GAN objective (non-saturating, minimax, lsgan, wgan-gp, hinge)',
    )
    .option(
      '--set <key=value>',
      'any model option by its config name (repeatable), e.g. --set instanceNoiseEpochs=10',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option(
      '--patch-size <n>',
      'attention-ae: patch side in pixels',
      parseNumber('--patch-size', { integer: true, min: 1 }),
    )
    .option('--dim <n>', 'attention-ae: token width', parseNumber('--dim', { integer: true, min: 1 }))
    .option('--heads <n>', 'attention-ae: attention heads', parseNumber('--heads', { integer: true, min: 1 }))
    .option(
      '--depth <n>',
      'attention-ae: transformer blocks per side',
      parseNumber('--depth', { integer: true, min: 1 }),
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
        if (flags.resume) {
          report(await resumeRun(flags.resume, { ...options, epochs: flags.epochs }));
        } else {
          const config = await runConfigFromFlags(flags);
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
}
