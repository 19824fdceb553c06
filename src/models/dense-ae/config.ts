// Config schema of the dense autoencoder (dense-ae): hidden widths, code activation and the options every
// autoencoder shares (noise for denoising, sparsity, loss, output activation).
import { z } from 'zod';
import { units } from '../limits.js';
import { Activation, autoencoderOptions } from '../shared/autoencoder-base.js';

export const DenseAutoencoderConfig = z.object({
  kind: z.literal('dense-ae'),
  hidden: z
    .array(units())
    .default([256])
    .describe(
      'Encoder hidden widths, input side first; the decoder mirrors them ([] gives a shallow autoencoder)',
    ),
  ...autoencoderOptions,
  latentActivation: Activation.default('linear').describe(
    'Activation on the code; linear leaves the code unconstrained (as PCA does)',
  ),
});
export type DenseAutoencoderConfig = z.infer<typeof DenseAutoencoderConfig>;
