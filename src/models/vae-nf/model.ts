// vae-nf: a VAE whose posterior goes through K planar flows (Rezende & Mohamed 2015),
// f(z) = z + û·tanh(wᵀz + b), log|det| = log|1 + (1 - tanh²(wᵀz + b)) wᵀû|, with û the paper's correction of u
// that keeps wᵀû ≥ -1, so every f is invertible.
import { type Tensor, tf } from '../../engine/tf.js';
import type { BuildContext } from '../family.js';
import {
  buildFlowNetwork,
  composeFlows,
  FlowVaeModel,
  type ParameterBlock,
  splitParameters,
} from '../vae/flow-vae.js';
import { type VaeNetworks, vaeVariantFamily } from '../vae/model.js';
import { VaeNfConfig } from './config.js';

export { VaeNfConfig } from './config.js';

/** The flow's seeds start here, apart from the encoder's and decoder's. */
const FLOW_SEED_OFFSET = 5003;

/** Per flow: u [latent], w [latent], b [1]. */
function planarBlocks(flows: number, latent: number): ParameterBlock[] {
  return Array.from({ length: flows }, () => [
    { shape: [latent], init: 'normal' as const },
    { shape: [latent], init: 'normal' as const },
    { shape: [1], init: 0 },
  ]).flat();
}

/** û = u + (m(wᵀu) - wᵀu) w / ||w||², m(a) = -1 + softplus(a): then wᵀû = m(wᵀu) > -1 (the paper's appendix A.1). */
export function invertibleU(u: Tensor, w: Tensor): Tensor {
  return tf.tidy(() => {
    const wu = tf.sum(tf.mul(w, u));
    const m = tf.sub(tf.softplus(wu), 1);
    return tf.add(u, tf.mul(tf.div(tf.sub(m, wu), tf.add(tf.sum(tf.square(w)), 1e-12)), w));
  });
}

/** One planar flow on z [m, latent]: f(z) [m, latent] and log|det ∂f/∂z| [m]. */
export function planarFlow(z: Tensor, u: Tensor, w: Tensor, b: Tensor): { z: Tensor; logDet: Tensor } {
  return tf.tidy(() => {
    const uHat = invertibleU(u, w);
    const h = tf.tanh(tf.add(tf.sum(tf.mul(z, w), -1), b)); // [m]
    const out = tf.add(z, tf.mul(tf.expandDims(h, -1), uHat));
    // 1 + ψᵀû with ψ = (1 - h²) w; ≥ 0 by the correction, and a floor keeps the log finite where it touches 0.
    const det = tf.add(1, tf.mul(tf.sub(1, tf.square(h)), tf.sum(tf.mul(w, uHat))));
    return { z: out, logDet: tf.log(tf.add(tf.abs(det), 1e-8)) };
  });
}

export class VaeNfModel extends FlowVaeModel<VaeNfConfig> {
  protected flowSummary =
    'the K planar flows of the posterior: per flow u [latent], w [latent], b [1], in order';

  flow(z0: Tensor, parameters: Tensor): { z: Tensor; logDet: Tensor } {
    const blocks = splitParameters(parameters, planarBlocks(this.config.flows, this.config.latent));
    return composeFlows(z0, this.config.flows, (z, k) =>
      planarFlow(z, blocks[3 * k], blocks[3 * k + 1], blocks[3 * k + 2]),
    );
  }
}

export const vaeNfFamily = vaeVariantFamily({
  kind: 'vae-nf',
  description: 'VAE with K planar normalising flows in the posterior (Rezende & Mohamed 2015)',
  configSchema: VaeNfConfig,
  model: (config: VaeNfConfig, context: BuildContext, networks: VaeNetworks) =>
    new VaeNfModel(config, context, networks),
  extraNetworks: (config: VaeNfConfig, context: BuildContext) => ({
    flow: buildFlowNetwork(
      config.latent,
      planarBlocks(config.flows, config.latent),
      context.seed + FLOW_SEED_OFFSET,
    ),
  }),
});
