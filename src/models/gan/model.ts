// Generative adversarial networks: a generator and a discriminator trained in alternation, each with its own
// Adam (optimizers `generator` and `discriminator`), five losses, conditional and AC-GAN variants, label
// smoothing, annealed instance noise, and an EMA copy of the generator for sampling.
import { type Scalar, type Tensor, tf, type tfl } from '../../engine/tf.js';
import { ConfigError, UsageError } from '../../errors.js';
import {
  type Batch,
  type BuildContext,
  type GenerativeModel,
  type LossRecord,
  type ModelFamily,
  type NetworkRole,
  samplesOutput,
} from '../family.js';
import { alternate } from '../shared/adversarial.js';
import {
  discriminatorLoss,
  discriminatorOutput,
  generatorLoss,
  gradientPenalty,
  r1Penalty,
  wassersteinEstimate,
} from '../shared/gan-losses.js';
import {
  buildDiscriminator,
  buildGenerator,
  copyWeights,
  discriminate,
  type NetworkSpec,
} from '../shared/gan-networks.js';
import { oneHot } from '../shared/labels.js';
import { evaluationStep, previewSeed, slotSeed } from '../shared/seeds.js';
import { minimize, requireOptimizers, trainableVariables } from '../shared/step.js';
import { GanConfig, instanceNoiseAt } from './config.js';

export * from '../shared/gan-losses.js';
export * from '../shared/gan-networks.js';
export * from './config.js';

const PREVIEW_COLS = 8;
const PREVIEW_ROWS = 4;

/** Mean softmax cross-entropy of class logits [n, classes] against one-hot rows. */
function classLoss(logits: Tensor, targets: Tensor): Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), -1))) as Scalar);
}

export function networkSpec(config: GanConfig, context: BuildContext): NetworkSpec {
  const classes = config.conditional || config.acgan ? (context.numClasses ?? 0) : 0;
  if ((config.conditional || config.acgan) && !classes) {
    throw new ConfigError(
      `a ${config.conditional ? 'conditional' : 'AC-'}GAN needs class labels, but the data has none (pick labelled data or turn it off)`,
      { path: config.conditional ? 'model.conditional' : 'model.acgan' },
    );
  }
  const images = context.sampleShape.length === 3;
  return {
    architecture: config.architecture,
    latent: config.latent,
    generatorHidden: config.generatorHidden,
    discriminatorHidden: config.discriminatorHidden,
    generatorFilters: config.generatorFilters,
    discriminatorFilters: config.discriminatorFilters,
    kernelSize: config.kernelSize,
    outputActivation:
      config.outputActivation === 'auto' ? (images ? 'sigmoid' : 'linear') : config.outputActivation,
    generatorClasses: classes,
    discriminatorClasses: config.conditional ? classes : 0,
    auxiliaryClasses: config.acgan ? classes : 0,
    spectralNorm: config.spectralNorm,
  };
}

type GanNetworks = {
  generator: tfl.LayersModel;
  discriminator: tfl.LayersModel;
  generatorEma?: tfl.LayersModel;
};

/**
 * LossRecord of a step: `generator` and `discriminator` losses (the discriminator's with the gradient penalty
 * and class loss included), `gradientPenalty` and `wasserstein` for wgan-gp, `classification` (the
 * discriminator's class loss on real data) for AC-GAN. `loss`, the value the trainer monitors, is the
 * Wasserstein estimate for wgan-gp (it tracks sample quality, Gulrajani et al. 2017) and the generator's loss
 * otherwise; neither adversarial loss falls steadily, so leave early stopping off except with wgan-gp.
 */
export class GanModel implements GenerativeModel<GanConfig> {
  readonly kind = 'gan';
  readonly optimizerNames = ['generator', 'discriminator'] as const;
  /** Two learning rates, and beta1 0.5 as in DCGAN: the usual stable setting for adversarial training. */
  get optimizerSettings() {
    return {
      generator: { learningRate: this.config.generatorLearningRate, beta1: 0.5 },
      discriminator: { learningRate: this.config.discriminatorLearningRate, beta1: 0.5 },
    };
  }
  readonly networks: GanNetworks;
  readonly conditional: boolean;
  readonly spec: NetworkSpec;
  private readonly seed: number;
  /** Indices of the EMA generator's batch-norm moving statistics among its weights (found once, not per step). */
  private readonly emaStatistics: ReadonlySet<number>;

