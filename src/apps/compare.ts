// Compare model families on one dataset with one latent size: train each (or reuse/resume its run), then judge
// them all by the same figures (reconstruction, sample quality, linear probe, codes against the prior, speed)
// and write DIR/comparison.{md,json,png}.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { type Dataset, head, sampleSize } from '../data/dataset.js';
import { loadData } from '../data/load.js';
import { DataSpec, formatDataSpec, isTextSpec } from '../data/spec.js';
import { rowsAsText } from '../data/text/vocabulary.js';
import { ConfigError, IoError } from '../errors.js';
import { codePrior, drawSamples, type Sampler } from '../eval/code-prior.js';
import { encodeDataset, reconstructionErrors } from '../eval/codes.js';
import { classifierOutputs, domainFeatureSpace, loadDomainClassifier } from '../eval/domain-classifier.js';
import { samplePrior } from '../eval/generate.js';
import { evaluateLikelihood } from '../eval/likelihood.js';
import { frechetDistance, knnRadiiSquared, type SampleQuality, sampleQuality } from '../eval/metrics.js';
import { type LinearProbe, linearProbe } from '../eval/probe.js';
import type { OnProgress } from '../eval/progress.js';
import { domainClassifierFor } from '../eval/quality.js';
import { evaluateText, type TextReport } from '../eval/text.js';
import { mmdTest, type TwoSampleTest } from '../eval/two-sample.js';
import type { Matrix } from '../io/arrays.js';
import { writeFileAtomic } from '../io/atomic.js';
import { markdownTable } from '../io/markdown.js';
import { loadModel } from '../io/model-files.js';
import { encodeTitledPanels } from '../io/plot.js';
import { encodeImageGrid } from '../io/png.js';
import type { ModelConfigInput } from '../models/configs.js';
import {
  type Autoencoder,
  hasLikelihood,
  isAutoencoder,
  isGenerative,
  type TrainableModel,
} from '../models/family.js';
import { listFamilies, parseModelConfig } from '../models/registry.js';
import { writesSentences } from '../models/seq/model.js';
import type { RunConfigInput } from '../train/config.js';
import { parseRunConfig, type RunOptions, resumeRun, trainRun } from '../train/run.js';
import { runPaths } from '../train/run-dir.js';
import { modelData } from './model-data.js';

/** Families of images and other fixed-size samples, compared when none are named. */
export const IMAGE_FAMILIES = ['ae', 'vae', 'gan', 'aae', 'vaegan', 'latentgan', 'aegan'] as const;
/**
 * The VAE zoo (issue 21), compared when named (`--families vae,iwae,wae`): VAE variants under their kinds, and the
 * beta-VAE. A new variant adds its kind here and its entry in ZOO_DEFAULTS.
 */
export const ZOO_FAMILIES = [
  'beta-vae',
  'iwae',
  'wae',
  'info-vae',
  'rae-l2',
  'rae-gp',
  'msssim-vae',
  'vamp-prior',
  'beta-tcvae',
  'factor-vae',
  'dip-vae',
  'vae-nf',
  'vae-iaf',
] as const;
/** Families of text (token ids): the language model is the baseline a text VAE is judged against. */
export const TEXT_FAMILIES = ['lm', 'seq-ae', 'seq-vae'] as const;
export const COMPARE_FAMILIES = [...IMAGE_FAMILIES, ...ZOO_FAMILIES, ...TEXT_FAMILIES] as const;
export const CompareFamily = z.enum(COMPARE_FAMILIES, {
  error: (issue) =>
    `unknown family ${JSON.stringify(issue.input)}: expected one of ${COMPARE_FAMILIES.join(', ')}`,
});
export type CompareFamily = z.infer<typeof CompareFamily>;

interface FamilyEntry {
  /** Model config without `latent` (every family gets --latent). */
  model: { kind: string } & Record<string, unknown>;
  /** Training settings of this family that differ from the shared ones (flags still win). */
  train?: { batchSize?: number; optimizer?: { learningRate?: number; beta1?: number; beta2?: number } };
  /** Epochs this family trains for `--epochs N` (default N): a two-stage family may add a stage on top. */
  trainEpochs?: (epochs: number) => number;
  /** Model options that depend on the run's epochs (the phases of a multi-stage hybrid), so every family gets the same budget. */
  phases?: (epochs: number) => Record<string, unknown>;
  /** How the table names it. */
  description: string;
  /** The family has no code (a language model): --latent does not apply to it. */
  noLatent?: true;
}

/** The VAE zoo's entries: each variant with its own defaults (dense 512-256 bodies, like the vae's). */
const ZOO_DEFAULTS: Record<(typeof ZOO_FAMILIES)[number], FamilyEntry> = {
  'beta-vae': { model: { kind: 'vae', beta: 4 }, description: 'beta-VAE (beta = 4)' },
  iwae: { model: { kind: 'iwae' }, description: 'importance-weighted autoencoder (k = 5)' },
  wae: { model: { kind: 'wae' }, description: 'Wasserstein autoencoder (MMD)' },
  'info-vae': { model: { kind: 'info-vae' }, description: 'InfoVAE (MMD)' },
  'rae-l2': { model: { kind: 'rae-l2' }, description: 'regularised autoencoder (decoder weight decay)' },
  'rae-gp': { model: { kind: 'rae-gp' }, description: 'regularised autoencoder (decoder gradient penalty)' },
  'msssim-vae': { model: { kind: 'msssim-vae' }, description: 'VAE on 1 - MS-SSIM' },
  'vamp-prior': { model: { kind: 'vamp-prior' }, description: 'VAE with a VampPrior' },
  'beta-tcvae': { model: { kind: 'beta-tcvae' }, description: 'beta-TCVAE' },
  'factor-vae': { model: { kind: 'factor-vae' }, description: 'FactorVAE' },
  'dip-vae': { model: { kind: 'dip-vae' }, description: 'DIP-VAE' },
  'vae-nf': { model: { kind: 'vae-nf' }, description: 'VAE with planar flows in the posterior' },
  'vae-iaf': { model: { kind: 'vae-iaf' }, description: 'VAE with an IAF posterior' },
};

