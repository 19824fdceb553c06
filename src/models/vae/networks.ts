// The VAE's networks: a Gaussian encoder (mean and soft-clamped log-variance heads) and a decoder (logits or
// mean, plus a learned log-sigma when the scale is learned), over a dense or conv body, conditional through
// one-hot label inputs.
import { tfl } from '../../engine/tf.js';
import { ConfigError } from '../../errors.js';
import type { BuildContext } from '../family.js';
import {
  type Activation,
  activationLayer,
  type InLayerActivation,
  seededInit,
  strideTwoGeometry,
  withActivation,
} from '../shared/autoencoder-base.js';
import type { AnyVaeConfig, ConvVaeConfig, CvaeConfig, VaeConfig } from './config.js';

/** The encoder's log-variance is soft-clamped to (-10, 10): exp() of it can neither overflow nor reach 0. */
export const LOG_VARIANCE_LIMIT = 10;
/** A learned log-sigma is soft-clamped to (-7, 7), so a Gaussian likelihood cannot run off to -inf. */
export const LOG_SIGMA_LIMIT = 7;
/** Adam moves a parameter by about the learning rate per step; the gain lets log-sigma settle in ~100s of steps. */
const LOG_SIGMA_GAIN = 10;

type Symbolic = tfl.SymbolicTensor;

interface Kit {
  /** The next seeded initialiser (layer order fixes the seeds). */
  init(): ReturnType<typeof seededInit>;
  dense(units: number, name: string, activation: Activation): tfl.layers.Layer[];
}

/** What differs between the dense and the convolutional VAE; heads, labels and likelihood are shared. */
export interface Bodies {
  /** Encoder input to flat features: [n, ...sampleShape] → [n, f]. */
  features(x: Symbolic, kit: Kit): Symbolic;
  /** Dense widths between the features (plus one-hot labels) and the mean/log-variance heads. */
  hidden: number[];
  /** Decoder from [n, latent (+ classes)] to the output before its activation: [n, ...sampleShape]. */
  output(h: Symbolic, kit: Kit): Symbolic;
}

function chain(layers: tfl.layers.Layer[], input: Symbolic): Symbolic {
  return layers.reduce((h, layer) => layer.apply(h) as Symbolic, input);
}

/** limit · tanh(gain · a / limit): about gain · a near 0, never beyond ±limit, and no dead gradients. */
export function softClamp(input: Symbolic, limit: number, name: string, gain = 1): Symbolic {
  return chain(
    [
      tfl.layers.rescaling({ scale: gain / limit, name: `${name}_in` }),
      tfl.layers.activation({ activation: 'tanh', name: `${name}_tanh` }),
      tfl.layers.rescaling({ scale: limit, name }),
    ],
    input,
  );
}

export function classCount(config: AnyVaeConfig, context: BuildContext): number {
  if (!config.conditional) return 0;
  if (!context.numClasses) {
    throw new ConfigError(
      `${config.kind} is conditional and needs class labels, but the data has none (pick labelled data or conditional: false)`,
      { path: 'model.kind' },
    );
  }
  return context.numClasses;
}

/**
 * Encoder x (+ one-hot labels) → [mean, logVariance]; decoder z (+ one-hot labels) → logits (Bernoulli) or
 * the mean (Gaussian), plus log-sigma [n, ...] as a second output when the scale is learned. Functional
 * models, so the conditional ones take two inputs and still load with a stock tf.loadLayersModel.
 */
