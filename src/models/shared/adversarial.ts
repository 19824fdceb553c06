// Adversarial updates for any discriminator: alternate(), the one round every adversarial family plays (k
// discriminator updates, then a generator update: gan, aae, latentgan, aegan), and for the hybrids the options of
// the game, the discriminator's objective and the generator side's loss, adversarialRound over them, the
// adversarial Adam settings, and the discriminators (over codes or images) built from the GAN's.
import { z } from 'zod';
import { type Scalar, type Tensor, tf, type tfl } from '../../engine/tf.js';
import type { BuildContext } from '../family.js';
import type { Architecture } from './architecture.js';
import {
  discriminatorLoss,
  GanLoss,
  generatorLoss,
  gradientPenalty,
  r1Penalty,
  wassersteinEstimate,
} from './gan-losses.js';
import { buildDiscriminator, discriminate, type NetworkSpec } from './gan-networks.js';
import { minimize, type Parts, trainableVariables } from './step.js';

/** A GAN NetworkSpec for dense networks over flat [n, size] vectors (codes). */
export function codeNetworkSpec(
  noise: number,
  generatorHidden: number[],
  discriminatorHidden: number[],
): NetworkSpec {
  return {
    architecture: 'dense',
    latent: noise,
    generatorHidden,
    discriminatorHidden,
    generatorFilters: [1],
    discriminatorFilters: [1],
    kernelSize: 1,
    outputActivation: 'linear',
    generatorClasses: 0,
    discriminatorClasses: 0,
    auxiliaryClasses: 0,
  };
}

/** The image discriminator of a hybrid: the GAN family's dense (MLP) or conv (DCGAN) discriminator. */
export function buildImageDiscriminator(
  architecture: Architecture,
  hidden: number[],
  filters: number[],
  context: BuildContext,
  seedOffset: number,
  spectralNorm = false,
): tfl.LayersModel {
  const spec: NetworkSpec = {
    ...codeNetworkSpec(1, [], hidden),
    architecture,
    discriminatorFilters: filters,
    kernelSize: 4,
    spectralNorm,
  };
  return buildDiscriminator(spec, { ...context, seed: context.seed + seedOffset });
}

// --- Adversarial updates ---

/** Options of a hybrid's adversarial game, spread into a schema. */
export const adversarialOptions = {
  adversarialLoss: GanLoss.default('non-saturating').describe(
    'GAN objective of the adversarial part: minimax, non-saturating, lsgan, wgan-gp or hinge',
  ),
  gradientPenaltyWeight: z
    .number()
    .min(0)
    .default(10)
    .describe('wgan-gp only: weight lambda of the gradient penalty'),
  r1: z
    .number()
    .min(0)
    .default(0)
    .describe('R1 gradient-penalty weight on real samples (losses other than wgan-gp); 0 disables'),
  discriminatorSteps: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('Discriminator updates per generator update; default 5 for wgan-gp, else 1'),
  spectralNorm: z
    .boolean()
    .default(false)
    .describe(
      'Spectral normalisation (Miyato et al. 2018) of every discriminator layer, one power iteration per training pass',
    ),
};

export interface AdversarialSettings {
  adversarialLoss: GanLoss;
  gradientPenaltyWeight: number;
  r1: number;
}

/** Discriminator updates per generator update, with the loss-dependent default filled in. */
export function discriminatorStepsOf(config: AdversarialSettings & { discriminatorSteps?: number }): number {
  return config.discriminatorSteps ?? (config.adversarialLoss === 'wgan-gp' ? 5 : 1);
}

/** Refuses r1 with wgan-gp, which has its own penalty (a schema refinement shared by the hybrids). */
export function checkAdversarial(config: AdversarialSettings, ctx: z.RefinementCtx): void {
  if (config.r1 > 0 && config.adversarialLoss === 'wgan-gp') {
    ctx.addIssue({
      code: 'custom',
      path: ['r1'],
      message: 'wgan-gp has its own gradient penalty (gradientPenaltyWeight); r1 is for the other losses',
    });
  }
}

/**
 * A discriminator's objective on real vs fake samples, penalties included (inside a tape or tidy):
 * `discriminator` (the total it minimises), and for wgan-gp `wasserstein`.
 */
