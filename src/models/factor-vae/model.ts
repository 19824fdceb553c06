// FactorVAE (Kim & Mnih 2018): the ELBO plus gamma times the total correlation of q(z), estimated by a
// discriminator that tells codes from codes whose dimensions were shuffled across the batch (samples of Π_d q(z_d)).

import { meanSquaredError } from '../../engine/kernels/row-loss.js';
import { type Scalar, type Tensor, tf } from '../../engine/tf.js';
import type { Batch, BuildContext, LossRecord, NetworkRole } from '../family.js';
import { codeNetworkSpec } from '../shared/adversarial.js';
import { discriminatorLoss } from '../shared/gan-losses.js';
import { buildDiscriminator } from '../shared/gan-networks.js';
import { klWeight } from '../shared/gaussian-code.js';
import { slotSeed } from '../shared/seeds.js';
import { gradientsOf, requireOptimizers, trainableVariables } from '../shared/step.js';
import {
  type ObjectiveContext,
  VaeModel,
  type VaeNetworks,
  type VaePass,
  vaeVariantFamily,
} from '../vae/model.js';
import { FactorVaeConfig } from './config.js';

export { FactorVaeConfig } from './config.js';

/** The discriminator's seeds start here, apart from the encoder's and decoder's. */
const DISCRIMINATOR_SEED_OFFSET = 4001;

/**
 * Each column of z [n, latent] shuffled across the batch by its own seeded permutation (the paper's
 * Algorithm 1): draws from the product of the marginals Π_d q(z_d). [n, latent]
 */
export function permuteDimensions(z: Tensor, seed: number): Tensor {
  return tf.tidy(() => {
    const [n, latent] = z.shape;
    // The order of seeded uniform keys is a uniformly random permutation per row.
    const order = tf.topk(tf.randomUniform([latent, n], 0, 1, 'float32', seed), n).indices; // [latent, n]
    // Row d's indices offset by d·n pick from the flattened columns (gather's batchDims is wrong on wasm).
    const flat = tf.add(order, tf.reshape(tf.range(0, latent * n, n, 'int32'), [latent, 1]));
    return tf.transpose(
      tf.reshape(tf.gather(tf.reshape(tf.transpose(z), [-1]), tf.reshape(flat, [-1])), [latent, n]),
    );
  });
}

export class FactorVaeModel extends VaeModel<FactorVaeConfig> {
  override readonly optimizerNames: readonly string[] = ['vae', 'discriminator'];

  get optimizerSettings() {
    const { discriminatorLearningRate, discriminatorBeta1, discriminatorBeta2 } = this.config;
    return {
      discriminator: {
        learningRate: discriminatorLearningRate,
        beta1: discriminatorBeta1,
        beta2: discriminatorBeta2,
      },
    };
  }

  override networkRoles(): Record<string, NetworkRole> {
    return {
      ...super.networkRoles(),
      discriminator: {
        summary:
          'tells codes of q(z) from dimension-wise permuted codes; its logit estimates the total correlation',
        inputs: ['a code z [n, latent]'],
        outputs: ['logit that z came from q(z) rather than Π_d q(z_d) [n, 1]'],
      },
    };
  }

  /** The discriminator's logits [n]. */
  protected discriminate(z: Tensor, training: boolean): Tensor {
    return tf.squeeze(this.networks.discriminator.apply(z, { training }) as Tensor, [-1]);
  }

  /** Its loss: cross-entropy of codes (label 1) against permuted codes (label 0), each half weighted 1/2. */
  protected discriminatorObjective(z: Tensor, seed: number, training: boolean): Scalar {
    const logits = this.discriminate(tf.concat([z, permuteDimensions(z, seed)], 0), training);
    const n = z.shape[0];
    return tf.mul(0.5, discriminatorLoss('minimax', tf.slice(logits, 0, n), tf.slice(logits, n))) as Scalar;
  }

  /**
   * The VAE's objective + gamma · TC, TC ≈ E[log D(z) / (1 - D(z))] = the mean logit. Evaluation reports the
   * discriminator's loss beside it; training takes it in its own update (trainStep).
   */
  protected override objective(pass: VaePass, context: ObjectiveContext) {
    const base = super.objective(pass, context);
    const totalCorrelation = tf.mean(this.discriminate(pass.z, context.training)) as Scalar;
    const ramp = klWeight({ beta: 1, klWarmupEpochs: this.config.klWarmupEpochs }, context.batch.epoch);
    const loss = tf.add(base.loss, tf.mul(this.config.gamma * ramp, totalCorrelation)) as Scalar;
    const discriminator = context.training
      ? undefined
      : this.discriminatorObjective(pass.z, slotSeed(this.seed, context.batch.step, 1), false);
    return { ...base, loss, totalCorrelation, ...(discriminator ? { discriminator } : {}) };
  }

  /**
   * Both updates at the same weights: the VAE's on its objective, the discriminator's on codes of this batch
   * (taken as constants) against their permutation, seeded by the step. Like pythae, one batch serves both (the
   * paper draws a second batch for the permutation).
   */
  override trainStep(batch: Batch, optimizers: Record<string, tf.Optimizer>): LossRecord {
    requireOptimizers(optimizers, this.optimizerNames, this.kind);
    this.requireLabels(batch.labels, 'training');
    const weight = klWeight(this.config, batch.epoch);
    const seed = slotSeed(this.seed, batch.step, 0);
    const vae = gradientsOf(
      this.trainableVariables(),
      () => {
        const pass = this.forward(batch, true, seed);
        const record = this.objective(pass, { training: true, seed, weight, batch });
        const mse = meanSquaredError(batch.x, this.toData(pass.out));
        return { ...record, mse, codes: pass.z };
      },
      'loss',
    );
    const { codes, ...record } = vae.parts;
    let critic: ReturnType<typeof gradientsOf<{ discriminator: Scalar }>> | undefined;
    try {
      critic = gradientsOf(
        trainableVariables(this.networks.discriminator),
        () => ({
          discriminator: this.discriminatorObjective(codes, slotSeed(this.seed, batch.step, 1), true),
        }),
        'discriminator',
      );
      optimizers.vae.applyGradients(vae.grads);
      optimizers.discriminator.applyGradients(critic.grads);
      return { ...record, discriminator: critic.parts.discriminator } as LossRecord;
    } catch (error) {
      tf.dispose(Object.values(record));
      throw error;
    } finally {
      codes.dispose();
      tf.dispose(Object.values(vae.grads));
      if (critic) tf.dispose(Object.values(critic.grads));
    }
  }
}

export const factorVaeFamily = vaeVariantFamily({
  kind: 'factor-vae',
  description:
    'FactorVAE: a VAE penalising the total correlation of its codes, estimated by a discriminator over permuted codes',
  configSchema: FactorVaeConfig,
  model: (config: FactorVaeConfig, context: BuildContext, networks: VaeNetworks) =>
    new FactorVaeModel(config, context, networks),
  extraNetworks: (config: FactorVaeConfig, context: BuildContext) => ({
    discriminator: buildDiscriminator(codeNetworkSpec(config.latent, [], config.discriminatorHidden), {
      ...context,
      sampleShape: [config.latent],
      seed: context.seed + DISCRIMINATOR_SEED_OFFSET,
    }),
  }),
});
