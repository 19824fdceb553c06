// Config schemas of the variational autoencoder kinds (vae, conv-vae, cvae) and the KL weight schedule.
// Every field has a default, so `{ kind: 'vae' }` is a complete config.
import { z } from 'zod';
import { units } from '../limits.js';
import { Activation, convBodyOptions } from '../shared/autoencoder-base.js';
import { freeBitsOption } from '../shared/gaussian-code.js';

/** Options shared by every VAE kind (and every variant of the VAE zoo). */
export const vaeOptions = {
  latent: units().default(32).describe('Size of the latent code z (the prior is N(0, I))'),
  activation: Activation.default('relu').describe('Activation of the hidden layers'),
  /**
   * p(x|z): `bernoulli` for data in [0, 1] (the decoder outputs logits; cross-entropy is computed from them),
   * `gaussian` for real-valued data (the decoder outputs the mean; the scale is `sigma`).
   */
  likelihood: z
    .enum(['bernoulli', 'gaussian'])
    .default('bernoulli')
    .describe('p(x|z): bernoulli for data in [0, 1], gaussian for real-valued data (its scale is sigma)'),
  /**
   * Gaussian likelihood only: a fixed standard deviation, `learned` (one scale for all entries) or
   * `learned-per-pixel` (one per entry). Learned scales live in the decoder network, so they are saved.
   */
  sigma: z
    .union([z.number().positive(), z.enum(['learned', 'learned-per-pixel'])])
    .default('learned')
    .describe(
      "Gaussian likelihood only: fixed standard deviation, 'learned' (one scale) or 'learned-per-pixel'",
    ),
  /**
   * Activation of what decode() returns: the Bernoulli decoder is always sigmoid; the Gaussian mean may be
   * sigmoid (data in [0, 1]) or linear (standardised tables).
   */
  outputActivation: z
    .enum(['sigmoid', 'linear'])
    .default('sigmoid')
    .describe(
      'What decode() returns: sigmoid, or linear (gaussian likelihood only, e.g. standardised tables)',
    ),
  beta: z.number().min(0).default(1).describe('Weight of the KL term (beta-VAE); 1 gives the ELBO'),
  klWarmupEpochs: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('Epochs over which the KL weight ramps linearly from 0 (epoch 1) to beta; 0 disables warm-up'),
  /** Free bits: KL floor per latent dimension in nats (sum over dims of max(freeBits, batch-mean KL_d)). */
  freeBits: freeBitsOption(),
  conditional: z
    .boolean()
    .default(false)
    .describe(
      'Conditional VAE: one-hot class labels go into the encoder and the decoder (needs labelled data)',
    ),
};

export function checkLikelihood(
  config: { likelihood: string; outputActivation: string },
  ctx: z.RefinementCtx,
) {
  if (config.likelihood === 'bernoulli' && config.outputActivation !== 'sigmoid') {
    ctx.addIssue({
      code: 'custom',
      path: ['outputActivation'],
      message: 'the bernoulli likelihood always outputs probabilities (sigmoid); use likelihood "gaussian"',
    });
  }
}

export const VaeConfig = z
  .object({
    kind: z.literal('vae'),
    hidden: z
      .array(units())
      .default([512, 256])
      .describe('Encoder hidden widths, input side first; the decoder mirrors them'),
    ...vaeOptions,
  })
  .superRefine(checkLikelihood);
export type VaeConfig = z.infer<typeof VaeConfig>;

/** The dense VAE with `conditional` fixed on, as a kind of its own (`--model cvae`). */
export const CvaeConfig = z
  .object({
    kind: z.literal('cvae'),
    hidden: z
      .array(units())
      .default([512, 256])
      .describe('Encoder hidden widths, input side first; the decoder mirrors them'),
    ...vaeOptions,
    conditional: z
      .literal(true)
      .default(true)
      .describe('Always on for cvae: one-hot class labels go into the encoder and the decoder'),
  })
  .superRefine(checkLikelihood);
export type CvaeConfig = z.infer<typeof CvaeConfig>;

export const ConvVaeConfig = z
  .object({
    kind: z.literal('conv-vae'),
    ...convBodyOptions,
    ...vaeOptions,
  })
  .superRefine(checkLikelihood);
export type ConvVaeConfig = z.infer<typeof ConvVaeConfig>;

/** What every VAE config has (vae, conv-vae, cvae, and the variants of the zoo): the model's own options. */
export type VaeBaseConfig = { kind: string } & z.output<z.ZodObject<typeof vaeOptions>>;

export type AnyVaeConfig = VaeConfig | CvaeConfig | ConvVaeConfig;

/**
 * The body options of a VAE variant (iwae, beta-tcvae...): dense hidden layers or stride-2 convolutions, picked
 * by `architecture`, so each variant runs on tables and images alike.
 */
export const variantBodyOptions = {
  architecture: z
    .enum(['dense', 'conv'])
    .default('dense')
    .describe('Body of encoder and decoder: dense hidden layers, or stride-2 convolutions (images only)'),
  hidden: z
    .array(units())
    .default([512, 256])
    .describe('Dense body: encoder hidden widths, input side first; the decoder mirrors them'),
  ...convBodyOptions,
};

/**
 * The config schema of a VAE variant: `kind`, the body options, every VAE option, and the variant's own
 * (`own`, each with a default, so `{ kind }` is a complete config).
 */
export function vaeVariantConfig<K extends string, E extends z.ZodRawShape>(kind: K, own: E) {
  return z
    .object({ kind: z.literal(kind), ...variantBodyOptions, ...vaeOptions, ...own })
    .superRefine((config, ctx) =>
      checkLikelihood(config as { likelihood: string; outputActivation: string }, ctx),
    );
}

/** The config every VAE variant's schema gives (its own options aside). */
export type VaeVariantConfig = z.output<ReturnType<typeof vaeVariantConfig<string, Record<never, never>>>>;
