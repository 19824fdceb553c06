// Adversarial autoencoder (Makhzani et al. 2015): a deterministic autoencoder whose codes a discriminator pushes
// toward a chosen prior (Gaussian, mixture, uniform). The semi-supervised variant splits the code into a
// categorical head y (pushed to one-hot draws by a second discriminator, and trained on the few labels) and a
// style code z; the decoder sees both.

import { sampleSize } from '../../data/dataset.js';
import { type Scalar, type Tensor, tf, type tfl } from '../../engine/tf.js';
import { ConfigError, UsageError } from '../../errors.js';
import type {
  Autoencoder,
  Batch,
  BuildContext,
  GenerativeModel,
  LossRecord,
  ModelFamily,
  NetworkRole,
} from '../family.js';
import {
  adversarialAdam,
  adversarialLossOf,
  alternate,
  codeNetworkSpec,
  discriminatorObjective,
  discriminatorStepsOf,
} from '../shared/adversarial.js';
import { augmentationOff, augmentImages } from '../shared/augmentation.js';
import { buildDecoder, buildEncoder, reconstructionParts } from '../shared/bodies.js';
import { samplePriorCodes } from '../shared/code-priors.js';
import { buildDiscriminator } from '../shared/gan-networks.js';
import { HybridModel, requireClasses } from '../shared/hybrid-model.js';
import { oneHot } from '../shared/labels.js';
import { lossRecord, minimize, requireOptimizers, trainableVariables } from '../shared/step.js';
import { AaeConfig } from './config.js';

type AaeNetworks = {
  encoder: tfl.LayersModel;
  decoder: tfl.LayersModel;
  discriminator: tfl.LayersModel;
  categoryDiscriminator?: tfl.LayersModel;
};

/** A code discriminator over [n, size] inputs, seeded apart from the other networks. */
function buildCodeDiscriminator(config: AaeConfig, context: BuildContext, size: number, seedOffset: number) {
  const spec = { ...codeNetworkSpec(1, [], config.discriminatorHidden), spectralNorm: config.spectralNorm };
  return buildDiscriminator(spec, {
    ...context,
    sampleShape: [size],
    seed: context.seed + seedOffset,
  });
}

/**
 * LossRecord of a step: `reconstruction` (and `mse`), `discriminator` (the code discriminators' loss),
 * `adversarial` (the encoder's loss against them), and `classification` for the semi-supervised variant;
 * `loss`, the monitored value, is the reconstruction loss. evaluate() adds `accuracy` of the categorical head
 * on labelled batches.
 */