/** Each family's default config in one table; `--config FILE` overrides model options per family. */
export const FAMILY_DEFAULTS: Record<CompareFamily, FamilyEntry> = {
  ...ZOO_DEFAULTS,
  ae: { model: { kind: 'dense-ae', hidden: [512, 256] }, description: 'dense autoencoder' },
  vae: { model: { kind: 'vae' }, description: 'variational autoencoder' },
  gan: {
    // The dense GAN's samples stay speckled for many epochs; an averaged generator (EMA) smooths them out.
    model: {
      kind: 'gan',
      architecture: 'dense',
      generatorHidden: [256, 512],
      discriminatorHidden: [512, 256],
      ema: 0.999,
    },
    description: 'GAN (MLP, EMA generator)',
  },
  aae: { model: { kind: 'aae' }, description: 'adversarial autoencoder' },
  vaegan: { model: { kind: 'vaegan' }, description: 'VAE-GAN' },
  latentgan: {
    model: { kind: 'latentgan' },
    // The autoencoder gets the same N epochs as `ae` (whose samples come from a Gaussian fitted to its codes),
    // then N epochs of the GAN on its codes: the comparison asks whether a GAN beats that Gaussian.
    trainEpochs: (epochs) => 2 * epochs,
    phases: (epochs) => ({
      autoencoderEpochs: epochs,
      ganEpochs: epochs,
      generatorLearningRate: 3e-4,
      discriminatorLearningRate: 3e-4,
    }),
    description: 'GAN on autoencoder codes',
  },
  aegan: {
    model: { kind: 'aegan' },
    // A quarter of the epochs pretrain the autoencoder; the adversarial phase needs the rest.
    phases: (epochs) => ({ pretrainEpochs: Math.max(1, Math.round(epochs / 4)) }),
    description: 'AE-GAN',
  },
  // Text: Bowman et al. (2016) judge a sentence VAE by its likelihood bound against an RNN language model
  // with the same decoder, trained alike; the seq-ae shows what a code without a prior gives.
  lm: { model: { kind: 'lm' }, noLatent: true, description: 'RNN language model' },
  'seq-ae': { model: { kind: 'seq-ae' }, description: 'sequence autoencoder' },
  'seq-vae': { model: { kind: 'seq-vae' }, description: 'sentence VAE' },
};

/** The families compared when none are named: the text ones on text data, the image ones otherwise. */
export function defaultFamilies(data: DataSpec): CompareFamily[] {
  return isTextSpec(data) ? ['lm', 'seq-vae'] : [...IMAGE_FAMILIES];
}

const isTextFamily = (family: CompareFamily) => (TEXT_FAMILIES as readonly string[]).includes(family);

/** Model options per family from --config FILE: `{ "vae": { "beta": 2 }, ... }`. */
export const FamilyOverrides = z.partialRecord(CompareFamily, z.record(z.string(), z.unknown()));
export type FamilyOverrides = z.infer<typeof FamilyOverrides>;

export const CompareOptions = z.object({
  data: DataSpec,
  /** Default: by the data (defaultFamilies). */
  families: z
    .array(CompareFamily)
    .min(1)
    .refine((list) => new Set(list).size === list.length, 'a family is listed twice')
    .optional(),
  latent: z.number().int().positive(),
  epochs: z.number().int().positive(),
  /** Default: the family's entry, else 128. */
  batchSize: z.number().int().positive().optional(),
  /** Generated samples scored per family (0 skips sample quality; the picture still gets 64). */
  samples: z.number().int().min(0).default(10_000),
  /** Train (and fit probes and code priors) on the first n training samples; 0 means all. */
  limit: z.number().int().min(0).default(0),
  seed: z.number().int().min(0).default(0),
  /** Where the runs (DIR/<family>) and the comparison files go. */
  out: z.string().min(1),
  overrides: FamilyOverrides.default({}),
  /** Where `overrides` came from, for error messages (e.g. the --config file). */
  overridesSource: z.string().default('overrides'),
  /** Relabellings for the codes-vs-prior p-value. */
  permutations: z.number().int().positive().default(200),
  /** Text: importance samples of the IWAE bound on a VAE's NLL (Burda et al.; Bowman et al. report k = 100). */
  k: z.number().int().positive().default(100),
  /** Images: importance samples of the IWAE bound on -log p(x), the NLL column of models with a likelihood. */
  nllK: z.number().int().positive().default(1000),
  /** Images: the NLL column is measured on the first n test images (0: no NLL column figures). */
  nllImages: z.number().int().min(0).default(1000),
  /** The command line that produced the comparison, written beside the table. */
  command: z.string().optional(),
});
export type CompareOptions = z.output<typeof CompareOptions> & { families: CompareFamily[] };
export type CompareOptionsInput = z.input<typeof CompareOptions>;

