// Config of the importance-weighted autoencoder (Burda et al. 2016): a VAE trained on the k-sample bound.
import { z } from 'zod';
import { vaeVariantConfig } from '../vae/config.js';

export const IwaeConfig = vaeVariantConfig('iwae', {
  samples: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(5)
    .describe(
      'Importance samples k per input in the training bound -log (1/k Σ p(x, z_i) / q(z_i|x)); k = 1 is the ELBO',
    ),
});
export type IwaeConfig = z.infer<typeof IwaeConfig>;
