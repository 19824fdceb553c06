// Configs of the regularised autoencoders (Ghosh et al. 2020): rae-l2 (decoder weight decay) and rae-gp (decoder
// gradient penalty), each with the embedding penalty ½|z|². Defaults are pythae's.
import { z } from 'zod';
import { vaeVariantConfig } from '../vae/config.js';

const embeddingWeight = z
  .number()
  .min(0)
  .default(1e-4)
  .describe(
    'β: weight of the embedding penalty ½|z|² per sample, which keeps the codes near 0 (pythae: 1e-4)',
  );

export const RaeL2Config = vaeVariantConfig('rae-l2', {
  embeddingWeight,
  decoderWeightDecay: z
    .number()
    .min(0)
    .default(1e-7)
    .describe("λ: L2 weight decay of the decoder, λ/2 · Σ w² added to the loss (pythae's reg_weight: 1e-7)"),
});
export type RaeL2Config = z.infer<typeof RaeL2Config>;

export const RaeGpConfig = vaeVariantConfig('rae-gp', {
  embeddingWeight,
  gradientPenaltyWeight: z
    .number()
    .min(0)
    .default(1e-7)
    .describe(
      "λ: weight of the decoder's gradient penalty |∂(Σ x̂)/∂z|² per sample, which smooths the decoder (pythae: 1e-7)",
    ),
});
export type RaeGpConfig = z.infer<typeof RaeGpConfig>;