/** Validate options; `name` maps a field to what the user typed (e.g. latent → --latent) for error paths. */
export function parseCompareOptions(
  raw: unknown,
  name: (field: string) => string = (f) => f,
): CompareOptions {
  const parsed = CompareOptions.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const [field, ...rest] = issue.path.map(String);
    if (field === 'overrides') {
      const source = (raw as { overridesSource?: string }).overridesSource ?? 'overrides';
      const message =
        issue.code === 'unrecognized_keys'
          ? `unknown family "${issue.keys[0]}": expected one of ${COMPARE_FAMILIES.join(', ')}`
          : issue.message;
      throw new ConfigError(message, { path: rest.length > 0 ? `${source}#${rest.join('.')}` : source });
    }
    // A family list's index says nothing the message does not.
    const inner = field === 'families' ? [] : rest;
    const where = [field === undefined ? '' : name(field), ...inner].filter(Boolean).join('.');
    throw new ConfigError(issue.message, { path: where || undefined });
  }
  const options = { ...parsed.data, families: parsed.data.families ?? defaultFamilies(parsed.data.data) };
  const text = isTextSpec(options.data);
  const misfits = options.families.filter((family) => isTextFamily(family) !== text);
  if (misfits.length > 0) {
    throw new ConfigError(
      text
        ? `${misfits.join(', ')}: image families, and ${formatDataSpec(options.data)} is text; on text compare ${TEXT_FAMILIES.join(', ')}`
        : `${misfits.join(', ')}: text families, and ${formatDataSpec(options.data)} is not text; give text data (text:PATH, brown, spam-assassin) or compare ${IMAGE_FAMILIES.join(', ')}`,
      { path: name('families') },
    );
  }
  return options;
}

export type RunAction = 'trained' | 'resumed' | 'extended' | 'reused';

export interface FamilyResult {
  family: CompareFamily;
  kind: string;
  runDir: string;
  action: RunAction;
  epochs: number;
  /** Test reconstruction MSE per value (models with an encoder). */
  testMse?: number;
  /**
   * Images, models with a likelihood: the mean IWAE bound on -log p(x) in nats over the first `images` test images
   * with k importance samples, and the one-draw -ELBO beside it.
   */
  nll?: { iwae: number; negElbo: number; k: number; images: number };
  /** Where samples come from: the model's prior, or a Gaussian fitted to its training codes (plain AEs). */
  sampler: 'prior' | 'gaussian fit to codes';
  quality?: SampleQuality;
  probe?: LinearProbe;
  /** Test codes against prior draws (models whose prior is over the codes). */
  codesVsPrior?: TwoSampleTest;
  /** Text: NLL and perplexity on the test split (the IWAE bound for a VAE), KL, active units, token accuracy. */
  text?: TextReport;
  /** Text: a few sentences the model writes (prior draws decoded greedily; a language model from <bos>). */
  sentences?: string[];
  trainSeconds: number;
  samplesPerSecond: number;
}

export interface Comparison {
  command?: string;
  data: string;
  latent: number;
  epochs: number;
  limit: number;
  seed: number;
  samples: number;
  /** e.g. "FD (latentlab mnist classifier)", when the data has a shipped classifier. */
  fdName?: string;
  /** FD of the training split against the test split: the floor for every model. */
  floorFrechetDistance?: number;
  /** Text: the IWAE's importance samples. */
  k?: number;
  /** Images: the NLL column's importance samples and test images. */
  nll?: { k: number; images: number };
  families: FamilyResult[];
  files: { markdown: string; json: string; png?: string };
}

export interface CompareHooks {
  /** Progress lines (which family, training or reusing, evaluating). */
  log?: (line: string) => void;
  /** Passed to trainRun/resumeRun (callbacks, signal, environment). */
  run?: RunOptions;
  /** Evaluating a family: its codes ('<family>: encode train', '… encode test') and samples ('<family>: sample'). */
  onProgress?: OnProgress;
}

const SummaryFile = z.object({
  epochs: z.number(),
  trainSeconds: z.number(),
  meanSamplesPerSecond: z.number(),
});

const StoredRun = z.object({
  model: z.record(z.string(), z.unknown()),
  data: z.unknown(),
  seed: z.number(),
  train: z.object({ epochs: z.number(), batchSize: z.number(), limit: z.number() }).passthrough(),
});

/** One family of a comparison, checked and looked up before anything trains. */
export interface FamilyPlan {
  family: CompareFamily;
  kind: string;
  runDir: string;
  config: RunConfigInput;
  /** What to do with DIR/<family>. */
  action: RunAction;
}

