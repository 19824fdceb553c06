// Convolutional autoencoder for images: stride-2 convolutions down to a dense code,
// mirrored with stride-2 transposed convolutions.
import { tfl } from '../../engine/tf.js';
import type { BuildContext } from '../family.js';
import { activationLayer, autoencoderFamily, strideTwoGeometry } from '../shared/autoencoder-base.js';
import { convLayers, deconvLayer, denseLayers, initialisers } from '../shared/layers.js';
import { ConvAutoencoderConfig } from './config.js';

/**
 * Sequential networks, as conv-ae runs have always been saved: the shared body's conv, dense and transposed conv
 * layers (layers.ts), added one by one, the first carrying the input shape.
 */
function buildNetworks(config: ConvAutoencoderConfig, context: BuildContext) {
  const { channels, innerShape } = strideTwoGeometry('conv-ae', config.filters, context.sampleShape);
  const init = initialisers(context);
  const { kernelSize } = config;

  const encoder = tfl.sequential({ name: 'encoder' });
  config.filters.forEach((filters, i) => {
    const first = i === 0 ? { inputShape: context.sampleShape } : {};
    const name = `encoder_conv_${i + 1}`;
    for (const l of convLayers(filters, name, config, `encoder_act_${i + 1}`, init, first)) encoder.add(l);
  });
  encoder.add(tfl.layers.flatten({ name: 'encoder_flatten' }));
  encoder.add(tfl.layers.dense({ units: config.latent, kernelInitializer: init(), name: 'encoder_latent' }));

  const decoder = tfl.sequential({ name: 'decoder' });
  const size = innerShape[0] * innerShape[1] * innerShape[2];
  for (const l of denseLayers(size, 'decoder_dense', config.activation, init, {
    inputShape: [config.latent],
  }))
    decoder.add(l);
  decoder.add(tfl.layers.reshape({ targetShape: innerShape, name: 'decoder_reshape' }));
  const upFilters = [...config.filters].reverse().slice(1);
  upFilters.forEach((filters, i) => {
    decoder.add(deconvLayer(filters, kernelSize, `decoder_deconv_${i + 1}`, init));
    decoder.add(activationLayer(config.activation, `decoder_act_${i + 1}`));
  });
  decoder.add(deconvLayer(channels, kernelSize, 'decoder_output', init));
  decoder.add(activationLayer(config.outputActivation, 'decoder_output_act'));
  return { encoder, decoder };
}

export const convAutoencoderFamily = autoencoderFamily({
  kind: 'conv-ae',
  description: 'convolutional autoencoder for images (denoising and sparse through options)',
  configSchema: ConvAutoencoderConfig,
  needsImages: true,
  buildNetworks,
});
