// Config schemas of the sequence families (issue 18): seq-ae and seq-vae (an RNN encoder to a code, an RNN
// decoder conditioned on it, trained with teacher forcing) and lm (the decoder alone: an RNN language model,
// the baseline a text VAE is judged against). Every field has a default, so `{ kind: 'seq-vae' }` is complete.
import { z } from 'zod';
import { units } from '../limits.js';

/** The recurrent cell of the encoder and the decoder. */
export const Cell = z.enum(['gru', 'lstm']);
export type Cell = z.infer<typeof Cell>;

/** Options of every sequence family: the cell, the widths, word dropout. */
const rnnOptions = {
  cell: Cell.default('gru').describe('Recurrent cell of the encoder and decoder: gru or lstm'),
  embedding: units().default(256).describe('Width of the token embedding'),
  hidden: units().default(512).describe('Width of the recurrent state (encoder and decoder)'),
};

const wordDropout = (fallback: number) =>
  z
    .number()
    .min(0)
    .max(1)
    .default(fallback)
    .describe("Rate at which the decoder's input tokens become <unk> in training (the targets never do)");

export const SeqAutoencoderConfig = z.object({
  kind: z.literal('seq-ae'),
  ...rnnOptions,
  latent: units().default(32).describe('Size of the code the encoder maps a sentence to'),
  wordDropout: wordDropout(0),
});
export type SeqAutoencoderConfig = z.infer<typeof SeqAutoencoderConfig>;

export const SeqVaeConfig = z.object({
  kind: z.literal('seq-vae'),
  ...rnnOptions,
  latent: units().default(32).describe('Size of the latent code z (the prior is N(0, I))'),
  // Bowman et al. 2016: word dropout keeps the decoder from ignoring z.
  wordDropout: wordDropout(0.25),
  beta: z
    .number()
    .min(0)
    .default(1)
    .describe('Weight of the KL term once annealed (beta-VAE); 1 gives the ELBO'),
  klAnneal: z
    .enum(['none', 'linear', 'logistic'])
    .default('logistic')
    .describe(
      'KL weight schedule over training steps: none (beta throughout), linear or logistic from 0 to beta',
    ),
  klAnnealSteps: z
    .number()
    .int()
    .positive()
    .default(2000)
    .describe('Training steps (global, not epochs) over which the KL weight reaches beta'),
  freeBits: z
    .number()
    .min(0)
    .default(0)
    .describe('Free bits: floor on the KL per latent dimension, in nats; 0 disables'),
  conditional: z
    .boolean()
    .default(false)
    .describe('Conditional: the one-hot class goes into the encoder and the decoder (needs labelled data)'),
});
export type SeqVaeConfig = z.infer<typeof SeqVaeConfig>;

export const LanguageModelConfig = z.object({
  kind: z.literal('lm'),
  ...rnnOptions,
  wordDropout: wordDropout(0),
});
export type LanguageModelConfig = z.infer<typeof LanguageModelConfig>;

export type AnySeqConfig = SeqAutoencoderConfig | SeqVaeConfig | LanguageModelConfig;
