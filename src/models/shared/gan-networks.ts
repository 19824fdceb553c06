// GAN networks as functional layers models (so conditional ones with two inputs still load with a stock
// tf.loadLayersModel): MLP generator/discriminator for any sample shape, DCGAN ones for images. Their bodies are
// not the autoencoders' shared body (layers.ts): batch norm in the DCGAN generator, leaky ReLU layers and no fused
// activations in the discriminator, the generator's ReLU inside its dense layers; they share its chain() and
// initialisers.

import { z } from 'zod';
import { sampleSize } from '../../data/dataset.js';
import { type Tensor, tfl } from '../../engine/tf.js';
import { ConfigError } from '../../errors.js';
import type { BuildContext } from '../family.js';
import { units } from '../limits.js';
import type { Architecture } from './architecture.js';
import { activationLayer } from './autoencoder-base.js';
import { chain, type Init, initialisers, type Symbolic } from './layers.js';
import { SpectralConv2D, SpectralDense } from './spectral-norm.js';

/**
 * The conv (DCGAN) network options and the generator's output, alike in every GAN family that builds its networks
 * here (gan, infogan): one schema, one wording.
 */
export const convGanOptions = {
  /** Conv generator channels, widest first; k entries upsample by 2^k, so height and width need 2^k | size. */
  generatorFilters: z
    .array(units())
    .min(1)
    .default([128, 64])
    .describe('conv: generator channels, widest first; k entries need height and width divisible by 2^k'),
  discriminatorFilters: z
    .array(units())
    .min(1)
    .default([64, 128])
    .describe("conv: channels of the discriminator's stride-2 convolutions, input side first"),
  kernelSize: z
    .number()
    .int()
    .positive()
    .default(4)
    .describe('conv: side of the square convolution kernels, in pixels'),
  outputActivation: z
    .enum(['auto', 'sigmoid', 'linear'])
    .default('auto')
    .describe('Generator output: auto is sigmoid for images (data in [0, 1]) and linear otherwise'),
};

export interface NetworkSpec {
  architecture: Architecture;
  latent: number;
  /** MLP hidden widths: generator from the noise side, discriminator from the input side. */
  generatorHidden: number[];
  discriminatorHidden: number[];
  /** DCGAN channels: generator widest first (each stage doubles height and width), discriminator input side first. */
  generatorFilters: number[];
  discriminatorFilters: number[];
  kernelSize: number;
  /** Activation of the generator's output; sigmoid gives data in [0, 1], linear any real values. */
  outputActivation: 'sigmoid' | 'linear';
  /** Classes whose one-hot rows feed the generator (0: unconditional). */
  generatorClasses: number;
  /** Classes whose one-hot rows feed the discriminator (0: it sees no labels). */
  discriminatorClasses: number;
  /** Classes of the auxiliary classifier head (AC-GAN; 0: none). The discriminator then has two outputs. */
  auxiliaryClasses: number;
  /** Spectral normalisation (Miyato et al. 2018) of every discriminator kernel (spectral-norm.ts). */
  spectralNorm?: boolean;
}

/** Leaky ReLU slope of every discriminator (DCGAN's 0.2). */
export const LEAK = 0.2;

function concat(inputs: Symbolic[], name: string): Symbolic {
  return tfl.layers.concatenate({ name }).apply(inputs) as Symbolic;
}

/** [height, width] of the DCGAN generator's first feature map: the image shrunk by 2^stages. */
function innerSize(spec: NetworkSpec, context: BuildContext): [number, number] {
  if (context.sampleShape.length !== 3) {
    throw new ConfigError(
      `architecture "conv" needs image samples [height, width, channels], got shape [${context.sampleShape}]`,
      { path: 'model.architecture' },
    );
  }
  const [height, width] = context.sampleShape;
  const factor = 2 ** spec.generatorFilters.length;
  if (height % factor !== 0 || width % factor !== 0) {
    throw new ConfigError(
      `${spec.generatorFilters.length} generator stages need height and width divisible by ${factor}, got ${height}x${width}`,
      { path: 'model.generatorFilters' },
    );
  }
  return [height / factor, width / factor];
}