export class AaeModel
  extends HybridModel<AaeConfig, AaeNetworks>
  implements Autoencoder<AaeConfig>, GenerativeModel<AaeConfig>
{
  readonly kind = 'aae';
  readonly encodesToPrior = true;
  readonly optimizerNames: readonly string[];
  /** Classes of the categorical head (semi-supervised), else 0. */
  readonly classes: number;
  /** Labelled samples seen in training (semi-supervised): a ring of flat rows and their labels. */
  private readonly labelled: { x: Float32Array; labels: Int32Array; count: number; next: number };

  constructor(config: AaeConfig, context: BuildContext, networks: AaeNetworks) {
    super(config, context, networks);
    this.classes = config.semiSupervised
      ? requireClasses(context, 'semiSupervised', 'a semi-supervised AAE')
      : 0;
    if (!augmentationOff(config.labelledAugment) && context.sampleShape.length !== 3) {
      throw new ConfigError(
        `labelledAugment needs image samples [h, w, c], got [${context.sampleShape}] (leave it out)`,
        { path: 'model.labelledAugment' },
      );
    }
    this.optimizerNames = config.semiSupervised
      ? ['autoencoder', 'discriminator', 'encoder', 'classifier']
      : ['autoencoder', 'discriminator', 'encoder'];
    const per = sampleSize(context);
    const capacity = config.semiSupervised ? config.labelledBufferSize : 0;
    this.labelled = {
      x: new Float32Array(capacity * per),
      labels: new Int32Array(capacity),
      count: 0,
      next: 0,
    };
  }

  get optimizerSettings() {
    return {
      discriminator: adversarialAdam(this.config.discriminatorLearningRate),
      encoder: adversarialAdam(this.config.generatorLearningRate),
    };
  }

  /** Size of the whole code: the style code plus, semi-supervised, the class probabilities in front. */
  override get latentSize(): number {
    return this.config.latent + this.classes;
  }

  /** The encoder's style code z [n, latent] and, semi-supervised, class logits [n, classes]. */
  private encodeParts(x: Tensor, training: boolean): { z: Tensor; logits?: Tensor } {
    const out = this.networks.encoder.apply(x, { training });
    if (Array.isArray(out)) return { z: out[0] as Tensor, logits: out[1] as Tensor };
    return { z: out as Tensor };
  }

  private codeOf(parts: { z: Tensor; logits?: Tensor }): Tensor {
    return parts.logits ? tf.concat([tf.softmax(parts.logits), parts.z], 1) : parts.z;
  }

  override encode(x: Tensor): Tensor {
    return tf.tidy(() => this.codeOf(this.encodeParts(x, false)));
  }

  /** Class probabilities of the categorical head [n, classes] (semi-supervised only). */
  classify(x: Tensor): Tensor {
    if (!this.classes)
      throw new UsageError('only a semi-supervised AAE classifies', { path: 'semiSupervised' });
    return tf.tidy(() => tf.softmax(this.encodeParts(x, false).logits!));
  }

  /** Prior draws of the whole code: one-hot classes (uniform) in front of the style prior's draws. */
  samplePrior(n: number, seed: number): Tensor {
    return tf.tidy(() => {
      const style = samplePriorCodes(this.config, n, this.config.latent, seed);
      if (!this.classes) return style;
      return tf.concat([this.sampleCategories(n, seed + 1), style], 1);
    });
  }

  private sampleCategories(n: number, seed: number): Tensor {
    return tf.tidy(() => {
      const k = tf.cast(
        tf.floor(tf.mul(tf.randomUniform([n], 0, 1, 'float32', seed), this.classes - 1e-4)),
        'int32',
      );
      return oneHot(k, this.classes);
    });
  }

  /** Semi-supervised: generate(code, labels) can be asked for classes. */
  get classControlled(): boolean {
    return this.classes > 0;
  }

  /** Decoded codes; with labels (semi-supervised), their one-hot classes replace the code's class part. */
  generate(code: Tensor, labels?: Tensor): Tensor {
    if (!labels || !this.classes) return this.decode(code);
    return tf.tidy(() => {
      const style = tf.slice(code, [0, this.classes], [-1, this.config.latent]);
      return this.decode(tf.concat([oneHot(labels, this.classes), style], 1));
    });
  }

  override networkRoles(): Record<string, NetworkRole> {
    const { latent, prior, adversarialLoss } = this.config;
    return {
      ...super.networkRoles(),
      discriminator: this.adversaryRole(
        `scores codes: draws from the ${prior} prior as real, encoded samples as fake`,
        `a code [n, ${latent}]`,
        adversarialLoss,
      ),
      ...(this.networks.categoryDiscriminator
        ? {
            categoryDiscriminator: this.adversaryRole(
              "scores class vectors: one-hot draws as real, the encoder's softmax as fake",
              `class probabilities [n, ${this.classes}]`,
              adversarialLoss,
            ),
          }
        : {}),
    };
  }

  /** The code discriminators' objective on prior draws vs the encoder's codes (inside a tape or tidy). */
  private discriminatorObjectives(parts: { z: Tensor; logits?: Tensor }, seed: number) {
    const n = parts.z.shape[0];
    const style = samplePriorCodes(this.config, n, this.config.latent, seed);
    const d = discriminatorObjective(this.networks.discriminator, style, parts.z, this.config, seed + 1);
    if (!parts.logits || !this.networks.categoryDiscriminator) return d;
    const category = discriminatorObjective(
      this.networks.categoryDiscriminator,
      this.sampleCategories(n, seed + 2),
      tf.softmax(parts.logits),
      this.config,
      seed + 3,
    );
    return { ...d, discriminator: tf.add(d.discriminator, category.discriminator) as Scalar };
  }

  /** The encoder's adversarial loss against the code discriminators (inside a tape or tidy). */
  private adversarialObjective(parts: { z: Tensor; logits?: Tensor }): Scalar {
    const loss = this.config.adversarialLoss;
    const style = adversarialLossOf(this.networks.discriminator, parts.z, loss);
    if (!parts.logits || !this.networks.categoryDiscriminator) return style;
    const category = adversarialLossOf(this.networks.categoryDiscriminator, tf.softmax(parts.logits), loss);
    return tf.add(style, category) as Scalar;
  }

  /**
   * The three phases of Makhzani et al. on one batch: reconstruction (encoder and decoder), regularisation
   * (the code discriminators, then the encoder against them), and for the semi-supervised variant a
   * supervised update of the categorical head on labelled samples seen so far.
   */
  trainStep(batch: Batch, optimizers: Record<string, tf.Optimizer>): LossRecord {
    requireOptimizers(optimizers, this.optimizerNames, 'aae');
    const { encoder, decoder, discriminator, categoryDiscriminator } = this.networks;
    if (this.classes) this.rememberLabelled(batch);
    const kept: Record<string, Scalar | undefined> = {};
    try {
      Object.assign(
        kept,
        minimize(
          optimizers.autoencoder,
          trainableVariables(encoder, decoder),
          () => {
            const code = this.codeOf(this.encodeParts(batch.x, true));
            return reconstructionParts(
              this.config,
              batch.x,
              decoder.apply(code, { training: true }) as Tensor,
            );
          },
          'reconstruction',
        ),
      );
      const dVars = trainableVariables(
        discriminator,
        ...(categoryDiscriminator ? [categoryDiscriminator] : []),
      );
      // The codes the code discriminators see, made once outside their tapes.
      const parts = tf.tidy(() => this.encodeParts(batch.x, true));
      try {
        const round = alternate(
          discriminatorStepsOf(this.config),
          (k) =>
            minimize(
              optimizers.discriminator,
              dVars,
              () => this.discriminatorObjectives(parts, this.seedFor(batch.step, 10 * k)),
              'discriminator',
            ),
          () =>
            minimize(
              optimizers.encoder,
              trainableVariables(encoder),
              () => ({ adversarial: this.adversarialObjective(this.encodeParts(batch.x, true)) }),
              'adversarial',
            ),
        );
        kept.discriminator = round.discriminator.discriminator;
        kept.wasserstein = round.discriminator.wasserstein;
        Object.assign(kept, round.generator);
      } finally {
        tf.dispose([parts.z, parts.logits]);
      }
      if (this.classes) {
        const classification = this.supervisedStep(batch.step, optimizers.classifier);
        if (classification) kept.classification = classification;
      }
      return lossRecord(kept, 'reconstruction');
    } catch (error) {
      tf.dispose(Object.values(kept).filter((v): v is Scalar => v !== undefined));
      throw error;
    }
  }

  /** Copies the batch's labelled samples (label ≥ 0) into the ring of labelled samples. */
  private rememberLabelled(batch: Batch): void {
    if (!batch.labels) return;
    const labels = batch.labels.dataSync();
    if (!labels.some((l) => l >= 0)) return;
    const per = sampleSize(this.context);
    const x = batch.x.dataSync();
    const ring = this.labelled;
    const capacity = ring.labels.length;
    labels.forEach((label, i) => {
      if (label < 0) return;
      ring.x.set(x.subarray(i * per, (i + 1) * per), ring.next * per);
      ring.labels[ring.next] = label;
      ring.next = (ring.next + 1) % capacity;
      ring.count = Math.min(capacity, ring.count + 1);
    });
  }

  /** Cross-entropy update of the categorical head on labelled samples drawn from the ring; none yet: undefined. */
  private supervisedStep(step: number, optimizer: tf.Optimizer): Scalar | undefined {
    const ring = this.labelled;
    if (ring.count === 0) return undefined;
    const per = sampleSize(this.context);
    const n = Math.min(this.config.labelledBatchSize, ring.count);
    const x = new Float32Array(n * per);
    const labels = new Int32Array(n);
    let state = this.seedFor(step, 99) || 1;
    for (let i = 0; i < n; i++) {
      // xorshift: a cheap seeded draw, so reruns pick the same samples.
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      const j = (state >>> 0) % ring.count;
      x.set(ring.x.subarray(j * per, (j + 1) * per), i * per);
      labels[i] = ring.labels[j];
    }
    const raw = tf.tensor(x, [n, ...this.context.sampleShape]);
    const augment = this.config.labelledAugment;
    const xs = augmentationOff(augment) ? raw : augmentImages(raw, augment, this.seedFor(step, 98));
    if (xs !== raw) raw.dispose();
    const targets = tf.tidy(() => oneHot(tf.tensor1d(labels, 'int32'), this.classes));
    try {
      const { classification, weighted } = minimize(
        optimizer,
        trainableVariables(this.networks.encoder),
        () => {
          const { logits } = this.encodeParts(xs, true);
          const ce = tf.neg(tf.mean(tf.sum(tf.mul(targets, tf.logSoftmax(logits!)), -1))) as Scalar;
          return { classification: ce, weighted: tf.mul(this.config.classWeight, ce) as Scalar };
        },
        'weighted',
      );
      weighted.dispose();
      return classification;
    } finally {
      tf.dispose([xs, targets]);
    }
  }

  evaluate(batch: Batch): LossRecord {
    return tf.tidy(() => {
      const parts = this.encodeParts(batch.x, false);
      const recon = this.decode(this.codeOf(parts));
      const seed = this.evaluationSeed(batch.step);
      const record: Record<string, Scalar | undefined> = {
        ...reconstructionParts(this.config, batch.x, recon),
        ...this.discriminatorObjectives(parts, seed),
        adversarial: this.adversarialObjective(parts),
      };
      if (parts.logits && batch.labels) {
        const labelled = tf.greaterEqual(batch.labels, 0);
        const count = tf.sum(tf.cast(labelled, 'float32'));
        const correct = tf.logicalAnd(labelled, tf.equal(tf.argMax(parts.logits, -1), batch.labels));
        record.accuracy = tf.div(tf.sum(tf.cast(correct, 'float32')), tf.maximum(count, 1)) as Scalar;
      }
      return lossRecord(record, 'reconstruction');
    });
  }
}