export function buildNetworks(config: AnyVaeConfig, context: BuildContext, bodies: Bodies) {
  const classes = classCount(config, context);
  const { sampleShape } = context;
  let layer = 0;
  const kit: Kit = {
    init: () => seededInit(context, layer++),
    dense: (units, name, activation) =>
      withActivation(
        (fused) => tfl.layers.dense({ units, name, activation: fused, kernelInitializer: kit.init() }),
        activation,
        `${name}_act`,
      ),
  };
  const concat = (inputs: Symbolic[], name: string) =>
    tfl.layers.concatenate({ name }).apply(inputs) as Symbolic;

  const x = tfl.input({ shape: sampleShape, name: 'encoder_input' });
  const encoderLabels = classes ? tfl.input({ shape: [classes], name: 'encoder_labels' }) : undefined;
  let h = bodies.features(x, kit);
  if (encoderLabels) h = concat([h, encoderLabels], 'encoder_concat');
  bodies.hidden.forEach((units, i) => {
    h = chain(kit.dense(units, `encoder_dense_${i + 1}`, config.activation), h);
  });
  const mean = chain(kit.dense(config.latent, 'encoder_mean', 'linear'), h);
  const rawLogVar = chain(kit.dense(config.latent, 'encoder_log_variance_dense', 'linear'), h);
  const logVar = softClamp(rawLogVar, LOG_VARIANCE_LIMIT, 'encoder_log_variance');
  const encoder = tfl.model({
    name: 'encoder',
    inputs: encoderLabels ? [x, encoderLabels] : x,
    outputs: [mean, logVar],
  });

  const z = tfl.input({ shape: [config.latent], name: 'decoder_input' });
  const decoderLabels = classes ? tfl.input({ shape: [classes], name: 'decoder_labels' }) : undefined;
  let out = bodies.output(decoderLabels ? concat([z, decoderLabels], 'decoder_concat') : z, kit);
  if (config.likelihood === 'gaussian' && config.outputActivation === 'sigmoid')
    out = chain([activationLayer('sigmoid', 'decoder_output_act')], out);
  const outputs = [out];
  if (config.likelihood === 'gaussian' && typeof config.sigma === 'string') {
    // A learned scale inside the decoder, so the saved network holds it: a frozen all-zero projection of
    // z feeds a dense layer whose output is therefore exactly its bias, the (unclamped) log-sigma.
    const perPixel = config.sigma === 'learned-per-pixel';
    const zero = tfl.layers
      .dense({
        units: 1,
        useBias: false,
        kernelInitializer: 'zeros',
        trainable: false,
        name: 'decoder_sigma_zero',
      })
      .apply(z) as Symbolic;
    const raw = tfl.layers
      .dense({
        units: perPixel ? sampleShape.reduce((a, b) => a * b, 1) : 1,
        kernelInitializer: 'zeros',
        biasInitializer: 'zeros',
        name: 'decoder_log_sigma_bias',
      })
      .apply(zero) as Symbolic;
    const clamped = softClamp(raw, LOG_SIGMA_LIMIT, 'decoder_log_sigma_clamp', LOG_SIGMA_GAIN);
    // Per entry, or [1, 1, 1] so one scale broadcasts over the sample.
    const targetShape = perPixel ? sampleShape : sampleShape.map(() => 1);
    outputs.push(chain([tfl.layers.reshape({ targetShape, name: 'decoder_log_sigma' })], clamped));
  }
  const decoder = tfl.model({
    name: 'decoder',
    inputs: decoderLabels ? [z, decoderLabels] : z,
    outputs: outputs.length === 1 ? outputs[0] : outputs,
  });
  return { encoder, decoder };
}

export function denseBodies(config: VaeConfig | CvaeConfig, context: BuildContext): Bodies {
  const features = context.sampleShape.reduce((a, b) => a * b, 1);
  return {
    // Flatten needs rank 3 or more; table rows [n, features] are flat already.
    features: (x) =>
      context.sampleShape.length > 1 ? chain([tfl.layers.flatten({ name: 'encoder_flatten' })], x) : x,
    hidden: config.hidden,
    output(h, kit) {
      [...config.hidden].reverse().forEach((units, i) => {
        h = chain(kit.dense(units, `decoder_dense_${i + 1}`, config.activation), h);
      });
      h = chain(kit.dense(features, 'decoder_output', 'linear'), h);
      return chain([tfl.layers.reshape({ targetShape: context.sampleShape, name: 'decoder_reshape' })], h);
    },
  };
}

export function convBodies(config: ConvVaeConfig, context: BuildContext): Bodies {
  const { channels, innerShape: inner } = strideTwoGeometry('conv-vae', config.filters, context.sampleShape);
  const deconv = (filters: number, name: string, kit: Kit) =>
    tfl.layers.conv2dTranspose({
      filters,
      kernelSize: config.kernelSize,
      strides: 2,
      padding: 'same',
      kernelInitializer: kit.init(),
      name,
    });
  return {
    features(x, kit) {
      config.filters.forEach((filters, i) => {
        const conv = (activation: InLayerActivation | undefined) =>
          tfl.layers.conv2d({
            filters,
            kernelSize: config.kernelSize,
            strides: 2,
            padding: 'same',
            activation,
            kernelInitializer: kit.init(),
            name: `encoder_conv_${i + 1}`,
          });
        x = chain(withActivation(conv, config.activation, `encoder_act_${i + 1}`), x);
      });
      return chain([tfl.layers.flatten({ name: 'encoder_flatten' })], x);
    },
    hidden: [],
    output(h, kit) {
      h = chain(kit.dense(inner[0] * inner[1] * inner[2], 'decoder_dense', config.activation), h);
      h = chain([tfl.layers.reshape({ targetShape: inner, name: 'decoder_reshape' })], h);
      [...config.filters]
        .reverse()
        .slice(1)
        .forEach((filters, i) => {
          const layers = [
            deconv(filters, `decoder_deconv_${i + 1}`, kit),
            activationLayer(config.activation, `decoder_act_${i + 1}`),
          ];
          h = chain(layers, h);
        });
      return chain([deconv(channels, 'decoder_output', kit)], h);
    },
  };
}
