// TVAE's options (Xu et al. 2019, as SDV's ctgan package sets them): every field has a default, so
// `{ kind: 'tvae' }` is a complete config.
import { z } from 'zod';
import { units } from '../limits.js';

export const TvaeConfig = z.object({
  kind: z.literal('tvae'),
  hidden: z
    .array(units())
    .default([128, 128])
    .describe('Encoder hidden widths, input side first; the decoder mirrors them (SDV: 128, 128)'),
  latent: units().default(128).describe('Size of the latent code z (the prior is N(0, I); SDV: 128)'),
  lossFactor: z
    .number()
    .positive()
    .default(2)
    .describe("Weight of the reconstruction term against the KL term (SDV's loss_factor: 2)"),
  weightDecay: z
    .number()
    .min(0)
    .default(1e-5)
    .describe("L2 weight decay, as torch Adam's weight_decay (SDV's l2scale: 1e-5)"),
  choices: z
    .enum(['draw', 'argmax'])
    .default('draw')
    .describe(
      "Sampling: each category (and number's mode) drawn from the decoder's probabilities, or its most likely (argmax, as SDV)",
    ),
  valueNoise: z
    .boolean()
    .default(true)
    .describe('Sampling adds the learned sigma noise to each value, as SDV does; false keeps the mean'),
});
export type TvaeConfig = z.infer<typeof TvaeConfig>;
