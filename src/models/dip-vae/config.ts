// DIP-VAE's config (Kumar et al. 2018): the VAE variant options plus the type and weights of the penalty that
// pushes the covariance of the codes towards the identity.
import { z } from 'zod';
import { vaeVariantConfig } from '../vae/config.js';

export const DipVaeConfig = vaeVariantConfig('dip-vae', {
  dipType: z
    .enum(['i', 'ii'])
    .default('i')
    .describe("DIP-VAE-I matches Cov[mean of q(z|x)] to I; DIP-VAE-II the aggregate posterior's Cov[z]"),
  // disentanglement_lib's dSprites settings (Locatello et al. 2019): lambda_od 10, lambda_d = 10 · lambda_od for
  // type i (use lambdaDiagonal = lambdaOffDiagonal for type ii, as they do).
  lambdaOffDiagonal: z
    .number()
    .min(0)
    .default(10)
    .describe('Weight of the squared off-diagonal entries of the covariance'),
  lambdaDiagonal: z
    .number()
    .min(0)
    .default(100)
    .describe('Weight of the squared distance of the diagonal entries from 1'),
});
export type DipVaeConfig = z.infer<typeof DipVaeConfig>;