/** The run config of `family` in this comparison (its entry, the overrides, the shared settings). */
export function familyConfig(options: CompareOptions, family: CompareFamily): RunConfigInput {
  const entry = FAMILY_DEFAULTS[family];
  const override = options.overrides[family] ?? {};
  for (const key of ['kind', 'latent'] as const) {
    if (key in override) {
      throw new ConfigError(
        key === 'kind'
          ? `the model kind of "${family}" is fixed (${entry.model.kind}); pick families with --families`
          : entry.noLatent
            ? `"${family}" has no code, so no latent size`
            : 'the latent size is the same for every family: set it with --latent',
        { path: `${options.overridesSource}#${family}.${key}` },
      );
    }
  }
  return {
    // Overrides come from a file: checked against the family's schema when the run starts.
    model: {
      ...entry.model,
      ...entry.phases?.(options.epochs),
      ...override,
      ...(entry.noLatent ? {} : { latent: options.latent }),
    } as ModelConfigInput,
    data: options.data,
    seed: options.seed,
    train: {
      ...entry.train,
      epochs: entry.trainEpochs?.(options.epochs) ?? options.epochs,
      batchSize: options.batchSize ?? entry.train?.batchSize ?? 128,
      limit: options.limit,
    },
  };
}

/**
 * `family`'s run config, checked (a mistake in its model options names `where`, by default the overrides' file and
 * family), and what its run directory must hold for it to be reused.
 */
export function checkFamily(
  options: CompareOptions,
  family: CompareFamily,
  where?: string,
): { kind: string; config: RunConfigInput; run: WantedRun } {
  const kind = FAMILY_DEFAULTS[family].model.kind;
  const registered = new Set(listFamilies().map((f) => f.kind));
  if (!registered.has(kind)) {
    throw new ConfigError(
      `family "${family}" needs model kind "${kind}", which is not available (registered kinds: ${[...registered].join(', ')})`,
      { path: '--families' },
    );
  }
  const config = familyConfig(options, family);
  const at =
    where ?? (options.overrides[family] ? `${options.overridesSource}#${family}` : `families.${family}`);
  const model = parseModelConfig(config.model, at).config;
  return { kind, config, run: { ...parseRunConfig(config), model } };
}

/** `family`'s plan with its run in `runDir` (compare's is OUT/<family>). */
export async function planFamily(
  options: CompareOptions,
  family: CompareFamily,
  runDir = join(options.out, family),
): Promise<FamilyPlan> {
  const { kind, config, run } = checkFamily(options, family);
  return { family, kind, runDir, config, action: await runAction(runDir, run) };
}

/** Validate every family's config and look at its run directory before anything trains. */
async function plan(options: CompareOptions): Promise<FamilyPlan[]> {
  const plans: FamilyPlan[] = [];
  for (const family of options.families) plans.push(await planFamily(options, family));
  return plans;
}

/** The first field (dotted path) where two JSON values differ, or undefined when they are equal. */
export function firstDifference(
  stored: unknown,
  wanted: unknown,
  path = '',
): { path: string; stored: unknown; wanted: unknown } | undefined {
  const a = JSON.parse(JSON.stringify(stored ?? null));
  const b = JSON.parse(JSON.stringify(wanted ?? null));
  const isObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObject(a) && isObject(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const inner = firstDifference(a[key], b[key], path ? `${path}.${key}` : key);
      if (inner) return inner;
    }
    return undefined;
  }
  return isDeepStrictEqual(a, b) ? undefined : { path, stored: a, wanted: b };
}

/** The run a family asks for, as its run directory's config is checked against. */
interface WantedRun {
  model: unknown;
  data: unknown;
  seed: number;
  train: { epochs: number; batchSize: number; limit: number };
}

/** What a run directory holds: nothing (train), a finished run (reuse or extend), or an unfinished one (resume). */
async function runAction(runDir: string, wanted: WantedRun): Promise<RunAction> {
  if (!existsSync(runDir) || (await readdir(runDir)).length === 0) return 'trained';
  const paths = runPaths(runDir);
  let stored: z.infer<typeof StoredRun>;
  try {
    stored = StoredRun.parse(JSON.parse(await readFile(paths.config, 'utf8')));
  } catch (error) {
    throw new IoError(
      'exists but is not a run directory (no readable config.json): remove it or pick another --out',
      {
        path: runDir,
        cause: error,
      },
    );
  }
  const differs = firstDifference(
    {
      // Through the schema, so options added since the run was made compare as their defaults.
      model: parseModelConfig(stored.model, `${paths.config}#model`).config,
      data: stored.data,
      seed: stored.seed,
      train: { batchSize: stored.train.batchSize, limit: stored.train.limit },
    },
    {
      model: wanted.model,
      data: wanted.data,
      seed: wanted.seed,
      train: { batchSize: wanted.train.batchSize, limit: wanted.train.limit },
    },
  );
  if (differs) {
    throw new ConfigError(
      `holds a run with ${differs.path} ${JSON.stringify(differs.stored)}, not ${JSON.stringify(differs.wanted)} as asked: remove it or pick another --out`,
      { path: runDir },
    );
  }
  if (stored.train.epochs > wanted.train.epochs) {
    throw new ConfigError(
      `holds a run of ${stored.train.epochs} epochs, more than the ${wanted.train.epochs} asked for (pass --epochs ${stored.train.epochs}, or pick another --out)`,
      { path: runDir },
    );
  }
  const finished = existsSync(paths.summary) && existsSync(join(paths.model, 'manifest.json'));
  if (!finished) return 'resumed';
  return stored.train.epochs < wanted.train.epochs ? 'extended' : 'reused';
}

/**
 * Whether the model's prior lives in its code space: samples are the decoded prior draws (vae, aae, vaegan),
 * rather than a generator's output (latentgan, aegan map noise to codes first). The model says so itself.
 */
export function priorOverCodes(model: TrainableModel): model is Autoencoder & Sampler {
  return isAutoencoder(model) && isGenerative(model) && model.encodesToPrior === true;
}

