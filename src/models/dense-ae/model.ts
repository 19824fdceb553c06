// Dense autoencoder: shallow (no hidden layers) to deep stacks, mirrored decoder.
// Denoising and sparse variants are the shared `noise` and `sparsity` options.
import { sampleSize } from '../../data/dataset.js';
import { tfl } from '../../engine/tf.js';
import type { BuildContext } from '../family.js';
import { autoencoderFamily } from '../shared/autoencoder-base.js';
import { denseLayers, initialisers } from '../shared/layers.js';
import { DenseAutoencoderConfig } from './config.js';

/**
 * Sequential networks, as dense-ae runs have always been saved: the shared body's dense layers (layers.ts), added
 * one by one, with the first layer carrying the input shape; the encoder's code layer has its own activation.
 */
function buildNetworks(config: DenseAutoencoderConfig, context: BuildContext) {
  const init = initialisers(context);

  const encoder = tfl.sequential({ name: 'encoder' });
  // Flatten needs rank 3 or more; table rows [n, features] are flat already.
  encoder.add(
    context.sampleShape.length > 1
      ? tfl.layers.flatten({ inputShape: context.sampleShape, name: 'encoder_flatten' })
      : tfl.layers.inputLayer({ inputShape: context.sampleShape, name: 'encoder_input' }),
  );
  config.hidden.forEach((units, i) => {
    for (const l of denseLayers(units, `encoder_dense_${i + 1}`, config.activation, init)) encoder.add(l);
  });
  for (const l of denseLayers(config.latent, 'encoder_latent', config.latentActivation, init)) encoder.add(l);

  const decoder = tfl.sequential({ name: 'decoder' });
  const widths = [...config.hidden].reverse();
  decoder.add(tfl.layers.inputLayer({ inputShape: [config.latent], name: 'decoder_input' }));
  widths.forEach((units, i) => {
    for (const l of denseLayers(units, `decoder_dense_${i + 1}`, config.activation, init)) decoder.add(l);
  });
  for (const l of denseLayers(sampleSize(context), 'decoder_output', config.outputActivation, init))
    decoder.add(l);
  decoder.add(tfl.layers.reshape({ targetShape: context.sampleShape, name: 'decoder_reshape' }));
  return { encoder, decoder };
}

export const denseAutoencoderFamily = autoencoderFamily({
  kind: 'dense-ae',
  description: 'dense autoencoder (shallow or deep; denoising and sparse through options)',
  configSchema: DenseAutoencoderConfig,
  buildNetworks,
});
