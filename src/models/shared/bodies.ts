// The autoencoder body of the hybrids (aae, latentgan, aegan): its options, a dense or conv encoder (built
// functionally so it can have several heads) and its mirrored decoder, the frozen code standardisation, and the
// reconstruction terms of a step.
import { z } from 'zod';
import { type Scalar, type Tensor, tf, tfl } from '../../engine/tf.js';
import type { BuildContext } from '../family.js';
import { units } from '../limits.js';
import {
  Activation,
  activationLayer,
  type InLayerActivation,
  ReconstructionLoss,
  reconstructionLoss,
  seededInit,
  strideTwoGeometry,
  withActivation,
} from './autoencoder-base.js';

type Symbolic = tfl.SymbolicTensor;
const width = units();

/** Options of a hybrid's autoencoder, spread into each hybrid's schema. */
export const autoencoderBodyOptions = {
  /** `dense` works on any sample shape; `conv` (stride-2 convolutions, mirrored) on images. */
  architecture: z.enum(['dense', 'conv']).default('dense'),
  /** Dense encoder hidden widths, input side first; the decoder mirrors them. */
  hidden: z.array(width).default([512, 256]),
  /** Conv encoder channels of its stride-2 convolutions, input side first. */
  filters: z.array(width).min(1).default([32, 64]),
  kernelSize: width.default(3),
  /** Size of the code. */
  latent: width.default(32),
  activation: Activation.default('relu'),
  /** Sigmoid suits data in [0, 1] (images, min-max scaled tables); linear suits standardised tables. */
  outputActivation: z.enum(['sigmoid', 'linear']).default('sigmoid'),
  /** Reconstruction loss. */
  loss: ReconstructionLoss.default('mse'),
};

/** The code-standardising option of the hybrids whose generator targets codes (latentgan, aegan). */
export const standardizeCodeOption = {
  /** Codes standardised by batch norm (scale and shift frozen at 1 and 0), so generated codes aim at unit scale. */
  standardizeCode: z.boolean().default(true),
};

export interface AutoencoderBody {
  architecture: 'dense' | 'conv';
  hidden: number[];
  filters: number[];
  kernelSize: number;
  latent: number;
  activation: Activation;
  outputActivation: 'sigmoid' | 'linear';
  loss: ReconstructionLoss;
}

function chain(layers: tfl.layers.Layer[], input: Symbolic): Symbolic {
  return layers.reduce((h, layer) => layer.apply(h) as Symbolic, input);
}

/** Seeded initialisers for one network; networks of a model take disjoint offsets. */
function initialisers(context: BuildContext, offset: number) {
  let layer = offset;
  return () => seededInit(context, layer++);
}

/**
 * Encoder: samples [n, ...sampleShape] → one output per head ([n, units] each, linear). Dense: flatten and
 * hidden layers; conv: stride-2 convolutions and flatten.
 */
export function buildEncoder(
  body: AutoencoderBody,
  context: BuildContext,
  heads: { name: string; units: number }[] = [{ name: 'encoder_latent', units: body.latent }],
  { standardizeCode = false }: { standardizeCode?: boolean } = {},
): tfl.LayersModel {
  const init = initialisers(context, 0);
  const x = tfl.input({ shape: context.sampleShape, name: 'encoder_input' });
  let h: Symbolic;
  if (body.architecture === 'dense') {
    h = context.sampleShape.length > 1 ? chain([tfl.layers.flatten({ name: 'encoder_flatten' })], x) : x;
    body.hidden.forEach((units, i) => {
      const name = `encoder_dense_${i + 1}`;
      h = chain(
        withActivation(
          (activation) => tfl.layers.dense({ units, activation, kernelInitializer: init(), name }),
          body.activation,
          `${name}_act`,
        ),
        h,
      );
    });
  } else {
    strideTwoGeometry('architecture "conv"', body.filters, context.sampleShape);
    h = x;
    body.filters.forEach((filters, i) => {
      const name = `encoder_conv_${i + 1}`;
      const conv = (activation: InLayerActivation | undefined) =>
        tfl.layers.conv2d({
          filters,
          kernelSize: body.kernelSize,
          strides: 2,
          padding: 'same',
          activation,
          kernelInitializer: init(),
          name,
        });
      h = chain(withActivation(conv, body.activation, `${name}_act`), h);
    });
    h = chain([tfl.layers.flatten({ name: 'encoder_flatten' })], h);
  }
  const outputs = heads.map((head) =>
    chain([tfl.layers.dense({ units: head.units, kernelInitializer: init(), name: head.name })], h),
  );
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
  const { sampleShape } = context;
  const z = tfl.input({ shape: [inputSize], name: 'decoder_input' });
  let h: Symbolic = z;
  const dense = (units: number, name: string, activation: Activation) =>
    withActivation(
      (fused) => tfl.layers.dense({ units, activation: fused, kernelInitializer: init(), name }),
      activation,
      `${name}_act`,
    );
  if (body.architecture === 'dense') {
    [...body.hidden].reverse().forEach((units, i) => {
      h = chain(dense(units, `decoder_dense_${i + 1}`, body.activation), h);
    });
    const size = sampleShape.reduce((a, b) => a * b, 1);
    h = chain(dense(size, 'decoder_output', body.outputActivation), h);
    h = chain([tfl.layers.reshape({ targetShape: sampleShape, name: 'decoder_reshape' })], h);
  } else {
    const { channels, innerShape } = strideTwoGeometry(
      'architecture "conv"',
      body.filters,
      context.sampleShape,
    );
    h = chain(dense(innerShape[0] * innerShape[1] * innerShape[2], 'decoder_dense', body.activation), h);
    h = chain([tfl.layers.reshape({ targetShape: innerShape, name: 'decoder_reshape' })], h);
    const deconv = (filters: number, name: string) =>
      tfl.layers.conv2dTranspose({
        filters,
        kernelSize: body.kernelSize,
        strides: 2,
        padding: 'same',
        kernelInitializer: init(),
        name,
      });
    [...body.filters]
      .reverse()
      .slice(1)
      .forEach((filters, i) => {
        h = chain(
          [
            deconv(filters, `decoder_deconv_${i + 1}`),
            activationLayer(body.activation, `decoder_act_${i + 1}`),
          ],
          h,
        );
      });
    h = chain(
      [deconv(channels, 'decoder_output'), activationLayer(body.outputActivation, 'decoder_output_act')],
      h,
    );
  }
  return tfl.model({ name: 'decoder', inputs: z, outputs: h });
}

/** Reconstruction loss and, when that is not already MSE, the MSE beside it. */
export function reconstructionParts(
  body: Pick<AutoencoderBody, 'loss'>,
  x: Tensor,
  recon: Tensor,
): { reconstruction: Scalar; mse: Scalar } {
  const reconstruction = reconstructionLoss(body.loss, x, recon);
  const mse =
    body.loss === 'mse' ? reconstruction.clone() : (tf.mean(tf.squaredDifference(x, recon)) as Scalar);
  return { reconstruction, mse };
}
