// The VampPrior's config (Tomczak & Welling 2018): the VAE variant options plus the number of pseudo-inputs.
import { z } from 'zod';
import { vaeVariantConfig } from '../vae/config.js';

export const VampPriorConfig = vaeVariantConfig('vamp-prior', {
  // pythae's and the paper's MNIST setting.
  pseudoInputs: z
    .number()
    .int()
    .min(1)
    .max(5000)
    .default(500)
    .describe('K, the learned pseudo-inputs u_k whose posteriors make the prior p(z) = 1/K Σ_k q(z|u_k)'),
});
export type VampPriorConfig = z.infer<typeof VampPriorConfig>;
