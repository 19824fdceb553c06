// Config schema of the `gan` kind. Every field has a default, so `{ kind: 'gan' }` is a complete config;
// defaults that depend on other fields (latent size, discriminator steps) are filled in after parsing.
import { z } from 'zod';
import { units } from '../limits.js';
import { Architecture } from '../shared/architecture.js';
import { GanLoss } from '../shared/gan-losses.js';
import { convGanOptions } from '../shared/gan-networks.js';

export const GanConfig = z
  .object({
    kind: z.literal('gan'),
    architecture: Architecture.default('dense').describe(
      'dense (an MLP) works on any sample shape; conv (DCGAN: transposed convolutions, batch norm) on images only',
    ),
    adversarialLoss: GanLoss.default('non-saturating').describe(
      'GAN objective: minimax, non-saturating, lsgan, wgan-gp (with gradient penalty) or hinge',
    ),
    /** Size of the generator's Gaussian noise; default 64 (dense) or 100 (conv, as in DCGAN, Radford et al.). */
    latent: units()
      .optional()
      .describe("Size of the generator's Gaussian noise; default 64 (dense) or 100 (conv)"),
    generatorHidden: z
      .array(units())
      .default([256, 256])
      .describe('dense: hidden widths of the generator, noise side first'),
    discriminatorHidden: z
      .array(units())
      .default([256, 256])
      .describe('dense: hidden widths of the discriminator, input side first'),
    ...convGanOptions,
    conditional: z
      .boolean()
      .default(false)
      .describe(
        'Conditional GAN: one-hot class labels into the generator and the discriminator (needs labels)',
      ),
    acgan: z
      .boolean()
      .default(false)
      .describe(
        'AC-GAN: labels into the generator and an auxiliary class head on the discriminator (needs labels)',
      ),
    classWeight: z.number().min(0).default(1).describe('AC-GAN only: weight of the class loss on both sides'),
    discriminatorSteps: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        'Discriminator updates per generator update, each with fresh noise; default 5 for wgan-gp, else 1',
      ),
    generatorLearningRate: z
      .number()
      .positive()
      .default(2e-4)
      .describe("Generator's Adam learning rate (replaces train.optimizer.learningRate)"),
    discriminatorLearningRate: z
      .number()
      .positive()
      .default(2e-4)
      .describe("Discriminator's Adam learning rate (replaces train.optimizer.learningRate)"),
    labelSmoothing: z
      .number()
      .min(0)
      .lt(1)
      .default(0)
      .describe(
        'One-sided label smoothing s: real targets become 1 - s (minimax, non-saturating, lsgan only)',
      ),
    instanceNoise: z
      .number()
      .min(0)
      .default(0)
      .describe(
        'Std of Gaussian noise added to every discriminator input (real and generated) at train time',
      ),
    instanceNoiseEpochs: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe('Epochs over which the instance noise falls linearly to 0; 0 keeps it constant'),
    /**
     * R1 penalty weight gamma on real data (Mescheder et al. 2018), for the losses other than wgan-gp: keeps
     * non-saturating training from cycling between modes. 0 disables.
     */
    r1: z
      .number()
      .min(0)
      .default(0)
      .describe('R1 gradient-penalty weight on real data (losses other than wgan-gp); 0 disables'),
    gradientPenaltyWeight: z
      .number()
      .min(0)
      .default(10)
      .describe('wgan-gp only: weight lambda of the gradient penalty'),
    spectralNorm: z
      .boolean()
      .default(false)
      .describe(
        'Spectral normalisation (Miyato et al. 2018) of every discriminator layer, one power iteration per training pass',
      ),
    ema: z
      .number()
      .min(0)
      .lt(1)
      .default(0)
      .describe(
        "Decay of an exponential moving average of the generator's weights, used for sampling; 0 disables",
      ),
  })
  .superRefine((config, ctx) => {
    if (
      config.labelSmoothing > 0 &&
      (config.adversarialLoss === 'wgan-gp' || config.adversarialLoss === 'hinge')
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['labelSmoothing'],
        message: `label smoothing needs a loss with targets (minimax, non-saturating, lsgan), not ${config.adversarialLoss}`,
      });
    }
  })
  .superRefine((config, ctx) => {
    if (config.r1 > 0 && config.adversarialLoss === 'wgan-gp') {
      ctx.addIssue({
        code: 'custom',
        path: ['r1'],
        message: 'wgan-gp has its own gradient penalty (gradientPenaltyWeight); r1 is for the other losses',
      });
    }
  })
  .transform((config) => ({
    ...config,
    latent: config.latent ?? (config.architecture === 'conv' ? 100 : 64),
    discriminatorSteps: config.discriminatorSteps ?? (config.adversarialLoss === 'wgan-gp' ? 5 : 1),
  }));
export type GanConfig = z.output<typeof GanConfig>;

/** Standard deviation of the instance noise in a training epoch (1-based); without an epoch, the full level. */
export function instanceNoiseAt(
  config: Pick<GanConfig, 'instanceNoise' | 'instanceNoiseEpochs'>,
  epoch?: number,
): number {
  if (config.instanceNoiseEpochs === 0 || epoch === undefined) return config.instanceNoise;
  return config.instanceNoise * Math.max(0, 1 - (epoch - 1) / config.instanceNoiseEpochs);
}
