// Config of InfoVAE with the MMD divergence (Zhao, Song & Ermon 2019), in pythae's alpha and lambda.
import { z } from 'zod';
import { mmdOptions } from '../shared/mmd.js';
import { vaeVariantConfig } from '../vae/config.js';

export const InfoVaeConfig = vaeVariantConfig('info-vae', {
  ...mmdOptions,
  alpha: z
    .number()
    .max(1)
    .default(0)
    .describe("α: the per-sample KL is weighted 1 - α (α = 1 drops it; Zhao et al.'s MMD-VAE uses 0)"),
  lambda: z
    .number()
    .min(0)
    .default(1000)
    .describe(
      "λ: the MMD between the codes and the prior is weighted α + λ - 1 (Zhao et al.'s MMD-VAE: 1000)",
    ),
});
export type InfoVaeConfig = z.infer<typeof InfoVaeConfig>;