  constructor(
    readonly config: GanConfig,
    readonly context: BuildContext,
    networks: GanNetworks,
  ) {
    this.spec = networkSpec(config, context);
    if (config.ema > 0 && !networks.generatorEma) {
      throw new ConfigError('ema > 0 needs the generatorEma network (saved with the model)', {
        path: 'model.ema',
      });
    }
    this.networks =
      config.ema > 0 ? networks : { generator: networks.generator, discriminator: networks.discriminator };
    this.conditional = this.spec.generatorClasses > 0;
    this.emaStatistics = new Set(
      (networks.generatorEma?.weights ?? []).flatMap((w, i) =>
        /moving_(mean|variance)/.test(w.originalName) ? [i] : [],
      ),
    );
    this.seed = context.seed;
  }

  get latentSize(): number {
    return this.config.latent;
  }

  /** Discriminator updates per generator update. */
  get discriminatorSteps(): number {
    return this.config.discriminatorSteps;
  }

  private requireLabels(labels: Tensor | undefined, what: string): void {
    if (this.conditional && !labels) {
      throw new UsageError(`this GAN is conditional: ${what} needs class labels (int32 [n])`, {
        path: 'labels',
      });
    }
  }

  /** Per-step seeds: slot 0..2 of update k within step `step`. */
  private seedFor(step: number, k: number, slot: number): number {
    return slotSeed(this.seed, step, k * 3 + slot);
  }

  networkRoles(): Record<string, NetworkRole> {
    const { spec } = this;
    const generator: NetworkRole = {
      summary: 'maps noise z ~ N(0, I) to samples',
      inputs: [
        'noise z ~ N(0, I) [n, latent]',
        ...(spec.generatorClasses > 0 ? ['the class, one-hot [n, classes]'] : []),
      ],
      outputs: [samplesOutput('samples', spec.outputActivation)],
    };
    return {
      generator,
      ...(this.networks.generatorEma
        ? {
            generatorEma: {
              ...generator,
              summary: `${generator.summary} (moving average of the weights: the one sampled)`,
            },
          }
        : {}),
      discriminator: {
        summary: 'scores samples as real or generated',
        inputs: [
          'samples [n, ...sampleShape]',
          ...(spec.discriminatorClasses > 0 ? ['the class, one-hot [n, classes]'] : []),
        ],
        outputs: [
          discriminatorOutput(this.config.adversarialLoss),
          ...(spec.auxiliaryClasses > 0
            ? ['class logits [n, classes] (apply a softmax for probabilities)']
            : []),
        ],
      },
    };
  }

  samplePrior(n: number, seed: number): Tensor {
    return tf.randomNormal([n, this.config.latent], 0, 1, 'float32', seed);
  }

  /** Samples in data space [n, ...sampleShape] from the EMA generator when there is one. */
  generate(z: Tensor, labels?: Tensor): Tensor {
    this.requireLabels(labels, 'generate');
    const network = this.networks.generatorEma ?? this.networks.generator;
    return tf.tidy(() => {
      const y = this.conditional ? oneHot(labels!, this.spec.generatorClasses) : undefined;
      return network.apply(y ? [z, y] : z, { training: false }) as Tensor;
    });
  }

  private runGenerator(z: Tensor, y: Tensor | undefined, training: boolean): Tensor {
    return this.networks.generator.apply(y ? [z, y] : z, { training }) as Tensor;
  }

  private withNoise(x: Tensor, std: number, seed: number): Tensor {
    return std > 0 ? tf.add(x, tf.randomNormal(x.shape, 0, std, 'float32', seed)) : x;
  }

  /**
   * The discriminator's losses on real and generated samples (inside a tidy or variableGrads): the loss it
   * minimises under `discriminator`, and its parts.
   */
  private discriminatorLosses(
    real: Tensor,
    fake: Tensor,
    y: Tensor | undefined,
    seed: number,
  ): Record<string, Scalar> & { discriminator: Scalar } {
    const loss = this.config.adversarialLoss;
    const yD = this.spec.discriminatorClasses ? y : undefined;
    const onReal = discriminate(this.networks.discriminator, real, yD, true);
    const onFake = discriminate(this.networks.discriminator, fake, yD, true);
    let total = discriminatorLoss(loss, onReal.logit, onFake.logit, {
      labelSmoothing: this.config.labelSmoothing,
    });
    const out: Record<string, Scalar> = {};
    if (loss === 'wgan-gp') {
      const critic = (x: Tensor) => discriminate(this.networks.discriminator, x, yD, true).logit;
      const penalty = gradientPenalty(critic, real, fake, {
        lambda: this.config.gradientPenaltyWeight,
        seed,
      });
      total = tf.add(total, penalty) as Scalar;
      out.gradientPenalty = penalty;
      out.wasserstein = wassersteinEstimate(onReal.logit, onFake.logit);
    }
    if (this.config.r1 > 0) {
      const logit = (x: Tensor) => discriminate(this.networks.discriminator, x, yD, true).logit;
      const penalty = r1Penalty(logit, real, this.config.r1);
      total = tf.add(total, penalty) as Scalar;
      out.r1 = penalty;
    }
    if (onReal.classes && onFake.classes && y) {
      const classification = classLoss(onReal.classes, y);
      const both = tf.add(classification, classLoss(onFake.classes, y));
      total = tf.add(total, tf.mul(this.config.classWeight, both)) as Scalar;
      out.classification = classification;
    }
    return { ...out, discriminator: total };
  }