/** Prior draws as a matrix [n, latent]. */
function priorDraws(model: Sampler, n: number, seed: number): Matrix {
  const z = model.samplePrior(n, seed);
  const data = z.dataSync() as Float32Array;
  const cols = z.shape[1] ?? 0;
  z.dispose();
  return { rows: n, cols, data };
}

/** The shipped classifier's judge of generated samples (data with a classifier only). */
export interface Judge {
  numClasses: number;
  fdName: string;
  /** FD of the training split against the test split. */
  floor: number;
  score(images: Float32Array): SampleQuality;
  dispose(): void;
}

async function domainJudge(spec: DataSpec, test: Dataset, train: Dataset): Promise<Judge | undefined> {
  const name = domainClassifierFor(spec);
  if (!name) return undefined;
  const classifier = await loadDomainClassifier(name);
  const real = classifierOutputs(classifier, test).features;
  const floor = frechetDistance(real, classifierOutputs(classifier, train).features);
  const featureSpace = domainFeatureSpace(name);
  const numClasses = classifier.context.numClasses ?? 10;
  // The real set's k-NN radii are the larger half of precision/recall's cost: computed once for all families.
  const realRadiiSquared = knnRadiiSquared(real, 3);
  return {
    numClasses,
    fdName: `FD (${featureSpace})`,
    floor,
    score(images) {
      const fake = classifierOutputs(classifier, images);
      return sampleQuality(real, fake.features, fake.labels, numClasses, {
        featureSpace,
        k: 3,
        realRadiiSquared,
      });
    },
    dispose: () => classifier.dispose(),
  };
}

async function ensureRun(p: FamilyPlan, options: CompareOptions, hooks: CompareHooks): Promise<boolean> {
  const log = hooks.log ?? (() => {});
  const runOptions: RunOptions = { ...hooks.run };
  switch (p.action) {
    case 'reused':
      log(`${p.family} (${p.kind}): reusing the finished run in ${p.runDir}`);
      return true;
    case 'trained': {
      const epochs = p.config.train?.epochs ?? options.epochs;
      log(`${p.family} (${p.kind}): training for ${epochs} epoch${epochs === 1 ? '' : 's'} → ${p.runDir}`);
      const result = await trainRun(p.config, p.runDir, runOptions);
      result.model.dispose();
      return !result.aborted;
    }
    default: {
      log(
        `${p.family} (${p.kind}): ${p.action === 'resumed' ? 'resuming' : 'extending'} the run in ${p.runDir}`,
      );
      const result = await resumeRun(p.runDir, {
        ...runOptions,
        epochs: p.config.train?.epochs ?? options.epochs,
      });
      result.model.dispose();
      return !result.aborted;
    }
  }
}

/** What a family's run says of itself (its summary), before any figure is computed. */
async function runResult(p: FamilyPlan): Promise<FamilyResult> {
  const summary = SummaryFile.parse(JSON.parse(await readFile(runPaths(p.runDir).summary, 'utf8')));
  return {
    family: p.family,
    kind: p.kind,
    runDir: p.runDir,
    action: p.action,
    epochs: summary.epochs,
    sampler: 'prior',
    trainSeconds: summary.trainSeconds,
    samplesPerSecond: summary.meanSamplesPerSecond,
  };
}

async function evaluateFamily(
  p: FamilyPlan,
  options: CompareOptions,
  splits: { train: Dataset; test: Dataset },
  judge: Judge | undefined,
  onProgress?: OnProgress,
): Promise<{ result: FamilyResult; grid?: Buffer }> {
  const progress = (task: string): OnProgress | undefined =>
    onProgress && ((q) => onProgress({ ...q, task: `${p.family}: ${task}` }));
  const result = await runResult(p);
  const { model } = await loadModel(runPaths(p.runDir).model);
  try {
    // A model that says its codes are not in its prior's space (an RAE: no prior at all) is sampled like a plain
    // autoencoder, from a Gaussian fitted to its codes, as Ghosh et al. and pythae sample it.
    const priorSamples = isGenerative(model) && !(isAutoencoder(model) && model.encodesToPrior === false);
    let sampler: Sampler | undefined = priorSamples ? model : undefined;
    if (options.nllImages > 0 && model.context.sampleShape.length === 3 && hasLikelihood(model)) {
      // evaluateLikelihood takes the test images in batches that keep batch · k bounded, and the bound splits k.
      const report = await evaluateLikelihood(model, head(splits.test, options.nllImages), {
        k: options.nllK,
        seed: options.seed,
        reconstruction: false,
        onProgress: progress('nll'),
      });
      result.nll = { iwae: report.iwae, negElbo: report.negElbo, k: report.k, images: report.samples };
    }
    if (isAutoencoder(model)) {
      result.testMse = (await reconstructionErrors(model, splits.test)).mean;
      const trainCodes = await encodeDataset(model, splits.train, undefined, progress('encode train'));
      const testCodes = await encodeDataset(model, splits.test, undefined, progress('encode test'));
      if (splits.train.labels && splits.test.labels) {
        result.probe = linearProbe(trainCodes, splits.train.labels, testCodes, splits.test.labels, {
          numClasses: splits.train.classNames?.length,
        });
      }
      if (!sampler) {
        // Not cached: these are the codes of the (limited) training set this comparison trained on.
        sampler = await codePrior(model, { codes: trainCodes });
        result.sampler = 'gaussian fit to codes';
      }
      if (priorOverCodes(model)) {
        const prior = priorDraws(model, Math.min(testCodes.rows, 1000), options.seed + 1);
        result.codesVsPrior = mmdTest(testCodes, prior, {
          seed: options.seed,
          permutations: options.permutations,
          maxPoints: 1000,
        });
      }
    }
    if (!sampler) return { result };
    const drawn = Math.max(options.samples, 64);
    const images = await drawSamples(sampler, drawn, options.seed, undefined, progress('sample'));
    if (judge && options.samples > 0)
      result.quality = judge.score(images.subarray(0, options.samples * perSample(model)));
    const shape = model.context.sampleShape;
    const grid =
      shape.length === 3
        ? encodeImageGrid(images.subarray(0, 64 * perSample(model)), shape, { rows: 8, cols: 8, scale: 2 })
        : undefined;
    return { result, grid };
  } finally {
    model.dispose();
  }
}

