// What every model family provides: a config schema, a builder, and the model's training step.
// Shared code (trainer, CLI, persistence) only talks to these interfaces, never to a family by name.
import type { z } from 'zod';
import type { AudioFeatures } from '../data/audio/features.js';
import type { Dataset } from '../data/dataset.js';
import type { CategoricalMethod, NumericMethod, TableEncoding } from '../data/table/encoding.js';
import type { Scalar, Tensor, tf, tfl } from '../engine/tf.js';

/** Facts about the data a model is built for. */
export interface BuildContext {
  /** Shape of one sample, e.g. [28, 28, 1] or [features]. */
  sampleShape: number[];
  numClasses?: number;
  /** Tokens in the vocabulary of text data (token ids are 0 .. vocabularySize - 1); absent for other data. */
  vocabularySize?: number;
  /** Seeds weight initialisers, so a run with the same seed starts from the same weights. */
  seed: number;
  /** Audio data: the features the samples were made with (white-noise training needs their dB range and bands). */
  audio?: AudioFeatures;
  /** Tables of mixed types: the column encoders, whose spans (tableSpans) say what each position means. */
  table?: TableEncoding;
}

/** A mini-batch handed to a training step. */
export interface Batch {
  /** [batch, ...sampleShape] */
  x: Tensor;
  /** [batch] int32 class labels, when the data has them. */
  labels?: Tensor;
  /** Global step number, used to seed per-step randomness (noise, sampling). */
  step: number;
  /** [batch, ...sampleShape] float32, 1 where the cell was observed, 0 where missing (tables with gaps only). */
  mask?: Tensor;
  /** 1-based epoch during training (schedules such as KL warm-up); absent outside training. */
  epoch?: number;
  /**
   * Samples in the split the batch is drawn from (the training split in training), for estimators that weigh a
   * minibatch against the whole data set (beta-TCVAE's minibatch-weighted sampling); absent: the batch is all.
   */
  datasetSize?: number;
}

/** Named scalar losses; the trainer averages each over an epoch. `loss` is the one optimised/monitored. */
export type LossRecord = Record<string, Scalar> & { loss: Scalar };

/**
 * What one saved network takes and gives, in words, for people using it from stock TensorFlow.js: one entry
 * per input and per output, in order (the manifest adds the names and shapes from the network itself).
 */
export interface NetworkRole {
  /** One line: what the network is for. */
  summary: string;
  inputs: readonly string[];
  outputs: readonly string[];
}

/** A network's sample input, in the words every family's roles use. */
export const SAMPLES_INPUT = 'samples [n, ...sampleShape], scaled as the training data';

/** What a network gives that outputs `what` (samples, reconstructions) through `outputActivation`. */
export function samplesOutput(what: string, outputActivation: string): string {
  return outputActivation === 'sigmoid'
    ? `${what} [n, ...sampleShape] in [0, 1] (sigmoid applied): pixels as they are`
    : `${what} [n, ...sampleShape] in the units of the (scaled) training data`;
}

export interface TrainableModel<C = unknown> {
  readonly kind: string;
  readonly config: C;
  readonly context: BuildContext;
  /** Sub-networks saved as standard TensorFlow.js layers models, e.g. { encoder, decoder }. */
  readonly networks: Record<string, tfl.LayersModel>;
  /** Per saved network, what it takes and outputs (the manifest's `signatures`); undeclared: shapes only. */
  networkRoles?(): Readonly<Record<string, NetworkRole>>;
  /** Names of the optimisers a step needs (one Adam each, created by the trainer). */
  readonly optimizerNames: readonly string[];
  /** Per-optimiser Adam settings that override the run's `train.optimizer` (e.g. a GAN's two learning rates). */
  readonly optimizerSettings?: Readonly<
    Record<string, { learningRate?: number; beta1?: number; beta2?: number }>
  >;
  /**
   * Called by the trainer with the training split before the first step (and again on resume), for a family
   * that draws its own rows from it (CTGAN's training-by-sampling picks real rows by category level).
   */
  prepare?(train: Dataset): void;
  /** One optimisation step. Returned scalars are owned by the caller. */
  trainStep(batch: Batch, optimizers: Record<string, tf.Optimizer>): LossRecord;
  /** Losses on a batch without updating anything (validation, test). */
  evaluate(batch: Batch): LossRecord;
  /** An image grid showing progress for image data, or undefined for tables. Owned by the caller. */
  preview?(x: Tensor, labels?: Tensor): { images: Tensor; rows: number; cols: number } | undefined;
  dispose(): void;
}

