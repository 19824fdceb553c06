// Config schemas of the sequence families (issue 18): seq-ae and seq-vae (an encoder to a code, a decoder
// conditioned on it, trained with teacher forcing) and lm (the decoder alone: a language model, the baseline a
// text VAE is judged against). The networks are RNNs (GRU or LSTM) or transformers. Every field has a default,
// so `{ kind: 'seq-vae' }` is complete.
import { z } from 'zod';
import { units } from '../limits.js';
import { freeBitsOption } from '../shared/gaussian-code.js';

/** The kind of network of the encoder and the decoder. */
export const SeqNetwork = z.enum(['rnn', 'transformer']);
export type SeqNetwork = z.infer<typeof SeqNetwork>;

/** The recurrent cell of an rnn network. */
export const Cell = z.enum(['gru', 'lstm']);
export type Cell = z.infer<typeof Cell>;

/** The transformer options' defaults; an rnn refuses any other value of them (it would change nothing). */
const TRANSFORMER_DEFAULTS = { heads: 4, layers: 2 } as const;

/** Options of every sequence family: the network, its widths and depth. */
const networkOptions = {
  // rnn: every run saved before the transformer existed says nothing here and is an RNN.
  network: SeqNetwork.default('rnn').describe(
    'Encoder and decoder: rnn (a GRU or LSTM, see cell) or transformer (self-attention blocks, see heads, layers)',
  ),
  cell: Cell.default('gru').describe(
    'Recurrent cell of an rnn network: gru or lstm (a transformer has none)',
  ),
  embedding: units()
    .default(256)
    .describe("Width of the token embedding (a transformer's token width throughout its blocks)"),
  hidden: units()
    .default(512)
    .describe("Width of an rnn's recurrent state, or of the feed-forward layer in each transformer block"),
  heads: z
    .number()
    .int()
    .positive()
    .default(TRANSFORMER_DEFAULTS.heads)
    .describe('Attention heads per transformer block; must divide embedding (transformer only)'),
  // Capped: the parameter estimate (limits.ts) does not count blocks, so depth is bounded here.
  layers: z
    .number()
    .int()
    .positive()
    .max(64)
    .default(TRANSFORMER_DEFAULTS.layers)
    .describe('Transformer blocks in the encoder, and as many in the decoder (transformer only)'),
};

type NetworkOptions = { network: SeqNetwork; cell: Cell; embedding: number; heads: number; layers: number };

/**
 * Refuses options the chosen network does not use (an lstm cell on a transformer, heads or layers on an rnn:
 * they would silently change nothing) and heads that do not divide a transformer's width.
 */
function checkNetworkOptions(config: NetworkOptions, ctx: z.RefinementCtx): void {
  if (config.network === 'transformer') {
    if (config.cell !== 'gru') {
      ctx.addIssue({
        code: 'custom',
        path: ['cell'],
        message: `cell ${config.cell} applies to network rnn; a transformer has no recurrent cell (drop cell, or set network rnn)`,
      });
    }
    if (config.embedding % config.heads !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['heads'],
        message: `${config.heads} heads do not divide embedding ${config.embedding} (each head takes embedding / heads)`,
      });
    }
    return;
  }
  for (const option of ['heads', 'layers'] as const) {
    if (config[option] !== TRANSFORMER_DEFAULTS[option]) {
      ctx.addIssue({
        code: 'custom',
        path: [option],
        message: `${option} applies to network transformer, not rnn (set network transformer, or drop ${option})`,
      });
    }
  }
}

const wordDropout = (fallback: number) =>
  z
    .number()
    .min(0)
    .max(1)
    .default(fallback)
    .describe("Rate at which the decoder's input tokens become <unk> in training (the targets never do)");

export const SeqAutoencoderConfig = z
  .object({
    kind: z.literal('seq-ae'),
    ...networkOptions,
    latent: units().default(32).describe('Size of the code the encoder maps a sentence to'),
    wordDropout: wordDropout(0),
  })
  .superRefine(checkNetworkOptions);
export type SeqAutoencoderConfig = z.infer<typeof SeqAutoencoderConfig>;

export const SeqVaeConfig = z
  .object({
    kind: z.literal('seq-vae'),
    ...networkOptions,
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
    freeBits: freeBitsOption(),
    conditional: z
      .boolean()
      .default(false)
      .describe('Conditional: the one-hot class goes into the encoder and the decoder (needs labelled data)'),
  })
  .superRefine(checkNetworkOptions);
export type SeqVaeConfig = z.infer<typeof SeqVaeConfig>;

export const LanguageModelConfig = z
  .object({
    kind: z.literal('lm'),
    ...networkOptions,
    wordDropout: wordDropout(0),
  })
  .superRefine(checkNetworkOptions);
export type LanguageModelConfig = z.infer<typeof LanguageModelConfig>;

export type AnySeqConfig = SeqAutoencoderConfig | SeqVaeConfig | LanguageModelConfig;
