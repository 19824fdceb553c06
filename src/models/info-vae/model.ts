// InfoVAE-MMD (Zhao, Song & Ermon 2019): the ELBO with its per-sample KL weighted 1 - α, plus (α + λ - 1) times
// the MMD between the batch's codes and prior draws, which keeps the aggregate posterior near the prior without
// forcing each q(z|x) onto it.
import { type Scalar, tf } from '../../engine/tf.js';
import type { BuildContext } from '../family.js';
import { mmd2 } from '../shared/mmd.js';
import {
  gaussianKl,
  type ObjectiveContext,
  VaeModel,
  type VaeNetworks,
  type VaePass,
  vaeVariantFamily,
} from '../vae/model.js';
import { InfoVaeConfig } from './config.js';

export * from './config.js';

export class InfoVaeModel extends VaeModel<InfoVaeConfig> {
  /** loss = reconstruction + (1 - α) · KL + (α + λ - 1) · MMD²(z, z′ ~ N(0, I)); the -ELBO is reported beside it. */
  protected override objective(pass: VaePass, context: ObjectiveContext) {
    const { alpha, lambda } = this.config;
    const reconstruction = tf.mean(pass.nll) as Scalar;
    const kl = tf.sum(tf.mean(gaussianKl(pass.mean, pass.logVar), 0)) as Scalar;
    // A seed apart from the pass's eps (which used context.seed), so the prior draws are not the same noise.
    const prior = tf.randomNormal(pass.z.shape, 0, 1, 'float32', context.seed + 7_919);
    const mmd = mmd2(pass.z, prior, this.config);
    const loss = tf.addN([reconstruction, tf.mul(1 - alpha, kl), tf.mul(alpha + lambda - 1, mmd)]) as Scalar;
    return { loss, reconstruction, kl, mmd, negElbo: tf.add(reconstruction, kl) as Scalar };
  }
}

export const infoVaeFamily = vaeVariantFamily({
  kind: 'info-vae',
  description:
    'InfoVAE-MMD: the ELBO with a reweighted KL and an MMD between the codes and N(0, I) (Zhao et al. 2019)',
  configSchema: InfoVaeConfig,
  model: (config: InfoVaeConfig, context: BuildContext, networks: VaeNetworks) =>
    new InfoVaeModel(config, context, networks),
});
