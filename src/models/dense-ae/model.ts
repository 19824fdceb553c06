// Dense autoencoder: shallow (no hidden layers) to deep stacks, mirrored decoder.
// Denoising and sparse variants are the shared `noise` and `sparsity` options.
import { tfl } from '../../engine/tf.js';
import type { BuildContext, ModelFamily } from '../family.js';
import { type Activation, AutoencoderModel, seededInit, withActivation } from '../shared/autoencoder-base.js';
import { DenseAutoencoderConfig } from './config.js';

function buildNetworks(config: DenseAutoencoderConfig, context: BuildContext) {
  const features = context.sampleShape.reduce((a, b) => a * b, 1);
  let layer = 0;
  const dense = (units: number, name: string, activation: Activation) =>
    withActivation(
      (fused) =>
        tfl.layers.dense({ units, name, activation: fused, kernelInitializer: seededInit(context, layer++) }),
      activation,
      `${name}_act`,
    );

  const encoder = tfl.sequential({ name: 'encoder' });
  // Flatten needs rank 3 or more; table rows [n, features] are flat already.
  encoder.add(
    context.sampleShape.length > 1
      ? tfl.layers.flatten({ inputShape: context.sampleShape, name: 'encoder_flatten' })
      : tfl.layers.inputLayer({ inputShape: context.sampleShape, name: 'encoder_input' }),
  );
  config.hidden.forEach((units, i) => {
    for (const l of dense(units, `encoder_dense_${i + 1}`, config.activation)) encoder.add(l);
  });
  for (const l of dense(config.latent, 'encoder_latent', config.latentActivation)) encoder.add(l);

  const decoder = tfl.sequential({ name: 'decoder' });
  const widths = [...config.hidden].reverse();
  decoder.add(tfl.layers.inputLayer({ inputShape: [config.latent], name: 'decoder_input' }));
  widths.forEach((units, i) => {
    for (const l of dense(units, `decoder_dense_${i + 1}`, config.activation)) decoder.add(l);
  });
  for (const l of dense(features, 'decoder_output', config.outputActivation)) decoder.add(l);
  decoder.add(tfl.layers.reshape({ targetShape: context.sampleShape, name: 'decoder_reshape' }));
  return { encoder, decoder };
}

export const denseAutoencoderFamily: ModelFamily<typeof DenseAutoencoderConfig> = {
  kind: 'dense-ae',
  description: 'dense autoencoder (shallow or deep; denoising and sparse through options)',
  configSchema: DenseAutoencoderConfig,
  build(config, context) {
    const { encoder, decoder } = buildNetworks(config, context);
    return new AutoencoderModel(config, context, encoder, decoder);
  },
  restore(config, context, networks) {
    return new AutoencoderModel(config, context, networks.encoder, networks.decoder);
  },
};
