// vae-iaf: a VAE whose posterior goes through inverse autoregressive flows (Kingma et al. 2016): per block a MADE
// gives [m, s] = MADE(z), autoregressive in z, and z' = σ ⊙ z + (1 - σ) ⊙ m with σ = sigmoid(s) (the paper's
// numerically stable form), log|det| = Σ log σ; the order of z is reversed between blocks.
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
import { VaeIafConfig } from './config.js';

export { VaeIafConfig } from './config.js';

/** The flow's seeds start here, apart from the encoder's and decoder's. */
const FLOW_SEED_OFFSET = 6007;
/** The paper's forget-gate start: sigmoid(2) ≈ 0.88, so every block begins close to the identity. */
const GATE_BIAS = 2;

/** Per block, per MADE layer: kernel [in, out], bias [out]; the last layer outputs [m, s] as [latent, 2·latent]. */
function iafBlocks(flows: number, latent: number, hidden: number[]): ParameterBlock[] {
  const widths = [latent, ...hidden];
  const one: ParameterBlock[] = [];
  for (let i = 0; i < hidden.length; i++)
    one.push({ shape: [widths[i], widths[i + 1]], init: 'glorot' }, { shape: [widths[i + 1]], init: 0 });
  one.push(
    { shape: [widths[hidden.length], latent], init: 'glorot' },
    { shape: [latent], init: 0 },
    { shape: [widths[hidden.length], latent], init: 'glorot' },
    { shape: [latent], init: GATE_BIAS },
  );
  return Array.from({ length: flows }, () => one).flat();
}

/**
 * MADE's masks (Germain et al. 2015) for inputs of degrees 1..latent and hidden units of degrees cycling 1..latent-1:
 * a hidden unit sees inputs of degree ≤ its own, output i sees hidden units of degree < i. [in, out] each, 0/1.
 */
export function madeMasks(latent: number, hidden: number[]): number[][][] {
  const span = Math.max(1, latent - 1);
  const degrees = [
    Array.from({ length: latent }, (_, i) => i + 1),
    ...hidden.map((width) => Array.from({ length: width }, (_, j) => (j % span) + 1)),
  ];
  const masks = hidden.map((_, l) => degrees[l].map((d) => degrees[l + 1].map((e) => (e >= d ? 1 : 0))));
  const last = degrees[hidden.length];
  masks.push(last.map((d) => degrees[0].map((i) => (i > d ? 1 : 0))));
  return masks;
}

export class VaeIafModel extends FlowVaeModel<VaeIafConfig> {
  protected flowSummary =
    'the IAF blocks of the posterior: per block the MADE kernels and biases (masked in use), the last as m then s';
  private readonly masks: number[][][];

  constructor(config: VaeIafConfig, context: BuildContext, networks: VaeNetworks) {
    super(config, context, networks);
    this.masks = madeMasks(config.latent, config.madeHidden);
  }

  /** One IAF block on z [m, latent] with its MADE parameters: z' [m, latent] and log|det| [m]. */
  private block(z: Tensor, parameters: Tensor[]): { z: Tensor; logDet: Tensor } {
    const layers = this.config.madeHidden.length;
    let h = z;
    for (let l = 0; l < layers; l++) {
      const kernel = tf.mul(parameters[2 * l], tf.tensor2d(this.masks[l]));
      h = tf.relu(tf.add(tf.matMul(h, kernel), parameters[2 * l + 1]));
    }
    const outMask = tf.tensor2d(this.masks[layers]);
    const m = tf.add(tf.matMul(h, tf.mul(parameters[2 * layers], outMask)), parameters[2 * layers + 1]);
    const s = tf.add(tf.matMul(h, tf.mul(parameters[2 * layers + 2], outMask)), parameters[2 * layers + 3]);
    const gate = tf.sigmoid(s);
    const out = tf.add(tf.mul(gate, z), tf.mul(tf.sub(1, gate), m));
    // log σ(s) = -softplus(-s) (tf.logSigmoid's gradient reads a tensor its tidy has freed).
    return { z: out, logDet: tf.sum(tf.neg(tf.softplus(tf.neg(s))), -1) };
  }

  flow(z0: Tensor, parameters: Tensor): { z: Tensor; logDet: Tensor } {
    const { flows, latent, madeHidden } = this.config;
    const all = splitParameters(parameters, iafBlocks(flows, latent, madeHidden));
    const perBlock = all.length / flows;
    // Reversing the order between blocks lets every dimension depend on every other after two (|det| = 1).
    return composeFlows(z0, flows, (z, k) =>
      this.block(k > 0 ? tf.reverse(z, -1) : z, all.slice(k * perBlock, (k + 1) * perBlock)),
    );
  }
}

export const vaeIafFamily = vaeVariantFamily({
  kind: 'vae-iaf',
  description: 'VAE with inverse autoregressive flows (MADE blocks) in the posterior (Kingma et al. 2016)',
  configSchema: VaeIafConfig,
  model: (config: VaeIafConfig, context: BuildContext, networks: VaeNetworks) =>
    new VaeIafModel(config, context, networks),
  extraNetworks: (config: VaeIafConfig, context: BuildContext) => ({
    flow: buildFlowNetwork(
      config.latent,
      iafBlocks(config.flows, config.latent, config.madeHidden),
      context.seed + FLOW_SEED_OFFSET,
    ),
  }),
});
