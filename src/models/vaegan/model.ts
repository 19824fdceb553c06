// VAE-GAN (Larsen et al. 2016, "Autoencoding beyond pixels using a learned similarity metric"): a VAE whose
// decoder is also a GAN generator, with reconstructions measured on a hidden layer of the discriminator.

import { meanSquaredError, rowLoss } from '../../engine/kernels/row-loss.js';
import { type Scalar, type Tensor, tf, tfl } from '../../engine/tf.js';
import { ConfigError } from '../../errors.js';
import {
  type Autoencoder,
  type Batch,
  type BuildContext,
  type GenerativeModel,
  type LossRecord,
  type ModelFamily,
  type NetworkRole,
  SAMPLES_INPUT,
  samplesOutput,
} from '../family.js';
import { strideTwoGeometry } from '../shared/autoencoder-base.js';
import { discriminatorLoss, discriminatorOutput, generatorLoss } from '../shared/gan-losses.js';
import { buildDiscriminator, buildGenerator, type NetworkSpec } from '../shared/gan-networks.js';
import { gaussianKl, klWeight, LOG_VARIANCE_LIMIT, softClamp } from '../shared/gaussian-code.js';
import { type BodySpec, encoderBody, encoderHeads, initialisers, type Symbolic } from '../shared/layers.js';
import { evaluationStep, slotSeed } from '../shared/seeds.js';
import { gradientsOf, requireOptimizers, trainableVariables } from '../shared/step.js';
import { VaeGanConfig } from './config.js';

export * from './config.js';

/** Seeds of the encoder's initialisers, apart from the decoder's (0 on) and the discriminator's (1000 on). */
const ENCODER_SEEDS = 2000;

/**
 * L_feature = ½ · mean_i Σ_j (real_ij - fake_ij)²: -log N(f(x) | f(x̃), I) up to its constant, on the
 * discriminator's features [n, ...] of the data and of its reconstructions.
 */
export function featureMatchingLoss(real: Tensor, fake: Tensor): Scalar {
  return tf.tidy(() => {
    const perSample = rowLoss('squared', real, fake, real.rank - 1);
    return tf.mul(0.5, tf.mean(perSample)) as Scalar;
  });
}

/** ½ · mean_i Σ_j (x_ij - x̃_ij)²: a unit-variance Gaussian on pixels, the optional pixel term. */
function pixelLoss(x: Tensor, recon: Tensor): Scalar {
  return featureMatchingLoss(x, recon);
}

/** The GAN builders' spec: the decoder mirrors the encoder, the discriminator has its own widths. */
export function networkSpec(config: VaeGanConfig, context: BuildContext): NetworkSpec {
  const images = context.sampleShape.length === 3;
  if (config.architecture === 'conv') {
    if (!images) {
      throw new ConfigError(
        `architecture "conv" needs image samples [height, width, channels], got shape [${context.sampleShape}]`,
        { path: 'model.architecture' },
      );
    }
    strideTwoGeometry('vaegan', config.filters, context.sampleShape);
  }
  return {
    architecture: config.architecture,
    latent: config.latent,
    generatorHidden: [...config.hidden].reverse(),
    discriminatorHidden: config.discriminatorHidden,
    generatorFilters: [...config.filters].reverse(),
    discriminatorFilters: config.filters,
    kernelSize: config.kernelSize,
    outputActivation:
      config.outputActivation === 'auto' ? (images ? 'sigmoid' : 'linear') : config.outputActivation,
    generatorClasses: 0,
    discriminatorClasses: 0,
    auxiliaryClasses: 0,
    spectralNorm: config.spectralNorm,
  };
}

/**
 * Gaussian encoder x → [mean, logVariance] ([n, latent] each), the log-variance soft-clamped as in the VAE.
 * Dense: flatten → dense ReLU layers. Conv: stride-2 convolutions with ReLU → flatten. The shared dense/conv body
 * (ReLU is fused into its layers, so there are no activation layers to name).
 */
export function buildEncoder(config: VaeGanConfig, context: BuildContext): tfl.LayersModel {
  const init = initialisers(context, ENCODER_SEEDS);
  const x = tfl.input({ shape: context.sampleShape, name: 'encoder_input' });
  const body: BodySpec = {
    architecture: config.architecture,
    hidden: config.hidden,
    filters: config.filters,
    kernelSize: config.kernelSize,
    activation: 'relu',
  };
  const h = encoderBody(body, context, init, x, { what: 'vaegan', convActivationNames: 'stage' });
  const [mean, rawLogVar] = encoderHeads(
    h,
    [
      { name: 'encoder_mean', units: config.latent },
      { name: 'encoder_log_variance_dense', units: config.latent },
    ],
    init,
  );
  const logVar = softClamp(rawLogVar, LOG_VARIANCE_LIMIT, 'encoder_log_variance');
  return tfl.model({ name: 'encoder', inputs: x, outputs: [mean, logVar] });
}