/** Sentences each text family writes into the comparison. */
const TEXT_SAMPLES = 5;

/**
 * A text family, judged on its own test split (loaded with its saved vocabulary, so the ids are the ones it was
 * trained with): NLL per token and perplexity (the IWAE bound for a VAE, exact for a language model), KL and
 * active units, token accuracy, and a few sentences written greedily from its prior (or from <bos>).
 */
async function evaluateTextFamily(
  p: FamilyPlan,
  options: CompareOptions,
  onProgress?: OnProgress,
): Promise<{ result: FamilyResult }> {
  const result = await runResult(p);
  const loaded = await loadModel(runPaths(p.runDir).model);
  const { model, manifest } = loaded;
  try {
    const { test } = await modelData(loaded);
    const text = await evaluateText(model, test, {
      k: options.k,
      seed: options.seed,
      onProgress: onProgress && ((q) => onProgress({ ...q, task: `${p.family}: ${q.task ?? 'evaluate'}` })),
    });
    const vocabulary = manifest.text;
    let sentences: string[] | undefined;
    if (vocabulary) {
      const ids = writesSentences(model)
        ? model.writeSentences(TEXT_SAMPLES)
        : isGenerative(model)
          ? samplePrior(model, TEXT_SAMPLES, options.seed)
          : undefined;
      if (ids) {
        sentences = rowsAsText(vocabulary, (await ids.data()) as Float32Array, TEXT_SAMPLES);
        ids.dispose();
      }
    }
    result.text = text;
    if (sentences) result.sentences = sentences;
    return { result };
  } finally {
    model.dispose();
  }
}

function perSample(model: TrainableModel): number {
  return sampleSize(model.context);
}

const dash = '—';
const fixed = (v: number | undefined, digits: number) => (v === undefined ? dash : v.toFixed(digits));
const precise = (v: number | undefined, digits: number) => (v === undefined ? dash : v.toPrecision(digits));

/**
 * Text families side by side: NLL per token and per sentence, perplexity, and how far each is from the language
 * model's NLL (the bar a sentence VAE is held to), beside the VAE's KL and active units.
 */
export function textComparisonTable(c: Omit<Comparison, 'files'>): string {
  const lm = c.families.find((f) => f.family === 'lm')?.text?.nllPerToken;
  const header = [
    'family',
    'model',
    'NLL/token',
    'perplexity',
    'NLL/sentence',
    'vs lm',
    'KL/sentence',
    'active units',
    'token accuracy',
    'train s',
    'samples/s',
  ];
  const rows = c.families.map((f) => {
    const t = f.text;
    const perSentence =
      t?.nllPerToken === undefined ? undefined : (t.nllPerToken * t.tokens) / Math.max(1, t.sentences);
    const versus =
      lm === undefined || t?.nllPerToken === undefined || f.family === 'lm'
        ? dash
        : `${t.nllPerToken >= lm ? '+' : ''}${((100 * (t.nllPerToken - lm)) / lm).toFixed(2)}%`;
    return [
      f.family,
      f.kind,
      fixed(t?.nllPerToken, 4),
      fixed(t?.perplexity, 2),
      fixed(perSentence, 2),
      versus,
      fixed(t?.kl, 2),
      t?.activeUnits === undefined ? dash : `${t.activeUnits}/${t.latent}`,
      t?.tokenAccuracy === undefined ? dash : `${(100 * t.tokenAccuracy).toFixed(1)}%`,
      f.trainSeconds.toFixed(1),
      Math.round(f.samplesPerSecond).toString(),
    ];
  });
  return markdownTable(header, rows);
}

/** The comparison as a Markdown table (columns padded, so it also reads on a terminal). */
export function comparisonTable(c: Omit<Comparison, 'files'>): string {
  if (c.families.some((f) => f.text)) return textComparisonTable(c);
  const fd = c.fdName ?? 'FD';
  const header = [
    'family',
    'model',
    'test MSE',
    'NLL',
    fd,
    'KID',
    'precision',
    'recall',
    'classes',
    'KL from uniform',
    'probe accuracy',
    'MMD² codes vs prior',
    'p',
    'train s',
    'samples/s',
  ];
  const rows = c.families.map((f) => [
    f.family + (f.sampler === 'gaussian fit to codes' ? '*' : ''),
    f.kind,
    precise(f.testMse, 4),
    fixed(f.nll?.iwae, 2),
    fixed(f.quality?.frechetDistance, 2),
    fixed(f.quality?.kernelDistance.mean, 4),
    fixed(f.quality?.precision, 3),
    fixed(f.quality?.recall, 3),
    f.quality ? `${f.quality.coverage.covered}/${f.quality.coverage.numClasses}` : dash,
    fixed(f.quality?.coverage.klFromUniform, 4),
    f.probe ? `${(100 * f.probe.accuracy).toFixed(2)}%` : dash,
    precise(f.codesVsPrior?.mmd2, 3),
    precise(f.codesVsPrior?.pValue, 3),
    f.trainSeconds.toFixed(1),
    Math.round(f.samplesPerSecond).toString(),
  ]);
  return markdownTable(header, rows);
}

