// The table autoencoders' networks. Encoder: the row's observed values (missing and hidden cells zeroed), each
// categorical column encoded with `embedding` through a bias-free dense layer on its one-hot slice (a learned
// embedding), and the mask, joined → hidden layers → the code (or a VAE's mean and log-variance). Decoder: the
// code → hidden layers → one raw number per encoded position (table-heads turn them into values and choices).
// Functional models with several inputs rather than a custom slicing layer, so they load in stock TensorFlow.js.
import { type Tensor, tf, tfl } from '../../engine/tf.js';
import type { BuildContext } from '../family.js';
import { LOG_VARIANCE_LIMIT, softClamp } from '../shared/gaussian-code.js';
import {
  type BodySpec,
  decoderBody,
  encoderBody,
  encoderHeads,
  initialisers,
  type Symbolic,
} from '../shared/layers.js';
import type { TableLayout } from '../shared/table-layout.js';
import type { AnyTableAutoencoderConfig } from './config.js';

/** How the encoder's inputs are cut from a row: positions fed as they are, and the embedded columns' slices. */
export interface EncoderInputs {
  /** Positions outside embedded spans, in order. */
  readonly plain: Int32Array;
  readonly embedded: readonly { column: number; start: number; width: number }[];
}

export function encoderInputs(layout: TableLayout): EncoderInputs {
  const embedded = layout.groups.spans.filter((span) => span.embed === true);
  const inEmbedded = new Uint8Array(layout.width);
  for (const span of embedded) inEmbedded.fill(1, span.start, span.start + span.width);
  const plain: number[] = [];
  for (let i = 0; i < layout.width; i++) if (!inEmbedded[i]) plain.push(i);
  return {
    plain: Int32Array.from(plain),
    embedded: embedded.map(({ column, start, width }) => ({ column, start, width })),
  };
}

/** The encoder's input tensors for rows `x` [n, width] (already zeroed where hidden) and their mask [n, width]. */
export function encoderFeed(cut: EncoderInputs, x: Tensor, mask: Tensor): Tensor[] {
  const feed: Tensor[] = [];
  if (cut.plain.length > 0) feed.push(tf.gather(x, cut.plain, 1));
  for (const span of cut.embedded) feed.push(tf.slice(x, [0, span.start], [-1, span.width]));
  feed.push(mask);
  return feed;
}

export function buildNetworks(
  config: AnyTableAutoencoderConfig,
  context: BuildContext,
  layout: TableLayout,
  variational: boolean,
) {
  const init = initialisers(context);
  const cut = encoderInputs(layout);
  const body: BodySpec = {
    architecture: 'dense',
    hidden: config.hidden,
    filters: [],
    kernelSize: 1,
    activation: config.activation,
  };
  const inputs: tfl.SymbolicTensor[] = [];
  const joined: Symbolic[] = [];
  if (cut.plain.length > 0) {
    const plain = tfl.input({ shape: [cut.plain.length], name: 'encoder_values' });
    inputs.push(plain);
    joined.push(plain);
  }
  for (const span of cut.embedded) {
    const oneHot = tfl.input({ shape: [span.width], name: `encoder_column_${span.column}` });
    inputs.push(oneHot);
    joined.push(
      tfl.layers
        .dense({
          units: Math.min(config.embedding, span.width),
          useBias: false,
          kernelInitializer: init(),
          name: `encoder_embedding_${span.column}`,
        })
        .apply(oneHot) as Symbolic,
    );
  }
  const mask = tfl.input({ shape: [layout.width], name: 'encoder_mask' });
  inputs.push(mask);
  joined.push(mask);
  const features = tfl.layers.concatenate({ name: 'encoder_concat' }).apply(joined) as Symbolic;
  const h = encoderBody(body, context, init, features, { what: config.kind });
  let outputs: Symbolic[];
  if (variational) {
    const [mean, rawLogVar] = encoderHeads(
      h,
      [
        { name: 'encoder_mean', units: config.latent },
        { name: 'encoder_log_variance_dense', units: config.latent },
      ],
      init,
    );
    outputs = [mean, softClamp(rawLogVar, LOG_VARIANCE_LIMIT, 'encoder_log_variance')];
  } else {
    outputs = encoderHeads(h, [{ name: 'encoder_latent', units: config.latent }], init);
  }
  const encoder = tfl.model({
    name: 'encoder',
    inputs,
    outputs: outputs.length === 1 ? outputs[0] : outputs,
  });
  const z = tfl.input({ shape: [config.latent], name: 'decoder_input' });
  const decoder = tfl.model({
    name: 'decoder',
    inputs: z,
    outputs: decoderBody(body, context, init, z, undefined, config.kind),
  });
  return { encoder, decoder };
}
