// The VQ-VAE's autoencoder networks: a stride-2 conv encoder onto the code grid [h, w, embeddingDim], the
// codebook (an embedding layer, so its vectors are a saved network's weights) and the mirrored decoder.
import { tf, tfl } from '../../engine/tf.js';
import type { BuildContext } from '../family.js';
import { activationLayer, strideTwoGeometry, withActivation } from '../shared/autoencoder-base.js';
import { chain, convLayers, deconvLayer, initialisers, type Symbolic } from '../shared/layers.js';
import type { VqVaeConfig } from './config.js';

export type VqVaeNetworks = {
  encoder: tfl.LayersModel;
  codebook: tfl.LayersModel;
  decoder: tfl.LayersModel;
  prior: tfl.LayersModel;
};

/** The code grid's height and width: the image's sides halved once per stride-2 convolution. */
export function codeGrid(config: VqVaeConfig, context: BuildContext): [number, number] {
  const { innerShape } = strideTwoGeometry('vq-vae', config.filters, context.sampleShape);
  return [innerShape[0], innerShape[1]];
}

/** Samples [n, H, W, C] → unquantised code vectors [n, h, w, embeddingDim]. */
export function buildEncoder(config: VqVaeConfig, context: BuildContext): tfl.LayersModel {
  const init = initialisers(context, 0);
  const input = tfl.input({ shape: context.sampleShape, name: 'samples' });
  const layers = config.filters.flatMap((filters, i) =>
    convLayers(filters, `encoder_conv${i + 1}`, config, `encoder_conv${i + 1}_act`, init),
  );
  const out = tfl.layers
    .conv2d({ filters: config.embeddingDim, kernelSize: 1, kernelInitializer: init(), name: 'encoder_code' })
    .apply(chain(layers, input)) as Symbolic;
  return tfl.model({ inputs: input, outputs: out, name: 'encoder' });
}

/**
 * Code indices [n, h·w] → their vectors [n, h·w, embeddingDim]. Initialised uniform in ±1/codebookSize (as the
 * paper's reference code), seeded.
 */
export function buildCodebook(
  config: VqVaeConfig,
  context: BuildContext,
  positions: number,
): tfl.LayersModel {
  const input = tfl.input({ shape: [positions], dtype: 'int32', name: 'indices' });
  const limit = 1 / config.codebookSize;
  const out = tfl.layers
    .embedding({
      inputDim: config.codebookSize,
      outputDim: config.embeddingDim,
      embeddingsInitializer: tfl.initializers.randomUniform({
        minval: -limit,
        maxval: limit,
        seed: context.seed * 1009 + 500,
      }),
      name: 'codebook',
    })
    .apply(input) as Symbolic;
  return tfl.model({ inputs: input, outputs: out, name: 'codebook' });
}

/** Quantised codes, flat [n, h·w·embeddingDim] → samples: a 3x3 conv, then stride-2 transposed convolutions. */
export function buildDecoder(config: VqVaeConfig, context: BuildContext): tfl.LayersModel {
  const init = initialisers(context, 100);
  const [h, w] = codeGrid(config, context);
  const channels = context.sampleShape[2];
  const input = tfl.input({ shape: [h * w * config.embeddingDim], name: 'codes' });
  const last = config.filters.length - 1;
  const layers: tfl.layers.Layer[] = [
    tfl.layers.reshape({ targetShape: [h, w, config.embeddingDim], name: 'decoder_grid' }),
    ...withActivation(
      (activation) =>
        tfl.layers.conv2d({
          filters: config.filters[last],
          kernelSize: config.kernelSize,
          padding: 'same',
          activation,
          kernelInitializer: init(),
          name: 'decoder_conv',
        }),
      config.activation,
      'decoder_conv_act',
    ),
  ];
  for (let i = last - 1; i >= 0; i--)
    layers.push(
      deconvLayer(config.filters[i], config.kernelSize, `decoder_deconv${i + 2}`, init),
      activationLayer(config.activation, `decoder_deconv${i + 2}_act`),
    );
  layers.push(
    deconvLayer(channels, config.kernelSize, 'decoder_deconv1', init),
    tfl.layers.activation({ activation: config.outputActivation, name: 'decoder_output' }),
  );
  return tfl.model({ inputs: input, outputs: chain(layers, input), name: 'decoder' });
}

/** Squared distances from each vector [N, D] to each code [K, D]: |z|² − 2 z·e + |e|², as [N, K]. */
export function squaredDistances(z: tf.Tensor2D, codebook: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() =>
    tf.add(
      tf.sub(tf.sum(tf.square(z), 1, true), tf.mul(2, tf.matMul(z, codebook, false, true))),
      tf.expandDims(tf.sum(tf.square(codebook), 1), 0),
    ),
  );
}
