// Convolutional autoencoder for images: stride-2 convolutions down to a dense code,
// mirrored with stride-2 transposed convolutions.
import { tfl } from '../../engine/tf.js';
import type { BuildContext, ModelFamily } from '../family.js';
import {
  AutoencoderModel,
  activationLayer,
  type InLayerActivation,
  seededInit,
  strideTwoGeometry,
  withActivation,
} from '../shared/autoencoder-base.js';
import { ConvAutoencoderConfig } from './config.js';

function buildNetworks(config: ConvAutoencoderConfig, context: BuildContext) {
  const { channels, innerShape } = strideTwoGeometry('conv-ae', config.filters, context.sampleShape);
  let layer = 0;
  const init = () => seededInit(context, layer++);

  const encoder = tfl.sequential({ name: 'encoder' });
  config.filters.forEach((filters, i) => {
    const conv = (activation: InLayerActivation | undefined) =>
      tfl.layers.conv2d({
        ...(i === 0 ? { inputShape: context.sampleShape } : {}),
        filters,
        kernelSize: config.kernelSize,
        strides: 2,
        padding: 'same',
        activation,
        kernelInitializer: init(),
        name: `encoder_conv_${i + 1}`,
      });
    for (const l of withActivation(conv, config.activation, `encoder_act_${i + 1}`)) encoder.add(l);
  });
  encoder.add(tfl.layers.flatten({ name: 'encoder_flatten' }));
  encoder.add(tfl.layers.dense({ units: config.latent, kernelInitializer: init(), name: 'encoder_latent' }));

  const decoder = tfl.sequential({ name: 'decoder' });
  const expand = (activation: InLayerActivation | undefined) =>
    tfl.layers.dense({
      inputShape: [config.latent],
      units: innerShape[0] * innerShape[1] * innerShape[2],
      activation,
      kernelInitializer: init(),
      name: 'decoder_dense',
    });
  for (const l of withActivation(expand, config.activation, 'decoder_dense_act')) decoder.add(l);
  decoder.add(tfl.layers.reshape({ targetShape: innerShape, name: 'decoder_reshape' }));
  const upFilters = [...config.filters].reverse().slice(1);
  upFilters.forEach((filters, i) => {
    decoder.add(
      tfl.layers.conv2dTranspose({
        filters,
        kernelSize: config.kernelSize,
        strides: 2,
        padding: 'same',
        kernelInitializer: init(),
        name: `decoder_deconv_${i + 1}`,
      }),
    );
    decoder.add(activationLayer(config.activation, `decoder_act_${i + 1}`));
  });
  decoder.add(
    tfl.layers.conv2dTranspose({
      filters: channels,
      kernelSize: config.kernelSize,
      strides: 2,
      padding: 'same',
      kernelInitializer: init(),
      name: 'decoder_output',
    }),
  );
  decoder.add(activationLayer(config.outputActivation, 'decoder_output_act'));
  return { encoder, decoder };
}

export const convAutoencoderFamily: ModelFamily<typeof ConvAutoencoderConfig> = {
  kind: 'conv-ae',
  description: 'convolutional autoencoder for images (denoising and sparse through options)',
  configSchema: ConvAutoencoderConfig,
  needsImages: true,
  build(config, context) {
    const { encoder, decoder } = buildNetworks(config, context);
    return new AutoencoderModel(config, context, encoder, decoder);
  },
  restore(config, context, networks) {
    return new AutoencoderModel(config, context, networks.encoder, networks.decoder);
  },
};
