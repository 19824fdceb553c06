// The waveform autoencoder (wave-ae): a 1-D convolutional autoencoder on raw audio [samples, 1] in [-1, 1],
// trained on the waveform MSE plus a weighted multi-resolution spectral loss (losses.ts).
import { type Tensor, tf, type tfl } from '../../engine/tf.js';
import type { Autoencoder, Batch, BuildContext, LossRecord, ModelFamily, NetworkRole } from '../family.js';
import { corrupt, EncoderDecoder, reconstructionLoss } from '../shared/autoencoder-base.js';
import { stepSeed } from '../shared/seeds.js';
import { minimize, trainableVariables } from '../shared/step.js';
import { WaveAutoencoderConfig } from './config.js';
import { spectralLoss } from './losses.js';
import { buildNetworks } from './networks.js';

const WAVEFORMS = 'waveforms [n, samples, 1] in [-1, 1]';

export class WaveAutoencoderModel extends EncoderDecoder implements Autoencoder<WaveAutoencoderConfig> {
  readonly kind = 'wave-ae';
  readonly optimizerNames = ['autoencoder'] as const;
  readonly networks: { encoder: tfl.LayersModel; decoder: tfl.LayersModel };

  constructor(
    readonly config: WaveAutoencoderConfig,
    readonly context: BuildContext,
    encoder: tfl.LayersModel,
    decoder: tfl.LayersModel,
  ) {
    super();
    this.networks = { encoder, decoder };
  }

  get latentSize(): number {
    return this.config.latent;
  }

  networkRoles(): Record<string, NetworkRole> {
    return {
      encoder: { summary: 'maps waveforms to codes', inputs: [WAVEFORMS], outputs: ['the code [n, latent]'] },
      decoder: {
        summary: 'maps codes back to waveforms',
        inputs: ['a code [n, latent]'],
        outputs: [`reconstructed ${WAVEFORMS} (tanh applied)`],
      },
    };
  }

  /** Losses for a batch; `input` may be a corrupted copy of `batch.x` (denoising). */
  private losses(batch: Batch, input: Tensor, training: boolean): LossRecord {
    const z = this.networks.encoder.apply(input, { training }) as Tensor;
    const recon = this.networks.decoder.apply(z, { training }) as Tensor;
    const mse = reconstructionLoss('mse', batch.x, recon);
    const { spectralWeight, spectralFfts } = this.config;
    if (spectralWeight === 0) return { loss: mse, mse };
    const spectral = spectralLoss(batch.x, recon, spectralFfts);
    return { loss: tf.add(mse, tf.mul(spectralWeight, spectral)) as tf.Scalar, mse, spectral };
  }

  trainStep(batch: Batch, optimizers: Record<string, tf.Optimizer>): LossRecord {
    return minimize(
      optimizers.autoencoder,
      trainableVariables(this.networks.encoder, this.networks.decoder),
      () =>
        this.losses(
          batch,
          corrupt(batch.x, this.config.noise, stepSeed(this.context.seed, batch.step), this.context.audio),
          true,
        ),
      'loss',
    );
  }

  evaluate(batch: Batch): LossRecord {
    return tf.tidy(() => this.losses(batch, batch.x, false));
  }

  dispose(): void {
    this.networks.encoder.dispose();
    this.networks.decoder.dispose();
  }
}

export const waveAutoencoderFamily: ModelFamily<typeof WaveAutoencoderConfig> = {
  kind: 'wave-ae',
  needsWaveforms: true,
  description: '1-D convolutional autoencoder for raw audio waveforms (denoising through options)',
  configSchema: WaveAutoencoderConfig,
  build(config, context) {
    const { encoder, decoder } = buildNetworks(config, context);
    return new WaveAutoencoderModel(config, context, encoder, decoder);
  },
  restore(config, context, networks) {
    return new WaveAutoencoderModel(config, context, networks.encoder, networks.decoder);
  },
};
