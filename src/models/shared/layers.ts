// The layers every family's networks are built from: chain() over a functional model, seeded initialisers, a
// dense or stride-2 conv layer with its activation, and the one dense/conv body builder (encoder body, heads,
// mirrored decoder body) behind the hybrids' autoencoder, the VAE's networks and the VAE-GAN's encoder. The
// Sequential autoencoders (dense-ae, conv-ae) add the same layers one by one.

import { sampleSize } from '../../data/dataset.js';
import { tfl } from '../../engine/tf.js';
import type { BuildContext } from '../family.js';
import type { Architecture } from './architecture.js';
import {
  type Activation,
  activationLayer,
  type InLayerActivation,
  seededInit,
  strideTwoGeometry,
  withActivation,
} from './autoencoder-base.js';

export type Symbolic = tfl.SymbolicTensor;
/** The next seeded initialiser of a network: layer order fixes the seeds. */
export type Init = () => ReturnType<typeof seededInit>;

export function chain(layers: tfl.layers.Layer[], input: Symbolic): Symbolic {
  return layers.reduce((h, layer) => layer.apply(h) as Symbolic, input);
}

/**
 * A learned constant of `units` values inside a network, so the saved network holds it (a decoder's learned
 * log-scale): a frozen all-zero projection of `from` feeds a dense layer whose output is therefore exactly its
 * bias, which starts at `initial`. The layer names are the saved weights' names: keep them per family.
 */
export function learnedConstant(
  from: Symbolic,
  units: number,
  initial: number,
  names: { zero: string; bias: string },
): Symbolic {
  const zero = tfl.layers
    .dense({ units: 1, useBias: false, kernelInitializer: 'zeros', trainable: false, name: names.zero })
    .apply(from) as Symbolic;
  const bias = tfl.layers.dense({
    units,
    kernelInitializer: 'zeros',
    biasInitializer: initial === 0 ? 'zeros' : tfl.initializers.constant({ value: initial }),
    name: names.bias,
  });
  return bias.apply(zero) as Symbolic;
}

/** Seeded initialisers for one network, from seed index `offset` on; networks of a model take disjoint offsets. */
export function initialisers(context: BuildContext, offset = 0): Init {
  let layer = offset;
  return () => seededInit(context, layer++);
}

/** Extra arguments of a Sequential model's first layer. */
type FirstLayer = { inputShape?: number[] };

/** A dense layer `name` with its activation: fused when it can be, else a layer `${name}_act` after it. */
export function denseLayers(
  units: number,
  name: string,
  activation: Activation,
  init: Init,
  first: FirstLayer = {},
): tfl.layers.Layer[] {
  return withActivation(
    (fused) => tfl.layers.dense({ ...first, units, name, activation: fused, kernelInitializer: init() }),
    activation,
    `${name}_act`,
  );
}

/**
 * A stride-2 'same' convolution `name` of the body's kernel size, with the body's activation (fused when it can
 * be, else a layer `actName`).
 */
export function convLayers(
  filters: number,
  name: string,
  { kernelSize, activation }: Pick<BodySpec, 'kernelSize' | 'activation'>,
  actName: string,
  init: Init,
  first: FirstLayer = {},
): tfl.layers.Layer[] {
  const conv = (fused: InLayerActivation | undefined) =>
    tfl.layers.conv2d({
      ...first,
      filters,
      kernelSize,
      strides: 2,
      padding: 'same',
      activation: fused,
      kernelInitializer: init(),
      name,
    });
  return withActivation(conv, activation, actName);
}

/** A stride-2 'same' transposed convolution `name`, without activation. */
export function deconvLayer(filters: number, kernelSize: number, name: string, init: Init): tfl.layers.Layer {
  return tfl.layers.conv2dTranspose({
    filters,
    kernelSize,
    strides: 2,
    padding: 'same',
    kernelInitializer: init(),
    name,
  });
}

/** What a dense or conv body is made of. */
export interface BodySpec {
  architecture: Architecture;
  /** Dense hidden widths, input side first (the decoder mirrors them). */
  hidden: readonly number[];
  /** Conv channels of the stride-2 stages, input side first (the decoder mirrors them). */
  filters: readonly number[];
  kernelSize: number;
  activation: Activation;
}

