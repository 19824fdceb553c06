// Config schema of the attention autoencoder (attention-ae): patches, token width, heads and depth of the
// transformer blocks, and the options every autoencoder shares.
import { z } from 'zod';
import { units } from '../limits.js';
import { BLOCK_ACTIVATIONS } from '../shared/attention.js';
import { autoencoderOptions } from '../shared/autoencoder-base.js';

export const AttentionAutoencoderConfig = z
  .object({
    kind: z.literal('attention-ae'),
    /** Side of the square, non-overlapping patches; must divide height and width (7: 16 patches on 28x28). */
    patchSize: z
      .number()
      .int()
      .positive()
      .default(7)
      .describe('Side of the square, non-overlapping patches in pixels; must divide height and width'),
    dim: units().default(64).describe('Token width inside the transformer blocks'),
    heads: z.number().int().positive().default(4).describe('Attention heads per block; must divide dim'),
    depth: z
      .number()
      .int()
      .positive()
      .default(2)
      .describe('Transformer blocks in the encoder, and as many again in the decoder'),
    mlpRatio: z
      .number()
      .positive()
      .max(16)
      .default(2)
      .describe("Hidden width of each block's MLP, as a multiple of dim"),
    ...autoencoderOptions,
    activation: z
      .enum(BLOCK_ACTIVATIONS)
      .default('gelu')
      .describe("Activation inside the blocks' MLPs (gelu, as in most transformers)"),
  })
  .superRefine((config, ctx) => {
    if (config.dim % config.heads !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['heads'],
        message: `${config.heads} heads do not divide dim ${config.dim}`,
      });
    }
  });
export type AttentionAutoencoderConfig = z.infer<typeof AttentionAutoencoderConfig>;
