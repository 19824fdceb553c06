// Config of the MS-SSIM VAE (Snell et al. 2017, as pythae): 1 - MS-SSIM as the reconstruction term.
import { z } from 'zod';
import { vaeVariantConfig } from '../vae/config.js';

export const MsssimVaeConfig = vaeVariantConfig('msssim-vae', {
  beta: z
    .number()
    .min(0)
    .default(1e-3)
    .describe(
      'Weight of the KL (nats) against 1 - MS-SSIM, a mean over pixels: 1e-3 is about 1/784, per pixel of a 28x28 ELBO',
    ),
  window: z
    .number()
    .int()
    .min(1)
    .max(15)
    .refine((w) => w % 2 === 1, 'expected an odd window side')
    .default(11)
    .describe('Side of the Gaussian SSIM window (σ = 1.5), odd; 11 as Wang et al. and pythae'),
});
export type MsssimVaeConfig = z.infer<typeof MsssimVaeConfig>;
