// Regularised autoencoders (Ghosh, Sajjadi, Vergari, Black & Schoelkopf 2020, "From variational to deterministic
// autoencoders"): a deterministic encoder, reconstruction + β · ½|z|², and a smooth decoder through L2 weight
// decay (rae-l2) or a gradient penalty (rae-gp). There is no prior: samples come from a density fitted to the
// codes after training (`latentlab sample --sampler gaussian`, or gmm as Ghosh et al. and pythae do).
import { type Scalar, type Tensor, tf } from '../../engine/tf.js';
import type { BuildContext } from '../family.js';
import { DeterministicEncoderModel } from '../shared/deterministic-encoder.js';
import { trainableVariables } from '../shared/step.js';
import { weightDecayPenalty } from '../shared/table-heads.js';
import { type ObjectiveContext, type VaeNetworks, type VaePass, vaeVariantFamily } from '../vae/model.js';
import { RaeGpConfig, RaeL2Config } from './config.js';

export * from './config.js';

type RaeConfig = RaeL2Config | RaeGpConfig;

export class RaeModel<C extends RaeConfig = RaeConfig> extends DeterministicEncoderModel<C> {
  constructor(config: C, context: BuildContext, networks: VaeNetworks) {
    super(config, context, networks);
    // Nothing pulls the codes to N(0, I), so there is no prior to draw from: without samplePrior and generate
    // the model is a plain autoencoder to every command (isGenerative is false), and `sample`, `evaluate` and
    // `compare` draw from a density fitted to its training codes, as Ghosh et al. and pythae do. (Own properties
    // shadow VaeModel's methods, since a subclass cannot drop a method in TypeScript.)
    Object.defineProperties(this, {
      samplePrior: { value: undefined },
      generate: { value: undefined },
      encodesToPrior: { value: undefined },
    });
  }

  /** Originals and reconstructions (rows: 2): there are no prior samples to show. */
  override preview(x: Tensor) {
    if (this.context.sampleShape.length !== 3) return undefined;
    return tf.tidy(() => ({ images: tf.concat([x, this.reconstruct(x)], 0), rows: 2, cols: x.shape[0] }));
  }

  /** ½|z|² per sample: [n]. */
  protected embeddingPenalty(z: Tensor): Tensor {
    return tf.mul(0.5, tf.sum(tf.square(z), -1));
  }

  /**
   * |∂(Σ_pixels x̂)/∂z|² per sample: [n], the decoder's gradient at each code (one vector-Jacobian product with
   * ones, as pythae, rather than the Jacobian's Frobenius norm, which would take a backward pass per pixel).
   * Differentiable: a step takes its gradient with respect to the weights.
   */
  decoderGradientPenalty(z: Tensor, y?: Tensor): Tensor {
    const grad = tf.grad((code: Tensor) => tf.sum(this.decodedData(code, y)))(z);
    return tf.sum(tf.square(grad), -1);
  }

  protected override objective(pass: VaePass, _context: ObjectiveContext) {
    const reconstruction = tf.mean(pass.nll) as Scalar;
    const embedding = tf.mean(this.embeddingPenalty(pass.z)) as Scalar;
    const parts: Record<string, Scalar> = { reconstruction, embedding };
    let loss = tf.add(reconstruction, tf.mul(this.config.embeddingWeight, embedding));
    const config: RaeConfig = this.config;
    if (config.kind === 'rae-l2') {
      const decay = weightDecayPenalty(
        trainableVariables(this.networks.decoder),
        config.decoderWeightDecay,
      ) as Scalar;
      parts.decoderDecay = decay;
      loss = tf.add(loss, decay);
    } else {
      const penalty = tf.mean(this.decoderGradientPenalty(pass.z, pass.y)) as Scalar;
      parts.gradientPenalty = penalty;
      loss = tf.add(loss, tf.mul(config.gradientPenaltyWeight, penalty));
    }
    return { loss: loss as Scalar, ...parts };
  }
}

export const raeL2Family = vaeVariantFamily({
  kind: 'rae-l2',
  description:
    'regularised autoencoder (Ghosh et al. 2020): deterministic codes, embedding penalty, decoder weight decay; sample with --sampler',
  configSchema: RaeL2Config,
  model: (config: RaeL2Config, context: BuildContext, networks: VaeNetworks) =>
    new RaeModel(config, context, networks),
});

export const raeGpFamily = vaeVariantFamily({
  kind: 'rae-gp',
  description:
    'regularised autoencoder (Ghosh et al. 2020): deterministic codes, embedding penalty, decoder gradient penalty; sample with --sampler',
  configSchema: RaeGpConfig,
  model: (config: RaeGpConfig, context: BuildContext, networks: VaeNetworks) =>
    new RaeModel(config, context, networks),
});

/** Both RAE kinds, for the registry. */
export const raeFamilies = [raeL2Family, raeGpFamily] as const;
