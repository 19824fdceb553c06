// Training options and the full run description saved as config.json in every run directory.
import { z } from 'zod';
import { DataSpec } from '../data/spec.js';
import type { ModelConfigInput } from '../models/configs.js';

export const AdamConfig = z.strictObject({
  learningRate: z
    .number()
    .positive()
    .default(1e-3)
    .describe('Adam learning rate, for every network whose model config gives no rate of its own'),
  beta1: z
    .number()
    .min(0)
    .lt(1)
    .default(0.9)
    .describe("Adam's decay rate of the running mean of gradients (first moment)"),
  beta2: z
    .number()
    .min(0)
    .lt(1)
    .default(0.999)
    .describe("Adam's decay rate of the running mean of squared gradients (second moment)"),
});
export type AdamConfig = z.infer<typeof AdamConfig>;

export const ScheduleConfig = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('constant') }),
  /** lr * decay^epoch */
  z.strictObject({
    type: z.literal('exponential'),
    decay: z
      .number()
      .positive()
      .max(1)
      .default(0.95)
      .describe('Exponential schedule: the learning rate is lr · decay^epoch'),
  }),
  /** Cosine from lr down to minLearningRate over the run's epochs. */
  z.strictObject({
    type: z.literal('cosine'),
    minLearningRate: z
      .number()
      .min(0)
      .default(0)
      .describe('Cosine schedule: the learning rate it reaches at the last epoch'),
  }),
]);
export type ScheduleConfig = z.infer<typeof ScheduleConfig>;

export const EarlyStoppingConfig = z.strictObject({
  patience: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('Epochs without a validation improvement before training stops; 0 disables early stopping'),
  minDelta: z
    .number()
    .min(0)
    .default(0)
    .describe('Smallest fall of the validation loss that counts as an improvement'),
});

/** Epochs when a config names none, on data large enough (MNIST's 7,200 training images: 1,140 steps). */
export const DEFAULT_EPOCHS = 20;
/** Optimiser steps a run makes at least when no epochs are given: small tables get more epochs. */
export const MIN_DEFAULT_STEPS = 1000;
/** The most epochs that rule gives (a table of a few rows would otherwise take thousands). */
export const MAX_DEFAULT_EPOCHS = 500;

/**
 * Epochs for a run that names none: DEFAULT_EPOCHS, raised on small data so that training makes at least
 * MIN_DEFAULT_STEPS optimiser steps (at most MAX_DEFAULT_EPOCHS epochs). 20 epochs of a 569-row table at batch
 * size 128 are 80 steps, too few for an autoencoder to learn anything.
 */
export function defaultEpochs(trainSamples: number, batchSize: number): number {
  const batches = Math.max(1, Math.ceil(trainSamples / batchSize));
  return Math.max(DEFAULT_EPOCHS, Math.min(MAX_DEFAULT_EPOCHS, Math.ceil(MIN_DEFAULT_STEPS / batches)));
}

/** Whether a run config, before validation, names its epochs (else defaultEpochs decides once data is loaded). */
export function namesEpochs(raw: unknown): boolean {
  const train = (raw as { train?: unknown } | null | undefined)?.train;
  return typeof train === 'object' && train !== null && (train as { epochs?: unknown }).epochs !== undefined;
}