  /** The generator's loss on its samples (inside a tidy or variableGrads), the AC-GAN class term included. */
  private generatorLosses(fake: Tensor, y: Tensor | undefined): Scalar {
    const yD = this.spec.discriminatorClasses ? y : undefined;
    const out = discriminate(this.networks.discriminator, fake, yD, true);
    let total = generatorLoss(this.config.adversarialLoss, out.logit);
    if (out.classes && y)
      total = tf.add(total, tf.mul(this.config.classWeight, classLoss(out.classes, y))) as Scalar;
    return total;
  }

  private record(d: Record<string, Scalar>, generator: Scalar): LossRecord {
    const loss = this.config.adversarialLoss === 'wgan-gp' ? d.wasserstein.clone() : generator.clone();
    return { ...d, generator, loss };
  }

  /**
   * `discriminatorSteps` discriminator updates on this batch (fresh noise each), then one generator update (the
   * shared adversarial round), then the EMA update. Each network has its own optimiser and learning rate.
   */
  trainStep(batch: Batch, optimizers: Record<string, tf.Optimizer>): LossRecord {
    // Checked before the updates: a throw inside a tape leaves tensors behind.
    this.requireLabels(batch.labels, 'training');
    requireOptimizers(optimizers, this.optimizerNames, 'gan');
    const n = batch.x.shape[0];
    const std = instanceNoiseAt(this.config, batch.epoch);
    const y = this.conditional ? tf.tidy(() => oneHot(batch.labels!, this.spec.generatorClasses)) : undefined;
    const dVars = trainableVariables(this.networks.discriminator);
    const gVars = trainableVariables(this.networks.generator);
    const last = this.config.discriminatorSteps;
    try {
      const { discriminator: d, generator } = alternate(
        this.config.discriminatorSteps,
        (k) => {
          // Generated outside the discriminator's gradient scope: no tape through the generator.
          const fake = tf.tidy(() =>
            this.runGenerator(this.samplePrior(n, this.seedFor(batch.step, k, 0)), y, true),
          );
          try {
            return minimize(
              optimizers.discriminator,
              dVars,
              () => {
                const real = this.withNoise(batch.x, std, this.seedFor(batch.step, k, 1));
                const noisyFake = this.withNoise(fake, std, this.seedFor(batch.step, k, 2) + 1);
                return this.discriminatorLosses(real, noisyFake, y, this.seedFor(batch.step, k, 2));
              },
              'discriminator',
            );
          } finally {
            fake.dispose();
          }
        },
        () =>
          minimize(
            optimizers.generator,
            gVars,
            () => {
              const fake = this.runGenerator(this.samplePrior(n, this.seedFor(batch.step, last, 0)), y, true);
              const noisy = this.withNoise(fake, std, this.seedFor(batch.step, last, 1));
              return { generator: this.generatorLosses(noisy, y) };
            },
            'generator',
          ),
      );
      try {
        if (this.networks.generatorEma) {
          const z = this.samplePrior(n, this.seedFor(batch.step, last, 0));
          this.updateEma(batch.step, z, y);
          z.dispose();
        }
      } catch (error) {
        tf.dispose([...Object.values(d), generator.generator]);
        throw error;
      }
      return this.record(d, generator.generator);
    } finally {
      y?.dispose();
    }
  }