function textNotes(c: Comparison): string[] {
  return [
    `Data ${c.data}, latent size ${c.latent} (the language model has no code), ${c.epochs} epoch${c.epochs === 1 ? '' : 's'}${c.limit ? `, first ${c.limit} training sentences` : ''}, seed ${c.seed}; every family is scored on its own run's test split, tokenized with its saved vocabulary.`,
    `NLL per token in nats over every scored token (<eos> included, <pad> not): exact for the language model, the IWAE bound with k = ${c.k} importance samples for a VAE (an upper bound on its NLL). Perplexity = exp(NLL/token). "vs lm": the relative gap to the language model's NLL per token. KL/sentence: mean KL(q(z|x) || p(z)) in nats; active units: latent dimensions whose posterior mean varies over the test split by more than 0.01 (Burda et al.); token accuracy: tokens a greedy reconstruction gets exactly. Train s and samples/s from the run summaries.`,
  ];
}

function sentenceLists(c: Comparison): string[] {
  return c.families.flatMap((f) =>
    f.sentences
      ? [
          `${f.family} (${f.family === 'lm' ? 'from <bos>' : 'prior draws'}, greedy):`,
          '',
          ...f.sentences.map((s) => `- ${s || '(empty)'}`),
          '',
        ]
      : [],
  );
}

function markdown(c: Comparison, table: string): string {
  if (c.families.some((f) => f.text)) {
    return [
      '# Comparison',
      '',
      table,
      '',
      ...textNotes(c).flatMap((n) => [n, '']),
      ...sentenceLists(c),
      ...(c.command ? ['Command:', '', '```sh', c.command, '```', ''] : []),
    ].join('\n');
  }
  const notes = [
    `Data ${c.data}, latent size ${c.latent}, ${c.epochs} epoch${c.epochs === 1 ? '' : 's'}${c.limit ? `, first ${c.limit} training samples` : ''}, seed ${c.seed}.`,
    c.fdName
      ? `Sample quality of ${c.samples} generated samples per family against the test split, in the shipped classifier's features: ${c.fdName} (not FID, the features are not Inception's) with the train-vs-test floor at ${c.floorFrechetDistance?.toFixed(2)}${c.limit ? ` (the ${c.limit} training samples used)` : ''}; KID; precision/recall (k = 3); classes covered and KL of the predicted classes from uniform.`
      : 'No shipped classifier for this data: no sample-quality figures.',
    c.nll
      ? `NLL: the IWAE bound on -log p(x) in nats (Burda et al. 2016) with k = ${c.nll.k} importance samples on the first ${c.nll.images} test images, for models with a likelihood (a VAE's posterior; deterministic encoders and GANs have none).`
      : '',
    'Test MSE: reconstruction error per value on the test split. Probe accuracy: multinomial logistic regression trained on the training codes, scored on the test codes. MMD² codes vs prior: unbiased MMD² (Gaussian kernel, median-heuristic bandwidth) between test codes and prior draws, with its permutation p-value, for models whose prior is over the codes. Train s and samples/s from the run summaries.',
    c.families.some((f) => f.sampler === 'gaussian fit to codes')
      ? '\\* no prior: samples are decoded draws from a full-covariance Gaussian fitted to the training codes (the usual "AE + Gaussian" baseline).'
      : '',
  ].filter(Boolean);
  return [
    '# Comparison',
    '',
    table,
    '',
    ...notes.flatMap((n) => [n, '']),
    ...(c.files.png ? ['![one sample grid per family](comparison.png)', ''] : []),
    ...(c.command ? ['Command:', '', '```sh', c.command, '```', ''] : []),
  ].join('\n');
}

/** The image splits every family is judged on (the training part cut to --limit, as the runs were). */
async function imageSplits(
  options: CompareOptions,
  first: FamilyPlan,
): Promise<{ train: Dataset; test: Dataset }> {
  const reference = parseRunConfig(first.config);
  const loaded = await loadData(options.data, {
    seed: options.seed,
    validationFraction: reference.train.validationFraction,
  });
  return { train: options.limit ? head(loaded.train, options.limit) : loaded.train, test: loaded.test };
}

/**
 * What the families of one comparison are judged against, loaded on first need: the image splits and the shipped
 * classifier's judge (none on text, where each family reads its own splits). Shared by the families of one
 * `compareFamilies`; a sweep's entry, judged alone, loads its own (the same, from the same data and seed).
 */
export interface Judging {
  splits?: { train: Dataset; test: Dataset };
  judge?: Judge;
  /** FD's name and the train-vs-test floor, once the judge is loaded (kept when it is disposed). */
  fd?: { fdName: string; floor: number };
  dispose(): void;
}

