// FactorVAE's config (Kim & Mnih 2018): the VAE variant options, the TC weight gamma and the discriminator over
// codes with its own Adam settings.
import { z } from 'zod';
import { units } from '../limits.js';
import { vaeVariantConfig } from '../vae/config.js';

export const FactorVaeConfig = vaeVariantConfig('factor-vae', {
  // Kim & Mnih's setting for dSprites (their Figure 5 sweeps 10 .. 100).
  gamma: z
    .number()
    .min(0)
    .default(35)
    .describe("Weight of the total correlation, estimated by the discriminator's logits"),
  // The paper's discriminator: an MLP of 6 layers of 1000 units (5 hidden, then the logit).
  discriminatorHidden: z
    .array(units())
    .default([1000, 1000, 1000, 1000, 1000])
    .describe('Hidden widths of the discriminator telling codes from dimension-wise permuted codes'),
  discriminatorLearningRate: z
    .number()
    .positive()
    .default(1e-4)
    .describe("Adam learning rate of the discriminator (the paper's 1e-4)"),
  discriminatorBeta1: z
    .number()
    .min(0)
    .lt(1)
    .default(0.5)
    .describe("Adam beta1 of the discriminator (the paper's 0.5)"),
  discriminatorBeta2: z
    .number()
    .min(0)
    .lt(1)
    .default(0.9)
    .describe("Adam beta2 of the discriminator (the paper's 0.9)"),
});
export type FactorVaeConfig = z.infer<typeof FactorVaeConfig>;
