// WAE-MMD (Tolstikhin, Bousquet, Gelly & Schoelkopf 2018): a deterministic encoder whose codes, as a batch, are
// pulled to the prior N(0, I) by the MMD between them and prior draws; no per-sample KL.
import { type Scalar, tf } from '../../engine/tf.js';
import type { BuildContext } from '../family.js';
import { DeterministicEncoderModel } from '../shared/deterministic-encoder.js';
import { mmd2 } from '../shared/mmd.js';
import { type ObjectiveContext, type VaeNetworks, type VaePass, vaeVariantFamily } from '../vae/model.js';
import { WaeConfig } from './config.js';

export * from './config.js';

export class WaeModel extends DeterministicEncoderModel<WaeConfig> {
  /** loss = -log p(x|z) (the VAE's reconstruction, nats) + mmdWeight · MMD²(z, z′ ~ N(0, I)), over the batch. */
  protected override objective(pass: VaePass, context: ObjectiveContext) {
    const reconstruction = tf.mean(pass.nll) as Scalar;
    const prior = tf.randomNormal(pass.z.shape, 0, 1, 'float32', context.seed);
    const mmd = mmd2(pass.z, prior, this.config);
    const loss = tf.add(reconstruction, tf.mul(this.config.mmdWeight, mmd)) as Scalar;
    return { loss, reconstruction, mmd };
  }
}

export const waeFamily = vaeVariantFamily({
  kind: 'wae',
  description: 'Wasserstein autoencoder (WAE-MMD): deterministic codes matched to N(0, I) by an MMD penalty',
  configSchema: WaeConfig,
  model: (config: WaeConfig, context: BuildContext, networks: VaeNetworks) =>
    new WaeModel(config, context, networks),
});
