// The VAE's networks: a Gaussian encoder (mean and soft-clamped log-variance heads) and a decoder (logits or
// mean, plus a learned log-sigma when the scale is learned), over a dense or conv body, conditional through
// one-hot label inputs.

import { sampleSize } from '../../data/dataset.js';
import { tfl } from '../../engine/tf.js';
import { ConfigError } from '../../errors.js';
import type { BuildContext } from '../family.js';
import { activationLayer, strideTwoGeometry } from '../shared/autoencoder-base.js';
import { LOG_VARIANCE_LIMIT, softClamp } from '../shared/gaussian-code.js';
import {
  type BodySpec,
  chain,
  decoderBody,
  encoderBody,
  encoderHeads,
  initialisers,
  learnedConstant,
  type Symbolic,
} from '../shared/layers.js';
import type { ConvVaeConfig, CvaeConfig, VaeBaseConfig, VaeConfig, VaeVariantConfig } from './config.js';

/** A learned log-sigma is soft-clamped to (-7, 7), so a Gaussian likelihood cannot run off to -inf. */
export const LOG_SIGMA_LIMIT = 7;
/** Adam moves a parameter by about the learning rate per step; the gain lets log-sigma settle in ~100s of steps. */
const LOG_SIGMA_GAIN = 10;

export function classCount(config: VaeBaseConfig, context: BuildContext): number {
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
 * models, so the conditional ones take two inputs and still load with a stock tf.loadLayersModel. The bodies
 * are the shared dense/conv ones (shared/layers.ts); one initialiser counter runs through encoder and decoder.
 */
export function buildNetworks(config: VaeBaseConfig, context: BuildContext, body: BodySpec) {
  const classes = classCount(config, context);
  const { sampleShape } = context;
  const init = initialisers(context);
  const what = config.kind;

  const x = tfl.input({ shape: sampleShape, name: 'encoder_input' });
  const encoderLabels = classes ? tfl.input({ shape: [classes], name: 'encoder_labels' }) : undefined;
  const h = encoderBody(body, context, init, x, {
    what,
    labels: encoderLabels,
    convActivationNames: 'stage',
  });
  const [mean, rawLogVar] = encoderHeads(
    h,
    [
      { name: 'encoder_mean', units: config.latent },
      { name: 'encoder_log_variance_dense', units: config.latent },
    ],
    init,
  );
  const logVar = softClamp(rawLogVar, LOG_VARIANCE_LIMIT, 'encoder_log_variance');
  const encoder = tfl.model({
    name: 'encoder',
    inputs: encoderLabels ? [x, encoderLabels] : x,
    outputs: [mean, logVar],
  });

  const z = tfl.input({ shape: [config.latent], name: 'decoder_input' });
  const decoderLabels = classes ? tfl.input({ shape: [classes], name: 'decoder_labels' }) : undefined;
  const decoderIn = decoderLabels
    ? (tfl.layers.concatenate({ name: 'decoder_concat' }).apply([z, decoderLabels]) as Symbolic)
    : z;
  // The output before its activation: logits (Bernoulli) or the mean, squashed below for a sigmoid Gaussian.
  let out = decoderBody(body, context, init, decoderIn, undefined, what);
  if (config.likelihood === 'gaussian' && config.outputActivation === 'sigmoid')
    out = chain([activationLayer('sigmoid', 'decoder_output_act')], out);
  const outputs = [out];
  if (config.likelihood === 'gaussian' && typeof config.sigma === 'string') {
    // A learned scale inside the decoder, so the saved network holds it: the (unclamped) log-sigma.
    const perPixel = config.sigma === 'learned-per-pixel';
    const raw = learnedConstant(z, perPixel ? sampleSize(context) : 1, 0, {
      zero: 'decoder_sigma_zero',
      bias: 'decoder_log_sigma_bias',
    });
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

/** The dense VAE's body: flatten, the hidden layers, mirrored. */
export function denseBody(config: Pick<VaeConfig | CvaeConfig, 'hidden' | 'activation'>): BodySpec {
  return {
    architecture: 'dense',
    hidden: config.hidden,
    filters: [],
    kernelSize: 1,
    activation: config.activation,
  };
}

/** The conv VAE's body: stride-2 convolutions down to the heads (no dense hidden layers), mirrored. */
export function convBody(
  config: Pick<ConvVaeConfig, 'filters' | 'kernelSize' | 'activation'> & { kind: string },
  context: BuildContext,
): BodySpec {
  // Checked before the networks are built, so a bad geometry is reported ahead of missing labels.
  strideTwoGeometry(config.kind, config.filters, context.sampleShape);
  return {
    architecture: 'conv',
    hidden: [],
    filters: config.filters,
    kernelSize: config.kernelSize,
    activation: config.activation,
  };
}

/** A VAE variant's body: dense or conv, as its `architecture` says. */
export function variantBody(config: VaeVariantConfig, context: BuildContext): BodySpec {
  return config.architecture === 'dense' ? denseBody(config) : convBody(config, context);
}
