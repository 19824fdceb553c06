// Config schema of the `gan` kind. Every field has a default, so `{ kind: 'gan' }` is a complete config;
// defaults that depend on other fields (latent size, discriminator steps) are filled in after parsing.
import { z } from 'zod';
import { units } from '../limits.js';
import { Architecture } from '../shared/architecture.js';
import { GanLoss } from '../shared/gan-losses.js';

export const GanConfig = z
  .object({
    kind: z.literal('gan'),
    /** `dense` (an MLP) works on any sample shape; `conv` (DCGAN: transposed convolutions, batch norm) on images only. */
    architecture: Architecture.default('dense'),
    adversarialLoss: GanLoss.default('non-saturating'),
    /** Size of the generator's Gaussian noise; default 64 (dense) or 100 (conv, as in DCGAN, Radford et al.). */
    latent: units().optional(),
    /** Dense hidden widths of the generator (noise side first) and of the discriminator (input side first). */
    generatorHidden: z.array(units()).default([256, 256]),
    discriminatorHidden: z.array(units()).default([256, 256]),
    /** Conv generator channels, widest first; k entries upsample by 2^k, so height and width need 2^k | size. */
    generatorFilters: z.array(units()).min(1).default([128, 64]),
    /** Conv discriminator channels of its stride-2 convolutions, input side first. */
    discriminatorFilters: z.array(units()).min(1).default([64, 128]),
    kernelSize: z.number().int().positive().default(4),
    /** Generator output: `auto` is sigmoid for images (data in [0, 1]) and linear otherwise (tables, 2-D toys). */
    outputActivation: z.enum(['auto', 'sigmoid', 'linear']).default('auto'),
    /** Conditional GAN: one-hot class labels into the generator and the discriminator. */
    conditional: z.boolean().default(false),
    /** AC-GAN: labels into the generator and an auxiliary classifier head on the discriminator. */
    acgan: z.boolean().default(false),
    /** Weight of the AC-GAN class loss on both sides. */
    classWeight: z.number().min(0).default(1),
    /** Discriminator updates per generator update (each with fresh noise); default 5 for wgan-gp, else 1. */
    discriminatorSteps: z.number().int().positive().optional(),
    /** Adam learning rates of the two networks; they replace train.optimizer.learningRate for GANs. */
    generatorLearningRate: z.number().positive().default(2e-4),
    discriminatorLearningRate: z.number().positive().default(2e-4),
    /** One-sided label smoothing: the discriminator's real targets are 1 - s (BCE and lsgan losses). */
    labelSmoothing: z.number().min(0).lt(1).default(0),
    /** Std of Gaussian noise added to every discriminator input (real and generated) during training. */
    instanceNoise: z.number().min(0).default(0),
    /** The instance noise falls linearly to 0 over this many epochs; 0 keeps it constant. */
    instanceNoiseEpochs: z.number().int().min(0).default(0),
    /**
     * R1 penalty weight gamma on real data (Mescheder et al. 2018), for the losses other than wgan-gp: keeps
     * non-saturating training from cycling between modes. 0 disables.
     */
    r1: z.number().min(0).default(0),
    /** WGAN-GP's gradient-penalty weight lambda. */
    gradientPenaltyWeight: z.number().min(0).default(10),
    /** Decay of an exponential moving average of the generator's weights, used for sampling; 0 disables. */
    ema: z.number().min(0).lt(1).default(0),
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