  /**
   * ema ← decay · ema + (1 - decay) · generator, over every weight but batch-norm statistics. The decay
   * warms up as min(ema, (1 + step) / (10 + step)), as TensorFlow's ExponentialMovingAverage does with
   * num_updates: with 0.999 from the first step, the initial weights would still carry 37% after 1,000 steps.
   */
  private updateEma(step: number, z: Tensor, y: Tensor | undefined): void {
    const ema = this.networks.generatorEma;
    if (!ema) return;
    const decay = emaDecayAt(this.config.ema, step);
    const source = this.networks.generator.weights;
    const statistics = this.emaStatistics;
    const hasBatchNorm = statistics.size > 0;
    tf.tidy(() => {
      ema.weights.forEach((target, i) => {
        // Averaged weights make activations of their own: their batch-norm statistics come from them (below).
        if (statistics.has(i)) return;
        const current = target.read();
        target.write(tf.add(tf.mul(current, decay), tf.mul(source[i].read(), 1 - decay)));
      });
      // A training-mode pass moves the EMA copy's batch-norm statistics toward its own activations' ("standing
      // statistics", as in BigGAN); the generator's statistics belong to other weights and drew faint samples.
      if (hasBatchNorm) ema.apply(y ? [z, y] : z, { training: true });
    });
  }

  /** The same losses as a training step (no instance noise), without updating anything. */
  evaluate(batch: Batch): LossRecord {
    this.requireLabels(batch.labels, 'evaluation');
    return tf.tidy(() => {
      const n = batch.x.shape[0];
      const y = this.conditional ? oneHot(batch.labels!, this.spec.generatorClasses) : undefined;
      const seed = this.seedFor(evaluationStep(batch.step), 0, 0);
      const fake = this.runGenerator(this.samplePrior(n, seed), y, false);
      const d = this.discriminatorLosses(batch.x, fake, y, seed + 1);
      return this.record(d, this.generatorLosses(fake, y));
    });
  }

  /**
   * Image data only: samples from a fixed noise batch (the same seed every call, so frames compare), 4 rows of 8,
   * or for a conditional model one row per class with the same noise in each column.
   */
  preview() {
    if (this.context.sampleShape.length !== 3) return undefined;
    return tf.tidy(() => {
      const seed = previewSeed(this.seed);
      if (!this.conditional) {
        const images = this.generate(this.samplePrior(PREVIEW_ROWS * PREVIEW_COLS, seed));
        return { images, rows: PREVIEW_ROWS, cols: PREVIEW_COLS };
      }
      const rows = this.spec.generatorClasses;
      const z = tf.tile(this.samplePrior(PREVIEW_COLS, seed), [rows, 1]);
      const labels = tf.tensor1d(
        Int32Array.from({ length: rows * PREVIEW_COLS }, (_, i) => Math.floor(i / PREVIEW_COLS)),
        'int32',
      );
      return { images: this.generate(z, labels), rows, cols: PREVIEW_COLS };
    });
  }

  /** Discriminator logits (critic values) [n] on samples, without labels unless it is conditional. */
  discriminatorScores(x: Tensor, labels?: Tensor): Tensor {
    return tf.tidy(() => {
      const yD =
        this.spec.discriminatorClasses && labels ? oneHot(labels, this.spec.discriminatorClasses) : undefined;
      if (this.spec.discriminatorClasses && !yD)
        throw new UsageError('the discriminator is conditional: scoring needs class labels', {
          path: 'labels',
        });
      return tf.reshape(discriminate(this.networks.discriminator, x, yD, false).logit, [-1]);
    });
  }

  dispose(): void {
    for (const network of Object.values(this.networks)) network?.dispose();
  }
}

/** The EMA decay used after training step `step` (0-based): `ema`, warmed up over the first steps. */
export function emaDecayAt(ema: number, step: number): number {
  return Math.min(ema, (1 + step) / (10 + step));
}

export const ganFamily: ModelFamily<typeof GanConfig> = {
  kind: 'gan',
  description:
    'generative adversarial network, dense (MLP) or conv (DCGAN) (minimax, non-saturating, lsgan, wgan-gp, hinge; conditional, AC-GAN, EMA)',
  configSchema: GanConfig,
  build(config, context) {
    const spec = networkSpec(config, context);
    const generator = buildGenerator(spec, context);
    const discriminator = buildDiscriminator(spec, context);
    let generatorEma: tfl.LayersModel | undefined;
    if (config.ema > 0) {
      generatorEma = buildGenerator(spec, context, 'generator_ema');
      copyWeights(generator, generatorEma);
    }
    return new GanModel(config, context, { generator, discriminator, generatorEma });
  },
  restore(config, context, networks) {
    return new GanModel(config, context, {
      generator: networks.generator,
      discriminator: networks.discriminator,
      generatorEma: networks.generatorEma,
    });
  },
};