export interface EncoderBodyOptions {
  /** Who needs the conv geometry, for its error message. */
  what: string;
  /** One-hot labels joined to the flat features, before the hidden layers (a conditional VAE). */
  labels?: Symbolic;
  /**
   * Names of separate conv activation layers: `layer` gives `encoder_conv_1_act` (the hybrids), `stage`
   * `encoder_act_1` (the VAE, the VAE-GAN, conv-ae). Saved models keep the names they were made with.
   */
  convActivationNames?: 'layer' | 'stage';
}

/**
 * Encoder body: samples [n, ...sampleShape] → flat features [n, f]. Dense: flatten (for samples of rank 2 or
 * more) and the hidden layers; conv: stride-2 convolutions and flatten. Labels join the flat features.
 */
export function encoderBody(
  body: BodySpec,
  context: BuildContext,
  init: Init,
  x: Symbolic,
  options: EncoderBodyOptions,
): Symbolic {
  let h = x;
  if (body.architecture === 'dense') {
    // Flatten needs rank 3 or more; table rows [n, features] are flat already.
    if (context.sampleShape.length > 1) h = chain([tfl.layers.flatten({ name: 'encoder_flatten' })], h);
  } else {
    strideTwoGeometry(options.what, body.filters, context.sampleShape);
    body.filters.forEach((filters, i) => {
      const name = `encoder_conv_${i + 1}`;
      const actName = options.convActivationNames === 'stage' ? `encoder_act_${i + 1}` : `${name}_act`;
      h = chain(convLayers(filters, name, body, actName, init), h);
    });
    h = chain([tfl.layers.flatten({ name: 'encoder_flatten' })], h);
  }
  if (options.labels)
    h = tfl.layers.concatenate({ name: 'encoder_concat' }).apply([h, options.labels]) as Symbolic;
  if (body.architecture === 'dense') {
    body.hidden.forEach((units, i) => {
      h = chain(denseLayers(units, `encoder_dense_${i + 1}`, body.activation, init), h);
    });
  }
  return h;
}

/** Linear dense heads on the encoder body's features: one output [n, units] per head, in order. */
export function encoderHeads(h: Symbolic, heads: { name: string; units: number }[], init: Init): Symbolic[] {
  return heads.map((head) => chain(denseLayers(head.units, head.name, 'linear', init), h));
}

/**
 * Decoder body: [n, k] → [n, ...sampleShape], mirroring encoderBody. Dense: the hidden layers reversed, a dense
 * output layer `decoder_output` of the sample's size with `outputActivation` (linear when undefined), reshape.
 * Conv: a dense layer to the innermost feature map, reshape, stride-2 transposed convolutions (each followed by
 * its activation layer), the last one `decoder_output` to the image's channels, then `outputActivation` as a
 * layer `decoder_output_act` (none when undefined).
 */
export function decoderBody(
  body: BodySpec,
  context: BuildContext,
  init: Init,
  z: Symbolic,
  outputActivation: Activation | undefined,
  what: string,
): Symbolic {
  const { sampleShape } = context;
  let h = z;
  if (body.architecture === 'dense') {
    [...body.hidden].reverse().forEach((units, i) => {
      h = chain(denseLayers(units, `decoder_dense_${i + 1}`, body.activation, init), h);
    });
    h = chain(denseLayers(sampleSize(context), 'decoder_output', outputActivation ?? 'linear', init), h);
    return chain([tfl.layers.reshape({ targetShape: sampleShape, name: 'decoder_reshape' })], h);
  }
  const { channels, innerShape } = strideTwoGeometry(what, body.filters, sampleShape);
  h = chain(
    denseLayers(innerShape[0] * innerShape[1] * innerShape[2], 'decoder_dense', body.activation, init),
    h,
  );
  h = chain([tfl.layers.reshape({ targetShape: innerShape, name: 'decoder_reshape' })], h);
  [...body.filters]
    .reverse()
    .slice(1)
    .forEach((filters, i) => {
      h = chain(
        [
          deconvLayer(filters, body.kernelSize, `decoder_deconv_${i + 1}`, init),
          activationLayer(body.activation, `decoder_act_${i + 1}`),
        ],
        h,
      );
    });
  h = chain([deconvLayer(channels, body.kernelSize, 'decoder_output', init)], h);
  if (outputActivation) h = chain([activationLayer(outputActivation, 'decoder_output_act')], h);
  return h;
}
