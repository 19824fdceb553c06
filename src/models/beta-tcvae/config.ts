// beta-TCVAE's config (Chen et al. 2018): the VAE variant options plus the weights of the KL's three parts.
import { z } from 'zod';
import { vaeVariantConfig } from '../vae/config.js';

export const BetaTcVaeConfig = vaeVariantConfig('beta-tcvae', {
  alpha: z.number().min(0).default(1).describe('Weight of the index-code mutual information I(x; z)'),
  // The paper's and pythae's default TC weight; it replaces the VAE's beta (the KL is split, not weighted).
  beta: z
    .number()
    .min(0)
    .default(6)
    .describe('Weight of the total correlation of q(z) (the term that favours factorised codes)'),
  gamma: z.number().min(0).default(1).describe('Weight of the dimension-wise KL Σ_d KL(q(z_d) || p(z_d))'),
});
export type BetaTcVaeConfig = z.infer<typeof BetaTcVaeConfig>;