export function judging(): Judging {
  return {
    dispose() {
      this.judge?.dispose();
      this.judge = undefined;
    },
  };
}

/** One family's figures (and its sample grid, for images). */
export interface ComparedFamily {
  result: FamilyResult;
  grid?: Buffer;
}

/**
 * One family of a comparison: its run trained, resumed, extended or reused as planned, then judged like every
 * other (undefined when training was stopped). `latentlab compare` and the sweep's compare entries both come here.
 */
export async function compareFamily(
  p: FamilyPlan,
  options: CompareOptions,
  bench: Judging,
  hooks: CompareHooks = {},
): Promise<ComparedFamily | undefined> {
  if (!(await ensureRun(p, options, hooks))) return undefined;
  hooks.log?.(`${p.family}: evaluating`);
  if (isTextSpec(options.data)) return evaluateTextFamily(p, options, hooks.onProgress);
  bench.splits ??= await imageSplits(options, p);
  if (!bench.judge && options.samples > 0) {
    bench.judge = await domainJudge(options.data, bench.splits.test, bench.splits.train);
    if (bench.judge) bench.fd = { fdName: bench.judge.fdName, floor: bench.judge.floor };
  }
  return evaluateFamily(p, options, bench.splits, bench.judge, hooks.onProgress);
}

/** Write the comparison's Markdown (notes and command), JSON and sample panels (when there are grids). */
export async function writeComparison(
  comparison: Omit<Comparison, 'files'>,
  grids: Array<{ title: string; png: Buffer }>,
  files: { markdown: string; json: string; png: string },
): Promise<Comparison & { table: string }> {
  const written: Comparison = {
    ...comparison,
    files: { markdown: files.markdown, json: files.json, ...(grids.length > 0 ? { png: files.png } : {}) },
  };
  const table = comparisonTable(written);
  await writeFileAtomic(files.markdown, markdown(written, table));
  await writeFileAtomic(files.json, `${JSON.stringify(written, null, 2)}\n`);
  if (written.files.png)
    await writeFileAtomic(written.files.png, encodeTitledPanels(grids, { textScale: 4 }));
  return { ...written, table };
}

/** Train (or reuse) every family, judge them alike, write DIR/comparison.{md,json,png}. */
export async function compareFamilies(
  input: CompareOptionsInput,
  hooks: CompareHooks = {},
): Promise<Comparison & { table: string; aborted: boolean }> {
  const options = parseCompareOptions(input);
  const log = hooks.log ?? (() => {});
  const plans = await plan(options);
  const results: FamilyResult[] = [];
  const grids: { title: string; png: Buffer }[] = [];
  const bench = judging();
  try {
    for (const [i, p] of plans.entries()) {
      log(`[${i + 1}/${plans.length}] ${p.family}`);
      const compared = await compareFamily(p, options, bench, hooks);
      if (!compared) {
        const partial = { ...comparisonOf(options, results, bench.fd), table: '', aborted: true };
        return { ...partial, files: { markdown: '', json: '' } };
      }
      results.push(compared.result);
      if (compared.grid) grids.push({ title: p.family, png: compared.grid });
    }
  } finally {
    bench.dispose();
  }
  const written = await writeComparison(comparisonOf(options, results, bench.fd), grids, {
    markdown: join(options.out, 'comparison.md'),
    json: join(options.out, 'comparison.json'),
    png: join(options.out, 'comparison.png'),
  });
  return { ...written, aborted: false };
}

/** The comparison's settings and its families' results (`fd`: the judge's FD name and floor, when judged). */
export function comparisonOf(
  options: CompareOptions,
  families: FamilyResult[],
  fd: { fdName: string; floor: number } | undefined,
): Omit<Comparison, 'files'> {
  return {
    ...(options.command ? { command: options.command } : {}),
    data: formatDataSpec(options.data),
    latent: options.latent,
    epochs: options.epochs,
    limit: options.limit,
    seed: options.seed,
    samples: options.samples,
    ...(isTextSpec(options.data)
      ? { k: options.k }
      : options.nllImages > 0
        ? { nll: { k: options.nllK, images: options.nllImages } }
        : {}),
    ...(fd ? { fdName: fd.fdName, floorFrechetDistance: fd.floor } : {}),
    families,
  };
}

/**
 * A family's figures by the comparison table's column names (the figures a sweep averages over seeds): what the
 * family has of test MSE, NLL, sample quality, probe accuracy, codes vs prior, and on text NLL/token and the rest.
 */
export function familyFigures(f: FamilyResult, fdName = 'FD'): Record<string, number> {
  const t = f.text;
  const figures: Record<string, number | undefined> = {
    'test MSE': f.testMse,
    NLL: f.nll?.iwae,
    [fdName]: f.quality?.frechetDistance,
    KID: f.quality?.kernelDistance.mean,
    precision: f.quality?.precision,
    recall: f.quality?.recall,
    'KL from uniform': f.quality?.coverage.klFromUniform,
    'probe accuracy': f.probe?.accuracy,
    'MMD² codes vs prior': f.codesVsPrior?.mmd2,
    'NLL/token': t?.nllPerToken,
    perplexity: t?.perplexity,
    'KL/sentence': t?.kl,
    'token accuracy': t?.tokenAccuracy,
  };
  return Object.fromEntries(
    Object.entries(figures).filter((entry): entry is [string, number] => entry[1] !== undefined),
  );
}
