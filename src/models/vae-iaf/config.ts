// vae-iaf's config: the VAE variant options plus the inverse autoregressive flow's blocks and their MADEs.
import { z } from 'zod';
import { units } from '../limits.js';
import { vaeVariantConfig } from '../vae/config.js';

export const VaeIafConfig = vaeVariantConfig('vae-iaf', {
  // pythae's VAE_IAF defaults: 2 MADE blocks of 3 hidden layers of 128 units.
  flows: z
    .number()
    .int()
    .min(1)
    .max(50)
    .default(2)
    .describe('IAF blocks applied to the posterior draw, the order of z reversed between blocks'),
  madeHidden: z
    .array(units())
    .min(1)
    .default([128, 128, 128])
    .describe('Hidden widths of the MADE inside each block (masked so output i sees inputs before i only)'),
});
export type VaeIafConfig = z.infer<typeof VaeIafConfig>;
