// The sequence families' networks, functional tfjs-layers models that a stock tf.loadLayersModel reads (once
// latentlab's attention layers are registered): an encoder (token ids → the code heads) and a decoder
// (teacher-forcing input ids and the code → next-token logits at every step), each an RNN or a transformer.
// lm's network is the decoder without a code.
import { PAD_ID, RESERVED_TOKENS } from '../../data/text/vocabulary.js';
import { tfl } from '../../engine/tf.js';
import { ConfigError } from '../../errors.js';
import type { BuildContext } from '../family.js';
import {
  LayerNorm,
  MaskedMeanPool,
  PositionEmbedding,
  TokenMask,
  TransformerBlock,
} from '../shared/attention.js';
import { seededInit } from '../shared/autoencoder-base.js';
import { LOG_VARIANCE_LIMIT, softClamp } from '../shared/gaussian-code.js';
import { chain, type Init, initialisers, type Symbolic } from '../shared/layers.js';
import type { AnySeqConfig, Cell } from './config.js';
import { fastGru } from './fast-gru.js';

/** Reserved token ids of the text data (src/data/text/vocabulary.ts): real tokens start at FIRST_TOKEN. */
export { BOS_ID as BOS, EOS_ID as EOS, PAD_ID as PAD, UNK_ID as UNK } from '../../data/text/vocabulary.js';
export const FIRST_TOKEN = RESERVED_TOKENS.length;

/** The sequence length and vocabulary a sequence family is built for, or a ConfigError saying it needs text. */
export function textShape(kind: string, context: BuildContext): { maxLength: number; vocabulary: number } {
  const { sampleShape, vocabularySize } = context;
  if (vocabularySize === undefined || sampleShape.length !== 1) {
    throw new ConfigError(
      `${kind} needs text data (token ids [maxLength] and a vocabulary); this data has samples of shape [${sampleShape.join(', ')}]`,
      { path: 'model.kind' },
    );
  }
  if (vocabularySize <= FIRST_TOKEN) {
    throw new ConfigError(
      `${kind} needs a vocabulary with real tokens (more than the ${FIRST_TOKEN} reserved ids), got ${vocabularySize}`,
      { path: 'model.kind' },
    );
  }
  return { maxLength: sampleShape[0], vocabulary: vocabularySize };
}

/** The class count of a conditional model, or a ConfigError when the data has no labels. */
export function classCount(config: AnySeqConfig, context: BuildContext): number {
  if (!('conditional' in config) || !config.conditional) return 0;
  if (!context.numClasses) {
    throw new ConfigError(
      `${config.kind} is conditional and needs class labels, but the data has none (pick labelled data or conditional: false)`,
      { path: 'model.kind' },
    );
  }
  return context.numClasses;
}

/**
 * A GRU or LSTM layer with seeded kernels (the stock recurrent initialiser, orthogonal, takes no seed here). The
 * GRU is FastGru: the stock GRU's function in far fewer kernel calls, saved as a stock 'GRU'.
 */
function recurrent(cell: Cell, units: number, returnSequences: boolean, name: string, init: Init) {
  const options = {
    units,
    returnSequences,
    kernelInitializer: init(),
    recurrentInitializer: init(),
    name,
  };
  return cell === 'gru' ? fastGru(options) : tfl.layers.lstm(options);
}

function embedding(vocabulary: number, width: number, name: string, init: Init, maskZero: boolean) {
  return tfl.layers.embedding({
    inputDim: vocabulary,
    outputDim: width,
    embeddingsInitializer: init(),
    maskZero,
    name,
  });
}

export interface SeqNetworks {
  encoder?: tfl.LayersModel;
  decoder: tfl.LayersModel;
}

/**
 * Encoder: ids [n, maxLength] (+ one-hot class) → code [n, latent] (seq-ae) or [mean, logVariance] (seq-vae).
 * Its embedding masks <pad> (id 0), so the RNN's last state is the state after <eos>, however short the row.
 *
 * Decoder: shifted ids [n, maxLength] (<bos> first), code z [n, latent] (+ one-hot class) → logits
 * [n, maxLength, vocabulary]. z (and the class) is concatenated to every step's embedding rather than given as
 * the initial state: every step sees the code directly, so it is harder for the decoder to ignore it (the
 * posterior-collapse failure Bowman et al. describe), and it works alike for GRU and LSTM (an LSTM's initial
 * state would need both h and c) and keeps the saved network a plain feed-forward graph of stock layers.
 */
