// Autoencoder-generator GAN: the generator is an autoencoder's decoder behind a mapping network (noise → a
// low-dimensional code, ending in a linear layer; the decoder's first dense layer expands it). The autoencoder
// may first be pretrained on the data (pretrainEpochs), which starts the generator from a decoder that already
// draws the data's shapes; then mapping and decoder train adversarially against an image discriminator.
import { type Tensor, tf, type tfl } from '../../engine/tf.js';
import type {
  Autoencoder,
  Batch,
  BuildContext,
  GenerativeModel,
  LossRecord,
  ModelFamily,
  NetworkRole,
} from '../family.js';
import {
  adversarialAdam,
  adversarialLossOf,
  adversarialRound,
  buildImageDiscriminator,
  codeNetworkSpec,
  discriminatorObjective,
} from '../shared/adversarial.js';
import {
  buildDecoder,
  buildEncoder,
  freezeCodeStandardization,
  reconstructionParts,
} from '../shared/bodies.js';
import { buildGenerator } from '../shared/gan-networks.js';
import { HybridModel, phaseAt } from '../shared/hybrid-model.js';
import { lossRecord, requireOptimizers, trainableVariables } from '../shared/step.js';
import { AeGanConfig } from './config.js';

type AeGanNetworks = {
  encoder: tfl.LayersModel;
  decoder: tfl.LayersModel;
  mapping: tfl.LayersModel;
  discriminator: tfl.LayersModel;
};

/**
 * LossRecord of a step: in pretraining `reconstruction` and `mse`; in the adversarial phase `discriminator`,
 * `generator` (and `wasserstein` for wgan-gp). `loss` is the reconstruction loss, then the generator's loss (the
 * Wasserstein estimate for wgan-gp).
 */
export class AeGanModel
  extends HybridModel<AeGanConfig, AeGanNetworks>
  implements Autoencoder<AeGanConfig>, GenerativeModel<AeGanConfig>
{
  readonly kind = 'aegan';
  readonly optimizerNames = ['autoencoder', 'generator', 'discriminator'] as const;

  get optimizerSettings() {
    return {
      generator: adversarialAdam(this.config.generatorLearningRate),
      discriminator: adversarialAdam(this.config.discriminatorLearningRate),
    };
  }

  phaseAt(epoch: number | undefined): 'pretrain' | 'adversarial' {
    return phaseAt(epoch, [{ phase: 'pretrain', epochs: this.config.pretrainEpochs }], 'adversarial');
  }

  /** The prior is the mapping network's noise: N(0, I) of size noiseSize. */
  samplePrior(n: number, seed: number): Tensor {
    return tf.randomNormal([n, this.config.noiseSize], 0, 1, 'float32', seed);
  }

  /** Samples: noise → mapping → code → decoder. */
  generate(noise: Tensor): Tensor {
    return tf.tidy(() => this.decode(this.networks.mapping.apply(noise, { training: false }) as Tensor));
  }

  override networkRoles(): Record<string, NetworkRole> {
    const { latent, noiseSize, adversarialLoss } = this.config;
    return {
      ...super.networkRoles(),
      mapping: {
        summary: 'maps noise to codes; the decoder behind it is the generator',
        inputs: [`noise z ~ N(0, I) [n, ${noiseSize}]`],
        outputs: [
          `a code [n, ${latent}]${this.config.standardizeCode ? ' (in the standardised code space)' : ''}`,
        ],
      },
      discriminator: this.adversaryRole(
        'scores samples as real or generated (decoded from mapped noise)',
        'samples [n, ...sampleShape]',
        adversarialLoss,
      ),
    };
  }

  private generated(noise: Tensor, training: boolean): Tensor {
    const { mapping, decoder } = this.networks;
    return decoder.apply(mapping.apply(noise, { training }) as Tensor, { training }) as Tensor;
  }

  trainStep(batch: Batch, optimizers: Record<string, tf.Optimizer>): LossRecord {
    requireOptimizers(optimizers, this.optimizerNames, 'aegan');
    const { decoder, mapping, discriminator } = this.networks;
    if (this.phaseAt(batch.epoch) === 'pretrain')
      return lossRecord(this.reconstructionStep(batch.x, optimizers.autoencoder), 'reconstruction');
    const parts = adversarialRound({
      discriminator,
      real: batch.x,
      fake: (noise) => this.generated(noise, true),
      noise: (n, seed) => this.samplePrior(n, seed),
      optimizers: { discriminator: optimizers.discriminator, generator: optimizers.generator },
      variables: trainableVariables(mapping, decoder),
      settings: this.config,
      seed: (slot) => this.seedFor(batch.step, slot),
    });
    return lossRecord(parts, parts.wasserstein ? 'wasserstein' : 'generator');
  }

  evaluate(batch: Batch): LossRecord {
    return tf.tidy(() => {
      const recon = this.reconstruct(batch.x);
      const seed = this.evaluationSeed(batch.step);
      const fake = this.generated(this.samplePrior(batch.x.shape[0], seed), false);
      return lossRecord(
        {
          ...reconstructionParts(this.config, batch.x, recon),
          ...discriminatorObjective(this.networks.discriminator, batch.x, fake, this.config, seed + 1),
          generator: adversarialLossOf(this.networks.discriminator, fake, this.config.adversarialLoss),
        },
        'reconstruction',
      );
    });
  }
}

function buildNetworks(config: AeGanConfig, context: BuildContext): AeGanNetworks {
  const spec = codeNetworkSpec(config.noiseSize, config.mappingHidden, []);
  return {
    encoder: buildEncoder(config, context, undefined, { standardizeCode: config.standardizeCode }),
    decoder: buildDecoder(config, context),
    mapping: buildGenerator(
      spec,
      { ...context, sampleShape: [config.latent], seed: context.seed + 1 },
      'mapping',
    ),
    discriminator: buildImageDiscriminator(
      config.discriminatorArchitecture,
      config.discriminatorHidden,
      config.discriminatorFilters,
      context,
      2,
      config.spectralNorm,
    ),
  };
}

export const aeGanFamily: ModelFamily<typeof AeGanConfig> = {
  kind: 'aegan',
  description:
    "GAN whose generator is an autoencoder's decoder behind a noise-to-code mapping, optionally pretrained on data",
  configSchema: AeGanConfig,
  build(config, context) {
    return new AeGanModel(config, context, buildNetworks(config, context));
  },
  restore(config, context, networks) {
    return new AeGanModel(config, context, {
      encoder: freezeCodeStandardization(networks.encoder),
      decoder: networks.decoder,
      mapping: networks.mapping,
      discriminator: networks.discriminator,
    });
  },
};
