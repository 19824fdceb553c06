// The sequence families' networks, functional tfjs-layers models that a stock tf.loadLayersModel reads: an RNN
// encoder (token ids → the last state → the code heads) and an RNN decoder (teacher-forcing input ids and the
// code → next-token logits at every step). lm's network is the decoder without a code.
import { RESERVED_TOKENS } from '../../data/text/vocabulary.js';
import { tfl } from '../../engine/tf.js';
import { ConfigError } from '../../errors.js';
import type { BuildContext } from '../family.js';
import { LOG_VARIANCE_LIMIT, softClamp } from '../shared/gaussian-code.js';
import { chain, type Init, initialisers, type Symbolic } from '../shared/layers.js';
import type { AnySeqConfig, Cell } from './config.js';

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

/** A GRU or LSTM layer with seeded kernels (the stock recurrent initialiser, orthogonal, takes no seed here). */
function recurrent(cell: Cell, units: number, returnSequences: boolean, name: string, init: Init) {
  const options = {
    units,
    returnSequences,
    kernelInitializer: init(),
    recurrentInitializer: init(),
    name,
  };
  return cell === 'gru' ? tfl.layers.gru(options) : tfl.layers.lstm(options);
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
  const { maxLength, vocabulary } = textShape(config.kind, context);
  const classes = classCount(config, context);
  const init = initialisers(context);
  let encoder: tfl.LayersModel | undefined;
  if (config.kind !== 'lm') {
    const x = tfl.input({ shape: [maxLength], name: 'encoder_input' });
    const labels = classes ? tfl.input({ shape: [classes], name: 'encoder_labels' }) : undefined;
    let h = chain(
      [
        embedding(vocabulary, config.embedding, 'encoder_embedding', init, true),
        recurrent(config.cell, config.hidden, false, 'encoder_rnn', init),
      ],
      x,
    );
    if (labels) h = tfl.layers.concatenate({ name: 'encoder_concat' }).apply([h, labels]) as Symbolic;
    const head = (name: string) =>
      tfl.layers.dense({ units: config.latent, kernelInitializer: init(), name }).apply(h) as Symbolic;
    if (config.kind === 'seq-vae') {
      const mean = head('encoder_mean');
      const logVar = softClamp(
        head('encoder_log_variance_dense'),
        LOG_VARIANCE_LIMIT,
        'encoder_log_variance',
      );
      encoder = tfl.model({ name: 'encoder', inputs: labels ? [x, labels] : x, outputs: [mean, logVar] });
    } else {
      encoder = tfl.model({ name: 'encoder', inputs: x, outputs: head('encoder_code') });
    }
  }

  const tokens = tfl.input({ shape: [maxLength], name: 'decoder_input' });
  // No mask here: the pads of the shifted input only feed positions whose targets are pads, which the loss skips.
  let h = chain([embedding(vocabulary, config.embedding, 'decoder_embedding', init, false)], tokens);
  const inputs = [tokens];
  if (config.kind !== 'lm') {
    const z = tfl.input({ shape: [config.latent], name: 'decoder_code' });
    const labels = classes ? tfl.input({ shape: [classes], name: 'decoder_labels' }) : undefined;
    inputs.push(z, ...(labels ? [labels] : []));
    const code = labels
      ? (tfl.layers.concatenate({ name: 'decoder_code_concat' }).apply([z, labels]) as Symbolic)
      : z;
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
