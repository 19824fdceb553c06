// Attention autoencoder for images: the image is cut into patches, embedded as tokens with learned
// positions and passed through transformer blocks down to a dense code; the decoder mirrors it.
import { tfl } from '../../engine/tf.js';
import { ConfigError } from '../../errors.js';
import type { BuildContext } from '../family.js';
import { LayerNorm, Patchify, PositionEmbedding, TransformerBlock, Unpatchify } from '../shared/attention.js';
import { activationLayer, autoencoderFamily, seededInit } from '../shared/autoencoder-base.js';
import { AttentionAutoencoderConfig } from './config.js';

// The layers (and patchify/unpatchify) are part of this family's public surface.
export * from '../shared/attention.js';

function checkShapes(config: AttentionAutoencoderConfig, context: BuildContext): [number, number, number] {
  if (context.sampleShape.length !== 3) {
    throw new ConfigError(
      `attention-ae needs image samples [height, width, channels], got shape [${context.sampleShape}]`,
      { path: 'model.kind' },
    );
  }
  const [height, width, channels] = context.sampleShape;
  if (height % config.patchSize !== 0 || width % config.patchSize !== 0) {
    throw new ConfigError(
      `patch size ${config.patchSize} must divide the image height and width, got ${height}x${width}`,
      { path: 'model.patchSize' },
    );
  }
  // Also checked by the schema; repeated for configs that skipped it.
  if (config.dim % config.heads !== 0)
    throw new ConfigError(`${config.heads} heads do not divide dim ${config.dim}`, { path: 'model.heads' });
  return [height, width, channels];
}

function buildNetworks(config: AttentionAutoencoderConfig, context: BuildContext) {
  const [height, width, channels] = checkShapes(config, context);
  const p = config.patchSize;
  const tokens = (height / p) * (width / p);
  let layer = 0;
  // Stock layers take a seeded initialiser; latentlab's own take the seed (it is part of their config).
  const init = () => seededInit(context, layer++);
  const seed = () => context.seed * 1009 + layer++;
  const block = (name: string) =>
    new TransformerBlock({
      heads: config.heads,
      mlpRatio: config.mlpRatio,
      activation: config.activation,
      seed: seed(),
      name,
    });

  const encoder = tfl.sequential({ name: 'encoder' });
  encoder.add(new Patchify({ inputShape: context.sampleShape, patchSize: p, name: 'encoder_patchify' }));
  // [batch, tokens, p*p*c] → [batch, tokens, dim]
  encoder.add(tfl.layers.dense({ units: config.dim, kernelInitializer: init(), name: 'encoder_embedding' }));
  encoder.add(new PositionEmbedding({ seed: seed(), name: 'encoder_positions' }));
  for (let i = 0; i < config.depth; i++) encoder.add(block(`encoder_block_${i + 1}`));
  encoder.add(new LayerNorm({ name: 'encoder_norm' }));
  // Flatten rather than pool: the code has to say where things are, not only what.
  encoder.add(tfl.layers.flatten({ name: 'encoder_flatten' }));
  encoder.add(tfl.layers.dense({ units: config.latent, kernelInitializer: init(), name: 'encoder_latent' }));

  const decoder = tfl.sequential({ name: 'decoder' });
  decoder.add(
    tfl.layers.dense({
      inputShape: [config.latent],
      units: tokens * config.dim,
      kernelInitializer: init(),
      name: 'decoder_tokens',
    }),
  );
  decoder.add(tfl.layers.reshape({ targetShape: [tokens, config.dim], name: 'decoder_reshape' }));
  decoder.add(new PositionEmbedding({ seed: seed(), name: 'decoder_positions' }));
  for (let i = 0; i < config.depth; i++) decoder.add(block(`decoder_block_${i + 1}`));
  decoder.add(new LayerNorm({ name: 'decoder_norm' }));
  // [batch, tokens, dim] → [batch, tokens, p*p*c]: each token paints its own patch.
  decoder.add(
    tfl.layers.dense({ units: p * p * channels, kernelInitializer: init(), name: 'decoder_patches' }),
  );
  decoder.add(
    new Unpatchify({ patchSize: p, imageShape: [height, width, channels], name: 'decoder_unpatchify' }),
  );
  decoder.add(activationLayer(config.outputActivation, 'decoder_output_act'));
  return { encoder, decoder };
}

export const attentionAutoencoderFamily = autoencoderFamily({
  kind: 'attention-ae',
  description:
    'attention autoencoder for images: transformer blocks over patches (denoising and sparse through options)',
  configSchema: AttentionAutoencoderConfig,
  needsImages: true,
  buildNetworks,
});
