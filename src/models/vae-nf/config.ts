// vae-nf's config: the VAE variant options plus the number of planar flows in the posterior.
import { z } from 'zod';
import { vaeVariantConfig } from '../vae/config.js';

export const VaeNfConfig = vaeVariantConfig('vae-nf', {
  // Rezende & Mohamed's MNIST runs use 10 to 80; 10 is their smallest and pythae's example.
  flows: z
    .number()
    .int()
    .min(1)
    .max(200)
    .default(10)
    .describe('K, the planar flows f(z) = z + u·tanh(wᵀz + b) applied to the posterior draw'),
});
export type VaeNfConfig = z.infer<typeof VaeNfConfig>;
