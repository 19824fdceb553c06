// Config schema of GAIN (Yoon et al. 2018), generative adversarial imputation: defaults as the paper's code.
import { z } from 'zod';
import { units } from '../limits.js';
import { Activation } from '../shared/autoencoder-base.js';

export const GainConfig = z.object({
  kind: z.literal('gain'),
  hidden: z
    .array(units())
    .optional()
    .describe(
      'Hidden widths of the generator and of the discriminator; default two layers as wide as the encoded row (the paper’s)',
    ),
  activation: Activation.default('relu').describe('Activation of the hidden layers'),
  hintRate: z
    .number()
    .min(0)
    .max(1)
    .default(0.9)
    .describe('Share of the cells whose mask the hint reveals to the discriminator (the paper’s 0.9)'),
  alpha: z
    .number()
    .min(0)
    .default(100)
    .describe('Weight of the reconstruction of observed cells in the generator’s loss (the paper’s 100)'),
});
export type GainConfig = z.infer<typeof GainConfig>;
