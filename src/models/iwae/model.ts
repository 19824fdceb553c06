// The importance-weighted autoencoder (Burda, Grosse & Salakhutdinov 2016): the VAE's networks trained on the
// k-sample bound -log (1/k Σ_i w_i), w_i = p(x|z_i) p(z_i) / q(z_i|x), a tighter bound on -log p(x) than the ELBO.
import { type Scalar, tf } from '../../engine/tf.js';
import type { BuildContext } from '../family.js';
import {
  gaussianKl,
  type ObjectiveContext,
  VaeModel,
  type VaeNetworks,
  type VaePass,
  vaeVariantFamily,
} from '../vae/model.js';
import { IwaeConfig } from './config.js';

export * from './config.js';

export class IwaeModel extends VaeModel<IwaeConfig> {
  /**
   * loss: the IWAE bound with `samples` draws, in nats per sample (the VAE's log-weights, so sample 0 is the draw
   * the pass made: k = 1 gives the one-draw -ELBO). Reported beside it: the -ELBO with the KL in closed form.
   */
  protected override objective(pass: VaePass, context: ObjectiveContext) {
    const k = this.config.samples;
    const logWeights = this.logWeights(pass.x, pass.mean, pass.logVar, pass.y, 0, k, context.seed); // [k, n]
    const bound = tf.sub(Math.log(k), tf.logSumExp(logWeights, 0)); // [n]
    const loss = tf.mean(bound) as Scalar;
    const reconstruction = tf.mean(pass.nll) as Scalar;
    const kl = tf.sum(tf.mean(gaussianKl(pass.mean, pass.logVar), 0)) as Scalar;
    return {
      loss,
      iwaeBound: loss.clone(),
      reconstruction,
      kl,
      negElbo: tf.add(reconstruction, kl) as Scalar,
    };
  }
}

export const iwaeFamily = vaeVariantFamily({
  kind: 'iwae',
  description: 'importance-weighted autoencoder: a VAE trained on the k-sample bound (Burda et al. 2016)',
  configSchema: IwaeConfig,
  model: (config: IwaeConfig, context: BuildContext, networks: VaeNetworks) =>
    new IwaeModel(config, context, networks),
});