/**
 * Generator: noise [n, latent] (+ one-hot labels [n, classes]) → samples [n, ...sampleShape].
 * MLP: dense ReLU layers → dense → output activation → reshape. DCGAN (Radford et al. 2016): dense → batch
 * norm → ReLU → reshape to [h/2^k, w/2^k, filters[0]], then stride-2 transposed convolutions with batch norm and
 * ReLU, the last one to the image's channels with the output activation.
 */
export function buildGenerator(
  spec: NetworkSpec,
  context: BuildContext,
  name = 'generator',
): tfl.LayersModel {
  // The generator and discriminator draw from disjoint seed ranges.
  const init = initialisers(context, 0);
  const { sampleShape } = context;
  const z = tfl.input({ shape: [spec.latent], name: 'generator_noise' });
  const labels = spec.generatorClasses
    ? tfl.input({ shape: [spec.generatorClasses], name: 'generator_labels' })
    : undefined;
  let h = labels ? concat([z, labels], 'generator_concat') : z;
  if (spec.architecture === 'dense') {
    spec.generatorHidden.forEach((units, i) => {
      const dense = tfl.layers.dense({
        units,
        activation: 'relu',
        kernelInitializer: init(),
        name: `generator_dense_${i + 1}`,
      });
      h = chain([dense], h);
    });
    h = chain(
      [tfl.layers.dense({ units: sampleSize(context), kernelInitializer: init(), name: 'generator_output' })],
      h,
    );
    if (spec.outputActivation !== 'linear')
      h = chain([activationLayer(spec.outputActivation, 'generator_output_act')], h);
    h = chain([tfl.layers.reshape({ targetShape: sampleShape, name: 'generator_reshape' })], h);
  } else {
    const [height, width] = innerSize(spec, context);
    const channels = sampleShape[2];
    const first = spec.generatorFilters[0];
    // Biases are dropped before batch norm: its shift makes them redundant.
    h = chain(
      [
        tfl.layers.dense({
          units: height * width * first,
          useBias: false,
          kernelInitializer: init(),
          name: 'generator_dense',
        }),
        tfl.layers.batchNormalization({ name: 'generator_dense_bn' }),
        tfl.layers.reLU({ name: 'generator_dense_relu' }),
        tfl.layers.reshape({ targetShape: [height, width, first], name: 'generator_reshape' }),
      ],
      h,
    );
    spec.generatorFilters.slice(1).forEach((filters, i) => {
      h = chain(
        [
          tfl.layers.conv2dTranspose({
            filters,
            kernelSize: spec.kernelSize,
            strides: 2,
            padding: 'same',
            useBias: false,
            kernelInitializer: init(),
            name: `generator_deconv_${i + 1}`,
          }),
          tfl.layers.batchNormalization({ name: `generator_bn_${i + 1}` }),
          tfl.layers.reLU({ name: `generator_relu_${i + 1}` }),
        ],
        h,
      );
    });
    h = chain(
      [
        tfl.layers.conv2dTranspose({
          filters: channels,
          kernelSize: spec.kernelSize,
          strides: 2,
          padding: 'same',
          kernelInitializer: init(),
          name: 'generator_output',
        }),
      ],
      h,
    );
    if (spec.outputActivation !== 'linear')
      h = chain([activationLayer(spec.outputActivation, 'generator_output_act')], h);
  }
  return tfl.model({ name, inputs: labels ? [z, labels] : z, outputs: h });
}

/**
 * The discriminator's dense and convolution layers: plain, or spectrally normalised when the spec asks. The kernel
 * initialisers are drawn in the same order either way; the power-iteration vectors take seeds of their own.
 */
function discriminatorLayers(spec: NetworkSpec, context: BuildContext) {
  const init: Init = initialisers(context, 1000);
  let vectors = 0;
  const seed = () => (context.seed * 1009 + 5000 + vectors++) >>> 0;
  return {
    dense(units: number, name: string, useBias = true): tfl.layers.Layer {
      const kernelInitializer = init();
      return spec.spectralNorm
        ? new SpectralDense({ units, name, useBias, kernelInitializer, seed: seed() })
        : tfl.layers.dense({ units, name, useBias, kernelInitializer });
    },
    conv(filters: number, name: string): tfl.layers.Layer {
      const kernelInitializer = init();
      const { kernelSize } = spec;
      return spec.spectralNorm
        ? new SpectralConv2D({ filters, kernelSize, strides: 2, name, kernelInitializer, seed: seed() })
        : tfl.layers.conv2d({ filters, kernelSize, strides: 2, padding: 'same', kernelInitializer, name });
    },
  };
}

