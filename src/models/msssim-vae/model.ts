// The MS-SSIM VAE (Snell et al. 2017; pythae's MSSSIM_VAE): the reconstruction term is 1 - MS-SSIM between the
// image and its decoding, a perceptual error in place of the per-pixel likelihood, plus beta · KL. Images only.
import { type Scalar, tf } from '../../engine/tf.js';
import { ConfigError } from '../../errors.js';
import type { BuildContext } from '../family.js';
import { msssim } from '../shared/ssim.js';
import {
  gaussianKl,
  type ObjectiveContext,
  VaeModel,
  type VaeNetworks,
  type VaePass,
  vaeVariantFamily,
  variantBody,
} from '../vae/model.js';
import { MsssimVaeConfig } from './config.js';

export * from './config.js';

export class MsssimVaeModel extends VaeModel<MsssimVaeConfig> {
  /** loss = mean(1 - MS-SSIM(decoded, x)) + weight · KL; -log p(x|z) is reported beside it, untrained on. */
  protected override objective(pass: VaePass, context: ObjectiveContext) {
    const similarity = msssim(this.toData(pass.out), pass.x, { window: this.config.window }); // [n]
    const reconstruction = tf.mean(tf.sub(1, similarity)) as Scalar;
    const kl = tf.sum(tf.mean(gaussianKl(pass.mean, pass.logVar), 0)) as Scalar;
    const loss = tf.add(reconstruction, tf.mul(context.weight, kl)) as Scalar;
    return { loss, reconstruction, kl, nll: tf.mean(pass.nll) as Scalar };
  }
}

export const msssimVaeFamily = vaeVariantFamily({
  kind: 'msssim-vae',
  description: 'VAE with 1 - MS-SSIM as its reconstruction term (Snell et al. 2017), for images',
  configSchema: MsssimVaeConfig,
  body: (config: MsssimVaeConfig, context: BuildContext) => {
    if (context.sampleShape.length !== 3) {
      throw new ConfigError(
        `msssim-vae compares images [height, width, channels], but the samples have shape [${context.sampleShape.join(', ')}]: pick image data or another kind`,
        { path: 'model.kind' },
      );
    }
    return variantBody(config, context);
  },
  model: (config: MsssimVaeConfig, context: BuildContext, networks: VaeNetworks) =>
    new MsssimVaeModel(config, context, networks),
  needsImages: true,
});
