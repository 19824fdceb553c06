// The autoencoder body of the hybrids (aae, latentgan, aegan): its options, a dense or conv encoder (built
// functionally so it can have several heads) and its mirrored decoder, the frozen code standardisation, and the
// reconstruction terms of a step.
import { z } from 'zod';
import { meanSquaredError } from '../../engine/kernels/row-loss.js';
import { type Scalar, type Tensor, tfl } from '../../engine/tf.js';
import type { BuildContext } from '../family.js';
import { units } from '../limits.js';
import { Architecture } from './architecture.js';
import { Activation, ReconstructionLoss, reconstructionLoss } from './autoencoder-base.js';
import { chain, decoderBody, encoderBody, encoderHeads, initialisers } from './layers.js';

const width = units();

/** Options of a hybrid's autoencoder, spread into each hybrid's schema. */
export const autoencoderBodyOptions = {
  architecture: Architecture.default('dense').describe(
    'dense works on any sample shape; conv (stride-2 convolutions, mirrored) on images only',
  ),
  hidden: z
    .array(width)
    .default([512, 256])
    .describe('dense: encoder hidden widths, input side first; the decoder mirrors them'),
  filters: z
    .array(width)
    .min(1)
    .default([32, 64])
    .describe(
      "conv: channels of the encoder's stride-2 convolutions, input side first; the decoder mirrors them",
    ),
  kernelSize: width.default(3).describe('conv: side of the square convolution kernels, in pixels'),
  latent: width.default(32).describe('Size of the code (the bottleneck width)'),
  activation: Activation.default('relu').describe('Activation of the hidden layers'),
  /** Sigmoid suits data in [0, 1] (images, min-max scaled tables); linear suits standardised tables. */
  outputActivation: z
    .enum(['sigmoid', 'linear'])
    .default('sigmoid')
    .describe(
      'Decoder output: sigmoid for data in [0, 1], linear for unbounded data (standard-scaled tables)',
    ),
  loss: ReconstructionLoss.default('mse').describe(
    'Reconstruction loss: mse, or bce (binary cross-entropy; needs a sigmoid output, data in [0, 1])',
  ),
};

/** The code-standardising option of the hybrids whose generator targets codes (latentgan, aegan). */
export const standardizeCodeOption = {
  /** Codes standardised by batch norm (scale and shift frozen at 1 and 0), so generated codes aim at unit scale. */
  standardizeCode: z
    .boolean()
    .default(true)
    .describe(
      'Standardise codes with a frozen batch norm (mean 0, variance 1), so generated codes aim at unit scale',
    ),
};

export interface AutoencoderBody {
  architecture: Architecture;
  hidden: number[];
  filters: number[];
  kernelSize: number;
  latent: number;
  activation: Activation;
  outputActivation: 'sigmoid' | 'linear';
  loss: ReconstructionLoss;
}

/**
 * Encoder: samples [n, ...sampleShape] → one output per head ([n, units] each, linear). Dense: flatten and
 * hidden layers; conv: stride-2 convolutions and flatten (the shared body, layers.ts).
 */
export function buildEncoder(
  body: AutoencoderBody,
  context: BuildContext,
  heads: { name: string; units: number }[] = [{ name: 'encoder_latent', units: body.latent }],
  { standardizeCode = false }: { standardizeCode?: boolean } = {},
): tfl.LayersModel {
  const init = initialisers(context, 0);
  const x = tfl.input({ shape: context.sampleShape, name: 'encoder_input' });
  const h = encoderBody(body, context, init, x, { what: 'architecture "conv"' });
  const outputs = encoderHeads(h, heads, init);
  if (standardizeCode) {
    // Batch norm with its scale and shift frozen at 1 and 0: codes of mean 0 and variance 1 per dimension (running statistics at
    // inference, saved with the encoder), so a code GAN or mapping network starts at the codes' scale.
    outputs[0] = chain(
      [tfl.layers.batchNormalization({ name: `${heads[0].name}${STANDARDIZED}` })],
      outputs[0],
    );
  }
  const encoder = tfl.model({
    name: 'encoder',
    inputs: x,
    outputs: outputs.length === 1 ? outputs[0] : outputs,
  });
  return freezeCodeStandardization(encoder);
}

const STANDARDIZED = '_standardized';

/**
 * Keeps a standardising batch norm's scale and shift at 1 and 0 (tfjs-layers' batch norm cannot train without
 * them: it reads gamma unconditionally). Trainability is not saved, so restore() calls this again.
 */
export function freezeCodeStandardization(encoder: tfl.LayersModel): tfl.LayersModel {
  for (const layer of encoder.layers.filter((l) => l.name.endsWith(STANDARDIZED))) {
    for (const weight of layer.weights) if (/gamma|beta/.test(weight.originalName)) weight.trainable = false;
  }
  return encoder;
}

/** Decoder: codes [n, inputSize] → samples [n, ...sampleShape], mirroring buildEncoder. */
export function buildDecoder(
  body: AutoencoderBody,
  context: BuildContext,
  inputSize = body.latent,
): tfl.LayersModel {
  const init = initialisers(context, 500);
  const z = tfl.input({ shape: [inputSize], name: 'decoder_input' });
  const h = decoderBody(body, context, init, z, body.outputActivation, 'architecture "conv"');
  return tfl.model({ name: 'decoder', inputs: z, outputs: h });
}

/** Reconstruction loss and, when that is not already MSE, the MSE beside it. */
export function reconstructionParts(
  body: Pick<AutoencoderBody, 'loss'>,
  x: Tensor,
  recon: Tensor,
): { reconstruction: Scalar; mse: Scalar } {
  const reconstruction = reconstructionLoss(body.loss, x, recon);
  const mse = body.loss === 'mse' ? reconstruction.clone() : meanSquaredError(x, recon);
  return { reconstruction, mse };
}