/**
 * The discriminator with a second output: the activations of hidden layer `featureLayer` ([n, width] or
 * [n, h, w, channels]) beside its logit [n, 1]. It shares the discriminator's layers and weights, so it is not
 * saved; a loaded discriminator gets a new one.
 */
export function featureDiscriminator(discriminator: tfl.LayersModel, featureLayer: number): tfl.LayersModel {
  const features = discriminator.getLayer(`discriminator_act_${featureLayer}`).output as Symbolic;
  return tfl.model({
    name: 'discriminator_features',
    inputs: discriminator.inputs,
    outputs: [features, discriminator.outputs[0]],
  });
}

type VaeGanNetworks = {
  encoder: tfl.LayersModel;
  decoder: tfl.LayersModel;
  discriminator: tfl.LayersModel;
};

/**
 * One step follows Larsen et al.'s algorithm: the three gradients are taken at the same weights, then applied:
 * - encoder: klWeight · KL + L_feature (+ pixelWeight · L_pixel)
 * - decoder: featureWeight · L_feature + adversarialWeight · generator loss on reconstructions and prior samples
 *   (+ pixelWeight · L_pixel)
 * - discriminator: its loss on real samples against reconstructions and prior samples (the fakes' term is the
 *   mean over both kinds, so real and fake weigh the same).
 * LossRecord: `loss` (the encoder's objective at the full beta; the feature space moves as the discriminator
 * learns, so leave early stopping off), `kl`, `feature`, `mse` (per pixel, of the sampled reconstruction),
 * `discriminator`, `generator`.
 */
export class VaeGanModel implements Autoencoder<VaeGanConfig>, GenerativeModel<VaeGanConfig> {
  readonly kind = 'vaegan';
  readonly encodesToPrior = true;
  readonly optimizerNames = ['encoder', 'decoder', 'discriminator'] as const;
  /** Per-network learning rates and beta1 0.5, the usual stable Adam setting for adversarial training. */
  get optimizerSettings() {
    return {
      encoder: { learningRate: this.config.encoderLearningRate, beta1: 0.5 },
      decoder: { learningRate: this.config.decoderLearningRate, beta1: 0.5 },
      discriminator: { learningRate: this.config.discriminatorLearningRate, beta1: 0.5 },
    };
  }
  readonly networks: VaeGanNetworks;
  readonly spec: NetworkSpec;
  /** The discriminator returning [features, logit]; shares its weights. */
  private readonly features: tfl.LayersModel;
  private readonly seed: number;

  constructor(
    readonly config: VaeGanConfig,
    readonly context: BuildContext,
    networks: VaeGanNetworks,
  ) {
    this.spec = networkSpec(config, context);
    this.networks = networks;
    this.features = featureDiscriminator(networks.discriminator, config.featureLayer);
    this.seed = context.seed;
  }

  get latentSize(): number {
    return this.config.latent;
  }

  /** Per-step seeds: slot 0 the reparameterisation noise, slot 1 the prior draws. */
  private seedFor(step: number, slot: number): number {
    return slotSeed(this.seed, step, slot);
  }

  private encoderOutputs(x: Tensor, training: boolean): [Tensor, Tensor] {
    return this.networks.encoder.apply(x, { training }) as [Tensor, Tensor];
  }

  private runDecoder(z: Tensor, training: boolean): Tensor {
    return this.networks.decoder.apply(z, { training }) as Tensor;
  }

  /** [features, logit] of the discriminator on samples. */
  private discriminate(x: Tensor, training: boolean): [Tensor, Tensor] {
    return this.features.apply(x, { training }) as [Tensor, Tensor];
  }

  /** z = mean + exp(logVar / 2) · eps. */
  private reparameterise(mean: Tensor, logVar: Tensor, seed: number): Tensor {
    const eps = tf.randomNormal(mean.shape, 0, 1, 'float32', seed);
    return tf.add(mean, tf.mul(tf.exp(tf.mul(0.5, logVar)), eps));
  }

