// Config schemas of the table autoencoders: table-ae (a masked denoising autoencoder that learns from incomplete
// rows and fills their gaps) and table-vae (the same as a VAE: a Gaussian code, KL to N(0, I), sampling).
import { z } from 'zod';
import { units } from '../limits.js';
import { Activation } from '../shared/autoencoder-base.js';

const tableAutoencoderOptions = {
  hidden: z
    .array(units())
    .default([128, 64])
    .describe('Encoder hidden widths, input side first; the decoder mirrors them'),
  latent: units().default(16).describe('Size of the code (the bottleneck width)'),
  activation: Activation.default('relu').describe('Activation of the hidden layers'),
  hideRate: z
    .number()
    .min(0)
    .lt(1)
    .default(0.2)
    .describe(
      'Share of the observed cells hidden from the encoder at random each step (and scored), so the model learns to fill gaps',
    ),
  embedding: units()
    .default(8)
    .describe(
      'Width of the learned embedding of a categorical column encoded with `embedding` (at most its number of levels)',
    ),
};

export const TableAutoencoderConfig = z.object({
  kind: z.literal('table-ae'),
  ...tableAutoencoderOptions,
});
export type TableAutoencoderConfig = z.infer<typeof TableAutoencoderConfig>;

export const TableVaeConfig = z.object({
  kind: z.literal('table-vae'),
  ...tableAutoencoderOptions,
  beta: z.number().min(0).default(1).describe('Weight of the KL term (beta-VAE); 1 gives the ELBO'),
  klWarmupEpochs: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('Epochs over which the KL weight ramps linearly from 0 (epoch 1) to beta; 0 disables warm-up'),
});
export type TableVaeConfig = z.infer<typeof TableVaeConfig>;

export type AnyTableAutoencoderConfig = TableAutoencoderConfig | TableVaeConfig;