export interface Autoencoder<C = unknown> extends TrainableModel<C> {
  readonly latentSize: number;
  /** True when encode/decode need class labels (conditional models). */
  readonly conditional?: boolean;
  /** [n, ...sampleShape] → [n, latent]; a probabilistic encoder returns its mean. */
  encode(x: Tensor, labels?: Tensor): Tensor;
  /** [n, latent] → [n, ...sampleShape] */
  decode(z: Tensor, labels?: Tensor): Tensor;
  reconstruct(x: Tensor, labels?: Tensor): Tensor;
}

/** A model that can draw new samples (from a prior, or a generator's noise). */
export interface GenerativeModel<C = unknown> extends TrainableModel<C> {
  readonly latentSize: number;
  readonly conditional?: boolean;
  /** Latent draws from the prior: [n, latent]. */
  samplePrior(n: number, seed: number): Tensor;
  /**
   * True when encode() maps data into the space samplePrior draws from (VAE, AAE), so codes can be tested
   * against prior draws; a GAN's noise (latent GAN, AE-GAN) is not the space its encoder maps to.
   */
  readonly encodesToPrior?: boolean;
  /**
   * True when generate() takes optional labels that choose the class (a semi-supervised AAE's categorical code),
   * although encoding and decoding need none, unlike a conditional model.
   */
  readonly classControlled?: boolean;
  /** Decoded samples [n, ...sampleShape]; `labels` [n] int32 for conditional and class-controlled models. */
  generate(z: Tensor, labels?: Tensor): Tensor;
  /**
   * True when samplePrior draws position by position (an autoregressive prior over a code grid: a network pass
   * per position), so a draw costs tens of decoder passes: the training monitor draws fewer samples.
   */
  readonly autoregressivePrior?: boolean;
}

/** Whether generate() can be asked for given classes (conditional or class-controlled models). */
export function generatesClasses(model: Pick<GenerativeModel, 'conditional' | 'classControlled'>): boolean {
  return model.conditional === true || model.classControlled === true;
}

/** A latent-variable model with a likelihood: ELBO and importance-weighted bounds, in nats per sample. */
export interface LikelihoodModel<C = unknown> extends TrainableModel<C> {
  /** Negative ELBO per sample: [n]. */
  negativeElbo(x: Tensor, labels: Tensor | undefined, seed: number): Tensor;
  /** IWAE bound on -log p(x) with k importance samples, per sample: [n]. */
  importanceWeightedBound(x: Tensor, labels: Tensor | undefined, k: number, seed: number): Tensor;
}

export function isAutoencoder(model: TrainableModel): model is Autoencoder {
  return typeof (model as Partial<Autoencoder>).encode === 'function';
}

export function isGenerative(model: TrainableModel): model is GenerativeModel {
  return typeof (model as Partial<GenerativeModel>).samplePrior === 'function';
}

export function hasLikelihood(model: TrainableModel): model is LikelihoodModel {
  return typeof (model as Partial<LikelihoodModel>).negativeElbo === 'function';
}

export interface ModelFamily<S extends z.ZodType = z.ZodType> {
  /** The `kind` saved in configs and manifests, and the CLI's `--model` value. */
  readonly kind: string;
  readonly description: string;
  readonly configSchema: S;
  /** True when the family can only be built for image-shaped samples [h, w, c]. */
  readonly needsImages?: boolean;
  /** True when the family takes audio waveforms [samples, 1] in [-1, 1] (data/audio) and nothing else. */
  readonly needsWaveforms?: boolean;
  /**
   * Table families: present, a csv: table is always loaded through the column encoders (even one of numbers
   * without gaps), with these encodings where the data spec states none (tvae and ctgan: mode-specific numbers,
   * as Xu et al. 2019; table-ae and gain: the defaults).
   */
  readonly tableEncoding?: { numeric?: NumericMethod; categorical?: CategoricalMethod };
  /** True when the family takes text (token ids, see BuildContext.vocabularySize) and nothing else. */
  readonly needsSequences?: boolean;
  /**
   * True when the model learns from partly labelled data (labels of -1 mark unlabelled samples), e.g. a
   * semi-supervised AAE; only then does a run with `train.labelsPerClass` keep the unlabelled samples.
   */
  readonly partialLabels?: (config: z.output<S>) => boolean;
  /** Build from a validated config; weights come from the seeded initialisers. */
  build(config: z.output<S>, context: BuildContext): TrainableModel<z.output<S>>;
  /** Rebuild from saved networks (loaded with their weights). */
  restore(
    config: z.output<S>,
    context: BuildContext,
    networks: Record<string, tfl.LayersModel>,
  ): TrainableModel<z.output<S>>;
}
