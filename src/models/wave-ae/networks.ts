// The waveform autoencoder's networks: strided 1-D convolutions down to a dense code, and a decoder mirroring
// them with strided transposed convolutions to a tanh waveform. Stock layers only (Conv1D, Conv2DTranspose,
// Reshape), so the saved networks load in plain TensorFlow.js.
import { tfl } from '../../engine/tf.js';
import { ConfigError } from '../../errors.js';
import type { BuildContext } from '../family.js';
import { activationLayer, type InLayerActivation, withActivation } from '../shared/autoencoder-base.js';
import { chain, denseLayers, type Init, initialisers, type Symbolic } from '../shared/layers.js';
import type { WaveAutoencoderConfig } from './config.js';

/** What data of this shape is, in words, for the refusal of anything but waveforms. */
function describeSamples({ sampleShape, vocabularySize }: BuildContext): string {
  const shape = `[${sampleShape.join(', ')}]`;
  if (vocabularySize !== undefined) return `text (token ids ${shape})`;
  if (sampleShape.length === 3)
    return `images ${shape} (a mel spectrogram is an image: use an image family such as conv-ae, or --representation waveform)`;
  if (sampleShape.length === 1) return `table rows of ${sampleShape[0]} values`;
  return `samples of shape ${shape}`;
}

/**
 * The clip length and the innermost feature length [samples / stride^stages] of a wave-ae built for `context`,
 * or a ConfigError naming the field: waveforms [samples, 1] only, a length every stage divides cleanly (so the
 * decoder gives back exactly the input's length), spectral FFTs no longer than a clip.
 */
export function waveGeometry(
  config: Pick<WaveAutoencoderConfig, 'kind' | 'filters' | 'stride' | 'spectralWeight' | 'spectralFfts'>,
  context: BuildContext,
): { samples: number; innerLength: number } {
  const { sampleShape } = context;
  if (context.vocabularySize !== undefined || sampleShape.length !== 2 || sampleShape[1] !== 1) {
    throw new ConfigError(
      `${config.kind} needs waveforms [samples, 1] in [-1, 1] (audio read with --representation waveform); this data is ${describeSamples(context)}`,
      { path: 'model.kind' },
    );
  }
  const samples = sampleShape[0];
  const totalStride = config.stride ** config.filters.length;
  if (samples % totalStride !== 0) {
    throw new ConfigError(
      `${samples} samples is not divisible by the encoder's total stride ${totalStride} (stride ${config.stride} over ${config.filters.length} convolutions): choose a duration that is, or fewer filters`,
      { path: 'model.filters' },
    );
  }
  const tooLong = config.spectralWeight > 0 ? config.spectralFfts.find((n) => n > samples) : undefined;
  if (tooLong !== undefined) {
    throw new ConfigError(
      `a spectral FFT of ${tooLong} samples is longer than a clip of ${samples} samples: choose FFT sizes up to ${samples}`,
      { path: 'model.spectralFfts' },
    );
  }
  return { samples, innerLength: samples / totalStride };
}

/** A strided 'same' 1-D convolution with its activation (fused into the layer when it can be). */
function conv1dLayers(
  filters: number,
  config: WaveAutoencoderConfig,
  name: string,
  actName: string,
  init: Init,
): tfl.layers.Layer[] {
  const conv = (fused: InLayerActivation | undefined) =>
    tfl.layers.conv1d({
      filters,
      kernelSize: config.kernelSize,
      strides: config.stride,
      padding: 'same',
      activation: fused,
      kernelInitializer: init(),
      name,
    });
  return withActivation(conv, config.activation, actName);
}

/**
 * A transposed convolution that multiplies the length by the stride: tfjs-layers has no Conv1DTranspose, so it
 * runs over a [length, 1, channels] feature map with a [kernelSize, 1] kernel (the same arithmetic).
 */
function upsampleLayer(filters: number, config: WaveAutoencoderConfig, name: string, init: Init) {
  return tfl.layers.conv2dTranspose({
    filters,
    kernelSize: [config.kernelSize, 1],
    strides: [config.stride, 1],
    padding: 'same',
    kernelInitializer: init(),
    name,
  });
}

/**
 * Encoder [n, samples, 1] → [n, latent]: the strided convolutions, flatten, a linear dense code. Decoder
 * [n, latent] → [n, samples, 1]: a dense layer to the innermost feature map [samples / stride^k, 1, filters_k],
 * the transposed convolutions (channels mirrored), the last one to one channel, tanh. One initialiser counter
 * runs through both.
 */
export function buildNetworks(config: WaveAutoencoderConfig, context: BuildContext) {
  const { samples, innerLength } = waveGeometry(config, context);
  const init = initialisers(context);
  const { filters, activation } = config;

  const x = tfl.input({ shape: [samples, 1], name: 'encoder_input' });
  let h: Symbolic = x;
  filters.forEach((f, i) => {
    h = chain(conv1dLayers(f, config, `encoder_conv_${i + 1}`, `encoder_act_${i + 1}`, init), h);
  });
  h = chain([tfl.layers.flatten({ name: 'encoder_flatten' })], h);
  const code = chain(denseLayers(config.latent, 'encoder_latent', 'linear', init), h);
  const encoder = tfl.model({ inputs: x, outputs: code, name: 'encoder' });

  const z = tfl.input({ shape: [config.latent], name: 'decoder_input' });
  const innermost = filters[filters.length - 1];
  let g = chain(denseLayers(innerLength * innermost, 'decoder_dense', activation, init), z);
  g = chain([tfl.layers.reshape({ targetShape: [innerLength, 1, innermost], name: 'decoder_reshape' })], g);
  [...filters]
    .reverse()
    .slice(1)
    .forEach((f, i) => {
      g = chain(
        [
          upsampleLayer(f, config, `decoder_deconv_${i + 1}`, init),
          activationLayer(activation, `decoder_act_${i + 1}`),
        ],
        g,
      );
    });
  g = chain(
    [
      upsampleLayer(1, config, 'decoder_output', init),
      activationLayer('tanh', 'decoder_output_act'),
      tfl.layers.reshape({ targetShape: [samples, 1], name: 'decoder_waveform' }),
    ],
    g,
  );
  const decoder = tfl.model({ inputs: z, outputs: g, name: 'decoder' });
  return { encoder, decoder };
}