export function discriminatorObjective(
  network: tfl.LayersModel,
  real: Tensor,
  fake: Tensor,
  settings: AdversarialSettings,
  seed: number,
): { discriminator: Scalar; wasserstein?: Scalar } {
  const logit = (x: Tensor) => discriminate(network, x, undefined, true).logit;
  const onReal = logit(real);
  const onFake = logit(fake);
  let total = discriminatorLoss(settings.adversarialLoss, onReal, onFake);
  if (settings.adversarialLoss === 'wgan-gp') {
    const penalty = gradientPenalty(logit, real, fake, { lambda: settings.gradientPenaltyWeight, seed });
    return {
      discriminator: tf.add(total, penalty) as Scalar,
      wasserstein: wassersteinEstimate(onReal, onFake),
    };
  }
  if (settings.r1 > 0) total = tf.add(total, r1Penalty(logit, real, settings.r1)) as Scalar;
  return { discriminator: total };
}

/** The generator side's adversarial loss on its samples (inside a tape). */
export function adversarialLossOf(network: tfl.LayersModel, fake: Tensor, loss: GanLoss): Scalar {
  return generatorLoss(loss, discriminate(network, fake, undefined, true).logit);
}

export interface AdversarialRound {
  discriminator: tfl.LayersModel;
  real: Tensor;
  /** Generated samples from noise, inside a tape (training mode). */
  fake: (noise: Tensor) => Tensor;
  noise: (n: number, seed: number) => Tensor;
  optimizers: { discriminator: tf.Optimizer; generator: tf.Optimizer };
  /** What the generator side updates. */
  variables: tf.Variable[];
  settings: AdversarialSettings & { discriminatorSteps?: number };
  /** Seed of a slot within this training step. */
  seed: (slot: number) => number;
  /** Name of the discriminator's loss in the returned parts (default `discriminator`). */
  discriminatorName?: string;
}

/**
 * "k discriminator updates, then a generator update", the round every adversarial family plays (gan, the
 * hybrids, aae): `steps` calls of `discriminatorUpdate(k)`, each freeing the previous one's parts, then one call
 * of `generatorUpdate`. Returns the last discriminator update's parts and the generator update's (the caller
 * owns them); on a throw, frees the parts it holds.
 */
export function alternate<D extends Parts, G extends Parts>(
  steps: number,
  discriminatorUpdate: (k: number) => D,
  generatorUpdate: () => G,
): { discriminator: D; generator: G } {
  let discriminator: D | undefined;
  try {
    for (let k = 0; k < steps; k++) {
      const previous = discriminator;
      discriminator = undefined;
      if (previous) tf.dispose(present(previous));
      discriminator = discriminatorUpdate(k);
    }
    return { discriminator: discriminator ?? ({} as D), generator: generatorUpdate() };
  } catch (error) {
    if (discriminator) tf.dispose(present(discriminator));
    throw error;
  }
}

function present(parts: Parts): Tensor[] {
  return Object.values(parts).filter((v): v is Tensor => v !== undefined);
}

/**
 * One round of a hybrid's GAN: discriminatorSteps updates of the discriminator on real vs generated samples
 * (fresh noise each, no tape through the generator), then one update of the generator side against it. Returns
 * the discriminator's loss (and `wasserstein` for wgan-gp) and the generator side's loss `generator`.
 */
export function adversarialRound(round: AdversarialRound): Record<string, Scalar | undefined> {
  const n = round.real.shape[0];
  const dVars = trainableVariables(round.discriminator);
  const { discriminator, generator } = alternate(
    discriminatorStepsOf(round.settings),
    (k) => {
      const generated = tf.tidy(() => round.fake(round.noise(n, round.seed(10 * k))));
      try {
        return minimize(
          round.optimizers.discriminator,
          dVars,
          () =>
            discriminatorObjective(
              round.discriminator,
              round.real,
              generated,
              round.settings,
              round.seed(10 * k + 1),
            ),
          'discriminator',
        );
      } finally {
        generated.dispose();
      }
    },
    () => {
      const noise = round.noise(n, round.seed(1000));
      try {
        const loss = round.settings.adversarialLoss;
        return minimize(
          round.optimizers.generator,
          round.variables,
          () => ({ generator: adversarialLossOf(round.discriminator, round.fake(noise), loss) }),
          'generator',
        );
      } finally {
        noise.dispose();
      }
    },
  );
  return {
    [round.discriminatorName ?? 'discriminator']: discriminator.discriminator,
    wasserstein: discriminator.wasserstein,
    generator: generator.generator,
  };
}

/** Adam settings of an adversarial optimiser: its learning rate and DCGAN's beta1 0.5. */
export function adversarialAdam(learningRate: number) {
  return { learningRate, beta1: 0.5 };
}
