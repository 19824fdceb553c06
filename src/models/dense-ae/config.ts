// Config schema of the dense autoencoder (dense-ae): hidden widths, code activation and the options every
// autoencoder shares (noise for denoising, sparsity, loss, output activation).
import { z } from 'zod';
import { units } from '../limits.js';
import { Activation, autoencoderOptions } from '../shared/autoencoder-base.js';

export const DenseAutoencoderConfig = z.object({
  kind: z.literal('dense-ae'),
  /** Encoder hidden widths, input side first; the decoder mirrors them. [] gives a shallow autoencoder. */
  hidden: z.array(units()).default([256]),
  ...autoencoderOptions,
  /** Activation on the code; linear keeps the code unconstrained (as PCA's is). */
  latentActivation: Activation.default('linear'),
});
export type DenseAutoencoderConfig = z.infer<typeof DenseAutoencoderConfig>;