function buildNetworks(config: AaeConfig, context: BuildContext): AaeNetworks {
  const classes = config.semiSupervised
    ? requireClasses(context, 'semiSupervised', 'a semi-supervised AAE')
    : 0;
  const heads = [{ name: 'encoder_latent', units: config.latent }];
  if (classes) heads.push({ name: 'encoder_classes', units: classes });
  return {
    encoder: buildEncoder(config, context, heads),
    decoder: buildDecoder(config, context, config.latent + classes),
    discriminator: buildCodeDiscriminator(config, context, config.latent, 1),
    ...(classes ? { categoryDiscriminator: buildCodeDiscriminator(config, context, classes, 2) } : {}),
  };
}

export const aaeFamily: ModelFamily<typeof AaeConfig> = {
  kind: 'aae',
  description:
    'adversarial autoencoder: codes pushed to a Gaussian, mixture or uniform prior; semi-supervised variant',
  configSchema: AaeConfig,
  partialLabels: (config) => config.semiSupervised,
  build(config, context) {
    return new AaeModel(config, context, buildNetworks(config, context));
  },
  restore(config, context, networks) {
    return new AaeModel(config, context, {
      encoder: networks.encoder,
      decoder: networks.decoder,
      discriminator: networks.discriminator,
      // Only a semi-supervised model has one: an absent key, not an undefined network saving would trip over.
      ...(networks.categoryDiscriminator ? { categoryDiscriminator: networks.categoryDiscriminator } : {}),
    });
  },
};
