// CTGAN's options (Xu et al. 2019, as SDV's ctgan package sets them): every field has a default, so
// `{ kind: 'ctgan' }` is a complete config.
import { z } from 'zod';
import { units } from '../limits.js';

export const CtganConfig = z.object({
  kind: z.literal('ctgan'),
  latent: units()
    .default(128)
    .describe("Size of the generator's noise z ~ N(0, I) (SDV's embedding_dim: 128)"),
  generatorHidden: z
    .array(units())
    .default([256, 256])
    .describe('Widths of the residual blocks of the generator (dense, batch norm, ReLU; input concatenated)'),
  discriminatorHidden: z
    .array(units())
    .default([256, 256])
    .describe('Widths of the discriminator hidden layers (leaky ReLU 0.2, dropout)'),
  pac: z
    .number()
    .int()
    .positive()
    .default(10)
    .describe('PacGAN: rows the discriminator judges together (SDV: 10)'),
  dropout: z.number().min(0).max(0.9).default(0.5).describe('Dropout rate of the discriminator (SDV: 0.5)'),
  gradientPenaltyWeight: z.number().min(0).default(10).describe('WGAN-GP lambda (SDV: 10)'),
  gumbelTau: z
    .number()
    .positive()
    .default(0.2)
    .describe("Temperature of the Gumbel-softmax on the generator's choice groups (SDV: 0.2)"),
  discriminatorSteps: z
    .number()
    .int()
    .positive()
    .default(1)
    .describe('Discriminator updates per generator update (SDV: 1)'),
  generatorLearningRate: z
    .number()
    .positive()
    .default(2e-4)
    .describe("Generator's Adam learning rate (replaces train.optimizer.learningRate; SDV: 2e-4)"),
  discriminatorLearningRate: z
    .number()
    .positive()
    .default(2e-4)
    .describe("Discriminator's Adam learning rate (replaces train.optimizer.learningRate; SDV: 2e-4)"),
  weightDecay: z
    .number()
    .min(0)
    .default(1e-6)
    .describe("L2 weight decay of both networks, as torch Adam's weight_decay (SDV: 1e-6)"),
  logFrequency: z
    .boolean()
    .default(true)
    .describe('Training-by-sampling draws a level by log frequency (true, SDV) or by frequency'),
});
export type CtganConfig = z.infer<typeof CtganConfig>;
