// The VampPrior (Tomczak & Welling 2018): the prior is the mixture of the encoder's posteriors at K learned
// pseudo-inputs, p(z) = 1/K Σ_k q(z|u_k); the KL is estimated from the one draw z of q(z|x).
import { sampleSize } from '../../data/dataset.js';
import { type Scalar, type Tensor, tf, tfl } from '../../engine/tf.js';
import { ConfigError } from '../../errors.js';
import type { BuildContext, NetworkRole } from '../family.js';
import { logPosterior } from '../shared/log-density.js';
import {
  type ObjectiveContext,
  VaeModel,
  type VaeNetworks,
  type VaePass,
  vaeVariantFamily,
  variantBody,
} from '../vae/model.js';
import { VampPriorConfig } from './config.js';

export { VampPriorConfig } from './config.js';

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * log (1/K Σ_k N(z; means_k, e^logVars_k)) for codes z [..., latent] under K diagonal components [K, latent]:
 * [...]. Expanded into matrix products, so no [..., K, latent] tensor is made (IWAE passes hold many codes).
 */
export function mixtureLogDensity(z: Tensor, means: Tensor, logVars: Tensor): Tensor {
  return tf.tidy(() => {
    const [K, latent] = means.shape as [number, number];
    const flat = tf.reshape(z, [-1, latent]); // [m, latent]
    const precision = tf.exp(tf.neg(logVars)); // [K, latent]
    // Σ_l (z_l - μ_kl)² / σ²_kl = z² · w_k - 2 z · (μ_k w_k) + μ_k² · w_k
    const quadratic = tf.add(
      tf.sub(
        tf.matMul(tf.square(flat), precision, false, true),
        tf.mul(2, tf.matMul(flat, tf.mul(means, precision), false, true)),
      ),
      tf.sum(tf.mul(tf.square(means), precision), 1),
    ); // [m, K]
    const logComponents = tf.mul(-0.5, tf.add(quadratic, tf.add(tf.sum(logVars, 1), latent * LOG_2PI)));
    return tf.reshape(tf.sub(tf.logSumExp(logComponents, 1), Math.log(K)), z.shape.slice(0, -1));
  });
}

/**
 * The network holding the pseudo-inputs: a one-hot index [K] through a bias-free dense layer whose kernel rows
 * are the pseudo-inputs, clipped to [0, 1] for data in that range (the paper's hardtanh), shaped as a sample.
 * Fed the identity, it gives all K: [K, ...sampleShape].
 */
function buildPseudoInputs(config: VampPriorConfig, context: BuildContext): tfl.LayersModel {
  const K = config.pseudoInputs;
  const index = tfl.input({ shape: [K], name: 'pseudo_inputs_index' });
  // The paper's code starts every pseudo-pixel near 0.05 (N(0.05, 0.01)).
  const kernelInitializer = tfl.initializers.randomNormal({
    mean: 0.05,
    stddev: 0.01,
    seed: context.seed * 1009 + 997,
  });
  let h = tfl.layers
    .dense({ units: sampleSize(context), useBias: false, kernelInitializer, name: 'pseudo_inputs' })
    .apply(index) as tfl.SymbolicTensor;
  const unitRange = config.likelihood === 'bernoulli' || config.outputActivation === 'sigmoid';
  if (unitRange)
    h = tfl.layers.reLU({ maxValue: 1, name: 'pseudo_inputs_clip' }).apply(h) as tfl.SymbolicTensor;
  const out = tfl.layers.reshape({ targetShape: context.sampleShape, name: 'pseudo_inputs_shape' }).apply(h);
  return tfl.model({ name: 'pseudo_inputs', inputs: index, outputs: out as tfl.SymbolicTensor });
}

export class VampPriorModel extends VaeModel<VampPriorConfig> {
  override networkRoles(): Record<string, NetworkRole> {
    return {
      ...super.networkRoles(),
      pseudoInputs: {
        summary:
          'the K learned pseudo-inputs u_k: the prior is 1/K Σ_k q(z|u_k) (feed it the identity matrix)',
        inputs: ['one-hot index of pseudo-inputs [n, K]'],
        outputs: ['the pseudo-inputs [n, ...sampleShape]'],
      },
    };
  }

  /** The prior's components: the encoder's [means, logVariances] at the pseudo-inputs, [K, latent] each. */
  protected components(training: boolean): [Tensor, Tensor] {
    const u = this.networks.pseudoInputs.apply(tf.eye(this.config.pseudoInputs), { training }) as Tensor;
    return this.encoderOutputs(u, undefined, training);
  }

  /** log p(z) under the VampPrior: [...] for codes [..., latent]. */
  logPrior(z: Tensor, training = false): Tensor {
    return tf.tidy(() => mixtureLogDensity(z, ...this.components(training)));
  }

  /** log q(z|x) - log p(z) at the one draw z: [n]. */
  protected override klPerSample(pass: VaePass): Tensor {
    return tf.sub(logPosterior(pass.eps, pass.logVar), this.logPrior(pass.z, true));
  }

  /** reconstruction + weight · KL (the one-draw estimate; free bits do not apply), and -ELBO. */
  protected override objective(pass: VaePass, context: ObjectiveContext) {
    const reconstruction = tf.mean(pass.nll) as Scalar;
    const kl = tf.mean(this.klPerSample(pass)) as Scalar;
    const loss = tf.add(reconstruction, tf.mul(context.weight, kl)) as Scalar;
    return { loss, reconstruction, kl, negElbo: tf.add(reconstruction, kl) as Scalar };
  }

  protected override logPriorOverPosterior(z: Tensor, eps: Tensor, logVar: Tensor): Tensor {
    return tf.sub(this.logPrior(z), logPosterior(eps, logVar));
  }

  /** Draws from the mixture: a component picked uniformly per draw, then its Gaussian. [n, latent] */
  override samplePrior(n: number, seed: number): Tensor {
    return tf.tidy(() => {
      const K = this.config.pseudoInputs;
      const [means, logVars] = this.components(false);
      const pick = tf.cast(
        tf.minimum(tf.floor(tf.randomUniform([n], 0, K, 'float32', seed)), K - 1),
        'int32',
      );
      const eps = tf.randomNormal([n, this.config.latent], 0, 1, 'float32', seed + 1);
      return this.sample(tf.gather(means, pick), tf.gather(logVars, pick), eps);
    });
  }

  override trainableVariables(): tf.Variable[] {
    return [
      ...super.trainableVariables(),
      ...this.networks.pseudoInputs.trainableWeights.map((w) => w.read() as tf.Variable),
    ];
  }
}

/** The VAE's body; the pseudo-inputs have no labels, so a conditional VampPrior is refused. */
function vampBody(config: VampPriorConfig, context: BuildContext) {
  if (config.conditional)
    throw new ConfigError('vamp-prior cannot be conditional: its pseudo-inputs carry no class', {
      path: 'model.conditional',
    });
  return variantBody(config, context);
}

export const vampPriorFamily = vaeVariantFamily({
  kind: 'vamp-prior',
  description: "VampPrior VAE: the prior is a mixture of the encoder's posteriors at K learned pseudo-inputs",
  configSchema: VampPriorConfig,
  body: vampBody,
  model: (config: VampPriorConfig, context: BuildContext, networks: VaeNetworks) =>
    new VampPriorModel(config, context, networks),
  extraNetworks: (config: VampPriorConfig, context: BuildContext) => ({
    pseudoInputs: buildPseudoInputs(config, context),
  }),
});