/**
 * Discriminator: samples [n, ...sampleShape] (+ one-hot labels) → a logit/critic value [n, 1], and with an
 * auxiliary classifier also class logits [n, classes]. MLP: flatten → dense leaky-ReLU layers. DCGAN: stride-2
 * convolutions with leaky ReLU (no batch norm, which would break the per-sample gradient penalty of WGAN-GP)
 * → flatten. Labels join the MLP's input; the DCGAN scores them by projection onto the features.
 */
export function buildDiscriminator(spec: NetworkSpec, context: BuildContext): tfl.LayersModel {
  const layers = discriminatorLayers(spec, context);
  const x = tfl.input({ shape: context.sampleShape, name: 'discriminator_input' });
  const labels = spec.discriminatorClasses
    ? tfl.input({ shape: [spec.discriminatorClasses], name: 'discriminator_labels' })
    : undefined;
  let h: Symbolic;
  if (spec.architecture === 'dense') {
    // Flatten wants rank 3 or more; a [n, features] input is flat already.
    h =
      context.sampleShape.length > 1 ? chain([tfl.layers.flatten({ name: 'discriminator_flatten' })], x) : x;
    if (labels) h = concat([h, labels], 'discriminator_concat');
    spec.discriminatorHidden.forEach((units, i) => {
      h = chain(
        [
          layers.dense(units, `discriminator_dense_${i + 1}`),
          tfl.layers.leakyReLU({ alpha: LEAK, name: `discriminator_act_${i + 1}` }),
        ],
        h,
      );
    });
  } else {
    innerSize(spec, context);
    h = x;
    spec.discriminatorFilters.forEach((filters, i) => {
      h = chain(
        [
          layers.conv(filters, `discriminator_conv_${i + 1}`),
          tfl.layers.leakyReLU({ alpha: LEAK, name: `discriminator_act_${i + 1}` }),
        ],
        h,
      );
    });
    h = chain([tfl.layers.flatten({ name: 'discriminator_flatten' })], h);
  }
  let logit = chain([layers.dense(1, 'discriminator_logit')], h);
  if (labels && spec.architecture === 'conv') {
    // Projection (Miyato & Koyama 2018): logit + <embed(y), features>. Labels concatenated to the features
    // before a linear head would only add a per-class constant, which cannot tell a matching pair from a
    // mismatched one; the inner product makes the label change how the image's features are scored.
    const features = h.shape[h.shape.length - 1] as number;
    const embedded = chain([layers.dense(features, 'discriminator_label_embedding', false)], labels);
    const projection = tfl.layers
      .dot({ axes: 1, name: 'discriminator_projection' })
      .apply([h, embedded]) as Symbolic;
    logit = tfl.layers
      .add({ name: 'discriminator_conditional_logit' })
      .apply([logit, projection]) as Symbolic;
  }
  const outputs = [logit];
  if (spec.auxiliaryClasses) {
    outputs.push(chain([layers.dense(spec.auxiliaryClasses, 'discriminator_classes')], h));
  }
  return tfl.model({
    name: 'discriminator',
    inputs: labels ? [x, labels] : x,
    outputs: outputs.length === 1 ? logit : outputs,
  });
}

/** Discriminator outputs as { logit [n, 1], classes? [n, classes] }. */
export function discriminate(
  network: tfl.LayersModel,
  x: Tensor,
  labels: Tensor | undefined,
  training: boolean,
): { logit: Tensor; classes?: Tensor } {
  const out = network.apply(labels ? [x, labels] : x, { training });
  if (Array.isArray(out)) return { logit: out[0] as Tensor, classes: out[1] as Tensor };
  return { logit: out as Tensor };
}

/** Copy every weight (batch-norm statistics included) of `from` into `to`; same architecture. */
export function copyWeights(from: tfl.LayersModel, to: tfl.LayersModel): void {
  // getWeights() hands out the live variables, so nothing here may be disposed.
  to.setWeights(from.getWeights());
}