  /** The encoder's side (inside a tidy or variableGrads): KL, feature and pixel terms of sampled reconstructions. */
  private encoderLosses(x: Tensor, realFeatures: Tensor, seed: number, training: boolean) {
    const [mean, logVar] = this.encoderOutputs(x, training);
    const z = this.reparameterise(mean, logVar, seed);
    const recon = this.runDecoder(z, training);
    const [reconFeatures] = this.discriminate(recon, training);
    const kl = tf.sum(tf.mean(gaussianKl(mean, logVar), 0)) as Scalar;
    const feature = featureMatchingLoss(realFeatures, reconFeatures);
    const mse = meanSquaredError(x, recon);
    return { z, kl, feature, mse, pixel: pixelLoss(x, recon) };
  }

  private encoderObjective(parts: { kl: Scalar; feature: Scalar; pixel: Scalar }, weight: number): Scalar {
    const { pixelWeight } = this.config;
    return tf.addN([
      tf.mul(weight, parts.kl),
      parts.feature,
      ...(pixelWeight > 0 ? [tf.mul(pixelWeight, parts.pixel)] : []),
    ]) as Scalar;
  }

  /**
   * The decoder's side (inside a tidy or variableGrads) on codes z of the data and prior draws zp: the weighted
   * objective, the generator loss, and the reconstructions and samples [2n, ...] for the discriminator.
   */
  private decoderLosses(x: Tensor, realFeatures: Tensor, z: Tensor, zp: Tensor, training: boolean) {
    const { featureWeight, adversarialWeight, pixelWeight } = this.config;
    const n = x.shape[0];
    const fakes = this.runDecoder(tf.concat([z, zp], 0), training); // [2n, ...sampleShape]
    const [fakeFeatures, fakeLogits] = this.discriminate(fakes, training);
    const recon = tf.slice(fakes, 0, n);
    const feature = featureMatchingLoss(realFeatures, tf.slice(fakeFeatures, 0, n));
    const generator = generatorLoss(this.config.adversarialLoss, fakeLogits);
    const terms = [tf.mul(featureWeight, feature), tf.mul(adversarialWeight, generator)];
    if (pixelWeight > 0) terms.push(tf.mul(pixelWeight, pixelLoss(x, recon)));
    return { objective: tf.addN(terms) as Scalar, generator, fakes };
  }

  /** The discriminator's loss on real samples [n] against fakes [2n] (one pass over all 3n). */
  private discriminatorLosses(x: Tensor, fakes: Tensor, training: boolean): Scalar {
    const n = x.shape[0];
    const [, logits] = this.discriminate(tf.concat([x, fakes], 0), training);
    return discriminatorLoss(this.config.adversarialLoss, tf.slice(logits, 0, n), tf.slice(logits, n));
  }

  trainStep(batch: Batch, optimizers: Record<string, tf.Optimizer>): LossRecord {
    requireOptimizers(optimizers, this.optimizerNames, 'vaegan');
    const { x } = batch;
    const weight = klWeight(this.config, batch.epoch);
    const keep: Tensor[] = [];
    // The record's scalars, freed here only when the step fails.
    const out: Tensor[] = [];
    const grads: Record<string, tf.NamedTensorMap> = {};
    try {
      // Constants of every tape: the data's features and the prior draws.
      const [realFeatures, zp] = tf.tidy(() => [
        this.discriminate(x, true)[0],
        this.samplePrior(x.shape[0], this.seedFor(batch.step, 1)),
      ]);
      keep.push(realFeatures, zp);
      const encoder = gradientsOf(
        trainableVariables(this.networks.encoder),
        () => {
          const parts = this.encoderLosses(x, realFeatures, this.seedFor(batch.step, 0), true);
          return { ...parts, objective: this.encoderObjective(parts, weight) };
        },
        'objective',
      );
      grads.encoder = encoder.grads;
      const { z, kl, feature, mse, pixel, objective: encoderObjective } = encoder.parts;
      keep.push(encoderObjective, z, pixel);
      out.push(kl, feature, mse);
      const decoder = gradientsOf(
        trainableVariables(this.networks.decoder),
        () => this.decoderLosses(x, realFeatures, z, zp, true),
        'objective',
      );
      grads.decoder = decoder.grads;
      const { generator, fakes, objective: decoderObjective } = decoder.parts;
      keep.push(decoderObjective, fakes);
      out.push(generator);
      const critic = gradientsOf(
        trainableVariables(this.networks.discriminator),
        () => ({ discriminator: this.discriminatorLosses(x, fakes, true) }),
        'discriminator',
      );
      grads.discriminator = critic.grads;
      const { discriminator } = critic.parts;
      out.push(discriminator);
      for (const name of this.optimizerNames) optimizers[name].applyGradients(grads[name]);
      const loss = tf.tidy(() => this.encoderObjective({ kl, feature, pixel }, this.config.beta));
      return { loss, kl, feature, mse, discriminator, generator };
    } catch (error) {
      tf.dispose(out);
      throw error;
    } finally {
      tf.dispose(keep);
      for (const map of Object.values(grads)) tf.dispose(Object.values(map));
    }
  }