export const TrainConfig = z.strictObject({
  /** Default: DEFAULT_EPOCHS, or more on small data (defaultEpochs); config.json records the number used. */
  epochs: z
    .number()
    .int()
    .positive()
    .default(DEFAULT_EPOCHS)
    .describe('Training epochs; default 20, more on small data (at least 1,000 steps, at most 500 epochs)'),
  batchSize: z.number().int().positive().default(128).describe('Samples per optimiser step'),
  optimizer: AdamConfig.default({ learningRate: 1e-3, beta1: 0.9, beta2: 0.999 }).describe(
    'Adam optimiser: learning rate, beta1, beta2',
  ),
  schedule: ScheduleConfig.default({ type: 'constant' }).describe(
    'Learning-rate schedule over the epochs: constant, exponential (decay per epoch) or cosine',
  ),
  earlyStopping: EarlyStoppingConfig.default({ patience: 0, minDelta: 0 }).describe(
    'Stop when the validation loss has not improved for patience epochs',
  ),
  limit: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('Train on at most this many samples (quick runs); 0 uses all'),
  classes: z
    .array(z.number().int().min(0))
    .default([])
    .describe(
      'Train, validate and test on these classes only (e.g. one class for anomaly detection); [] keeps all',
    ),
  /**
   * Semi-supervised runs: keep the labels of only this many training samples per class (0 keeps all).
   * Families that learn from unlabelled samples see the rest with label -1; any other trains on the labelled ones.
   */
  labelsPerClass: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe(
      'Semi-supervised runs: keep the labels of only this many training samples per class; 0 keeps all',
    ),
  /**
   * More labelled training samples (e.g. written by `latentlab augment`) added to every epoch; validation and test
   * stay on the run's own data. With `share`, that fraction of each epoch is extra samples: the real ones (or
   * the extra ones, when they are fewer) are repeated to reach it, so a few real images are not drowned.
   */
  extraData: z
    .object({
      data: DataSpec.describe("Where the extra samples come from (a data spec, as the run's data)"),
      share: z
        .number()
        .gt(0)
        .lt(1)
        .optional()
        .describe('Fraction of each epoch made of extra samples (the smaller part is repeated to reach it)'),
    })
    .optional()
    .describe(
      'More labelled training samples (e.g. from latentlab augment) added to every epoch, with an optional share',
    ),
  validationFraction: z
    .number()
    .min(0)
    .lt(1)
    .default(0.1)
    .describe('Share of the training data held out for validation'),
  nanLearningRateFactor: z
    .number()
    .gt(0)
    .lt(1)
    .default(0.5)
    .describe('After a NaN/Inf loss: roll back to the last good checkpoint, learning rate times this'),
  previewCount: z
    .number()
    .int()
    .min(0)
    .max(64)
    .default(16)
    .describe('How many validation images the per-epoch preview grid shows (0 to 64)'),
});
export type TrainConfig = z.infer<typeof TrainConfig>;

export const RunConfig = z.strictObject({
  model: z
    .record(z.string(), z.unknown())
    .and(z.object({ kind: z.string() }))
    .describe('The model: its kind and options (see latentlab models KIND)'),
  data: DataSpec.describe('The data source: mnist, fashion-mnist, idx, csv, images or toy, with its options'),
  train: TrainConfig.describe('Training options: epochs, batch size, optimiser, schedule and more'),
  seed: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('Seed of initialisation, shuffling and noise: the same seed and config give the same run'),
  /** Written into config.json beside the run's settings: the version that made it and facts such as the backend. */
  latentlabVersion: z
    .string()
    .optional()
    .describe('The latentlab version that wrote this config (set by latentlab)'),
  environment: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('Facts about where the run ran, such as the backend (set by latentlab)'),
});
export type RunConfig = z.infer<typeof RunConfig>;
/**
 * A run config as written, the model part typed per family: `{ kind: 'dense-ae', latnet: 16 }` does not compile.
 * (A config read from a file is any object; trainRun validates it at run time either way.)
 */
export type RunConfigInput = Omit<z.input<typeof RunConfig>, 'model'> & { model: ModelConfigInput };

export function learningRateAt(
  base: number,
  schedule: ScheduleConfig,
  epoch: number,
  epochs: number,
): number {
  switch (schedule.type) {
    case 'constant':
      return base;
    case 'exponential':
      return base * schedule.decay ** epoch;
    case 'cosine':
      return (
        schedule.minLearningRate +
        0.5 * (base - schedule.minLearningRate) * (1 + Math.cos((Math.PI * epoch) / epochs))
      );
  }
}