export function buildNetworks(config: AnySeqConfig, context: BuildContext): SeqNetworks {
  const shape = textShape(config.kind, context);
  const classes = classCount(config, context);
  if (config.network === 'transformer') return buildTransformerNetworks(config, context, shape, classes);
  const { maxLength, vocabulary } = shape;
  const init = initialisers(context);
  let encoder: tfl.LayersModel | undefined;
  if (config.kind !== 'lm') {
    const x = tfl.input({ shape: [maxLength], name: 'encoder_input' });
    const labels = classes ? tfl.input({ shape: [classes], name: 'encoder_labels' }) : undefined;
    const h = chain(
      [
        embedding(vocabulary, config.embedding, 'encoder_embedding', init, true),
        recurrent(config.cell, config.hidden, false, 'encoder_rnn', init),
      ],
      x,
    );
    encoder = codeEncoder(config, x, labels, h, init);
  }

  const tokens = tfl.input({ shape: [maxLength], name: 'decoder_input' });
  // No mask here: the pads of the shifted input only feed positions whose targets are pads, which the loss skips.
  let h = chain([embedding(vocabulary, config.embedding, 'decoder_embedding', init, false)], tokens);
  const inputs = [tokens];
  if (config.kind !== 'lm') {
    const { code, codeInputs } = decoderCode(config.latent, classes);
    inputs.push(...codeInputs);
    const repeated = chain([tfl.layers.repeatVector({ n: maxLength, name: 'decoder_repeat' })], code);
    h = tfl.layers.concatenate({ name: 'decoder_concat' }).apply([h, repeated]) as Symbolic;
  }
  const logits = chain(
    [
      recurrent(config.cell, config.hidden, true, 'decoder_rnn', init),
      tfl.layers.dense({ units: vocabulary, kernelInitializer: init(), name: 'decoder_logits' }),
    ],
    h,
  );
  const decoder = tfl.model({
    name: 'decoder',
    inputs: inputs.length === 1 ? inputs[0] : inputs,
    outputs: logits,
  });
  return { encoder, decoder };
}

/**
 * The encoder model from its sentence features h [n, width] (and the class, concatenated to them): the code
 * head (seq-ae), or the mean and log-variance heads of q(z|x) (seq-vae).
 */
function codeEncoder(
  config: AnySeqConfig,
  x: Symbolic,
  labels: Symbolic | undefined,
  features: Symbolic,
  init: Init,
): tfl.LayersModel {
  if (config.kind === 'lm') throw new Error('lm has no encoder');
  const h = labels
    ? (tfl.layers.concatenate({ name: 'encoder_concat' }).apply([features, labels]) as Symbolic)
    : features;
  const head = (name: string) =>
    tfl.layers.dense({ units: config.latent, kernelInitializer: init(), name }).apply(h) as Symbolic;
  if (config.kind === 'seq-vae') {
    const mean = head('encoder_mean');
    const logVar = softClamp(head('encoder_log_variance_dense'), LOG_VARIANCE_LIMIT, 'encoder_log_variance');
    return tfl.model({ name: 'encoder', inputs: labels ? [x, labels] : x, outputs: [mean, logVar] });
  }
  return tfl.model({ name: 'encoder', inputs: x, outputs: head('encoder_code') });
}

/** The decoder's code inputs (z, and the one-hot class of a conditional model) and the code they make. */
function decoderCode(latent: number, classes: number): { code: Symbolic; codeInputs: Symbolic[] } {
  const z = tfl.input({ shape: [latent], name: 'decoder_code' });
  if (!classes) return { code: z, codeInputs: [z] };
  const labels = tfl.input({ shape: [classes], name: 'decoder_labels' });
  const code = tfl.layers.concatenate({ name: 'decoder_code_concat' }).apply([z, labels]) as Symbolic;
  return { code, codeInputs: [z, labels] };
}