  /** The same losses as a training step, at the full beta, without updating anything. */
  evaluate(batch: Batch): LossRecord {
    return tf.tidy(() => {
      const { x } = batch;
      const step = evaluationStep(batch.step);
      const [realFeatures] = this.discriminate(x, false);
      const parts = this.encoderLosses(x, realFeatures, this.seedFor(step, 0), false);
      const zp = this.samplePrior(x.shape[0], this.seedFor(step, 1));
      const { generator, fakes } = this.decoderLosses(x, realFeatures, parts.z, zp, false);
      return {
        loss: this.encoderObjective(parts, this.config.beta),
        kl: parts.kl,
        feature: parts.feature,
        mse: parts.mse,
        discriminator: this.discriminatorLosses(x, fakes, false),
        generator,
      };
    });
  }

  /** The mean of q(z|x): [n, latent]. */
  encode(x: Tensor): Tensor {
    return tf.tidy(() => this.encoderOutputs(x, false)[0]);
  }

  /** [n, latent] → [n, ...sampleShape]. */
  decode(z: Tensor): Tensor {
    return tf.tidy(() => this.runDecoder(z, false));
  }

  reconstruct(x: Tensor): Tensor {
    return tf.tidy(() => this.decode(this.encode(x)));
  }

  /** Draws from the prior N(0, I): [n, latent]. */
  samplePrior(n: number, seed: number): Tensor {
    return tf.randomNormal([n, this.config.latent], 0, 1, 'float32', seed);
  }

  generate(z: Tensor): Tensor {
    return this.decode(z);
  }

  /** L_feature between two batches [n, ...sampleShape], on the discriminator's feature layer. */
  featureDistance(a: Tensor, b: Tensor): Scalar {
    return tf.tidy(() => featureMatchingLoss(this.discriminate(a, false)[0], this.discriminate(b, false)[0]));
  }

  /** Originals, reconstructions and decoded prior samples (rows: 3), the samples from the same draws every epoch. */
  preview(x: Tensor) {
    if (this.context.sampleShape.length !== 3) return undefined;
    return tf.tidy(() => {
      const n = x.shape[0];
      const samples = this.generate(this.samplePrior(n, this.seed));
      return { images: tf.concat([x, this.reconstruct(x), samples], 0), rows: 3, cols: n };
    });
  }

  networkRoles(): Record<string, NetworkRole> {
    const scored = discriminatorOutput(this.config.adversarialLoss);
    return {
      encoder: {
        summary: 'the approximate posterior q(z|x): [mean, logVariance] heads',
        inputs: [SAMPLES_INPUT],
        outputs: [
          'mean of q(z|x) [n, latent]: the code latentlab encodes to',
          'log-variance of q(z|x) [n, latent]: z = mean + exp(logVariance / 2) · ε',
        ],
      },
      decoder: {
        summary: 'the generator: maps a code (or a prior draw z ~ N(0, I)) to samples',
        inputs: ['a code z [n, latent]'],
        outputs: [samplesOutput('samples', this.spec.outputActivation)],
      },
      discriminator: {
        summary: `scores samples as real or generated; its hidden layer ${this.config.featureLayer} is the feature space reconstructions are measured in`,
        inputs: ['samples [n, ...sampleShape]'],
        outputs: [scored],
      },
    };
  }

  dispose(): void {
    // The feature model shares the discriminator's layers: disposing the three networks frees everything.
    for (const network of Object.values(this.networks)) network.dispose();
  }
}

export const vaeganFamily: ModelFamily<typeof VaeGanConfig> = {
  kind: 'vaegan',
  description:
    'VAE-GAN: a VAE whose decoder is a GAN generator, reconstructions compared on discriminator features (dense or conv)',
  configSchema: VaeGanConfig,
  build(config, context) {
    const spec = networkSpec(config, context);
    return new VaeGanModel(config, context, {
      encoder: buildEncoder(config, context),
      decoder: buildGenerator(spec, context, 'decoder'),
      discriminator: buildDiscriminator(spec, context),
    });
  },
  restore(config, context, networks) {
    return new VaeGanModel(config, context, {
      encoder: networks.encoder,
      decoder: networks.decoder,
      discriminator: networks.discriminator,
    });
  },
};