/**
 * The transformer networks: the same inputs and outputs as the RNN ones. Width `embedding` throughout (token
 * embedding + learned positions), `layers` pre-norm blocks of `heads` heads with a feed-forward layer of
 * `hidden` units, a final layer norm; no dropout (word dropout is the regulariser, as for the RNN).
 *
 * Encoder: blocks that never attend to <pad>, then the mean over the non-pad positions → the code heads, so
 * a sentence's code does not depend on how much padding follows it.
 *
 * Decoder: causal blocks (position t attends to positions ≤ t only, so greedy decoding can rerun it on the
 * whole buffer), with the code z (and class) projected to the token width and added to every position's
 * input. Added to every position, like the RNN's concatenation to every step, rather than a prefix token:
 * every position sees the code from the first block on instead of having to attend to it, the sequence keeps
 * maxLength positions (the positions and causal mask as lm's), and the graph stays stock layers plus blocks.
 */
function buildTransformerNetworks(
  config: AnySeqConfig,
  context: BuildContext,
  { maxLength, vocabulary }: { maxLength: number; vocabulary: number },
  classes: number,
): SeqNetworks {
  let layer = 0;
  // Stock layers take a seeded initialiser; latentlab's attention layers take the seed (it is in their config).
  const init = () => seededInit(context, layer++);
  const seed = () => context.seed * 1009 + layer++;
  const block = (name: string, causal: boolean) =>
    new TransformerBlock({
      heads: config.heads,
      causal,
      mlpRatio: config.hidden / config.embedding,
      seed: seed(),
      name,
    });
  const embed = (ids: Symbolic, prefix: string) =>
    chain(
      [
        embedding(vocabulary, config.embedding, `${prefix}_embedding`, init, false),
        new PositionEmbedding({ seed: seed(), name: `${prefix}_positions` }),
      ],
      ids,
    );

  let encoder: tfl.LayersModel | undefined;
  if (config.kind !== 'lm') {
    const x = tfl.input({ shape: [maxLength], name: 'encoder_input' });
    const labels = classes ? tfl.input({ shape: [classes], name: 'encoder_labels' }) : undefined;
    const keep = chain([new TokenMask({ padId: PAD_ID, name: 'encoder_mask' })], x); // [n, maxLength]
    let h = embed(x, 'encoder'); // [n, maxLength, embedding]
    for (let i = 0; i < config.layers; i++)
      h = block(`encoder_block_${i + 1}`, false).apply([h, keep]) as Symbolic;
    h = chain([new LayerNorm({ name: 'encoder_norm' })], h);
    const pooled = new MaskedMeanPool({ name: 'encoder_pool' }).apply([h, keep]) as Symbolic; // [n, embedding]
    encoder = codeEncoder(config, x, labels, pooled, init);
  }

  const tokens = tfl.input({ shape: [maxLength], name: 'decoder_input' });
  let h = embed(tokens, 'decoder');
  const inputs = [tokens];
  if (config.kind !== 'lm') {
    const { code, codeInputs } = decoderCode(config.latent, classes);
    inputs.push(...codeInputs);
    const projected = chain(
      [
        tfl.layers.dense({
          units: config.embedding,
          kernelInitializer: init(),
          name: 'decoder_code_projection',
        }),
        tfl.layers.repeatVector({ n: maxLength, name: 'decoder_repeat' }),
      ],
      code,
    );
    h = tfl.layers.add({ name: 'decoder_add_code' }).apply([h, projected]) as Symbolic;
  }
  // No padding mask: causality already keeps every non-pad target's position from seeing a later pad.
  for (let i = 0; i < config.layers; i++) h = block(`decoder_block_${i + 1}`, true).apply(h) as Symbolic;
  const logits = chain(
    [
      new LayerNorm({ name: 'decoder_norm' }),
      tfl.layers.dense({ units: vocabulary, kernelInitializer: init(), name: 'decoder_logits' }),
    ],
    h,
  );
  const decoder = tfl.model({
    name: 'decoder',
    inputs: inputs.length === 1 ? inputs[0] : inputs,
    outputs: logits,
  });
  return { encoder, decoder };
}
