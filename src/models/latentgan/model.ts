// Latent GAN, two-stage (as in Achlioptas et al. 2018's l-GAN): an autoencoder trains first; then a GAN learns
// to generate codes in its latent space (real codes: the encoder's), and samples are decoded. An optional third
// phase fine-tunes the decoder and the code generator together against an image discriminator, alternating
// with reconstruction steps. Phases follow the epochs: autoencoderEpochs, ganEpochs, then fine-tuning or more GAN.
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
import { buildDiscriminator, buildGenerator } from '../shared/gan-networks.js';
import { HybridModel, phaseAt } from '../shared/hybrid-model.js';
import { lossRecord, requireOptimizers, trainableVariables } from '../shared/step.js';
import { LatentGanConfig } from './config.js';

type LatentGanNetworks = {
  encoder: tfl.LayersModel;
  decoder: tfl.LayersModel;
  generator: tfl.LayersModel;
  discriminator: tfl.LayersModel;
  imageDiscriminator?: tfl.LayersModel;
};

export type LatentGanPhase = 'autoencoder' | 'gan' | 'finetune';

/**
 * LossRecord of a step, by phase: autoencoder — `reconstruction`, `mse`; gan — `discriminator`, `generator`
 * (and `wasserstein` for wgan-gp) on codes; finetune — `reconstruction`, `imageDiscriminator`, `generator`.
 * `loss` is the reconstruction loss in the autoencoder and fine-tuning phases and the code GAN's Wasserstein
 * estimate (or generator loss) in between.
 */
export class LatentGanModel
  extends HybridModel<LatentGanConfig, LatentGanNetworks>
  implements Autoencoder<LatentGanConfig>, GenerativeModel<LatentGanConfig>
{
  readonly kind = 'latentgan';
  readonly optimizerNames: readonly string[];

  constructor(config: LatentGanConfig, context: BuildContext, networks: LatentGanNetworks) {
    super(config, context, networks);
    this.optimizerNames = config.finetune
      ? ['autoencoder', 'generator', 'discriminator', 'joint', 'imageDiscriminator']
      : ['autoencoder', 'generator', 'discriminator'];
  }

  get optimizerSettings() {
    return {
      generator: adversarialAdam(this.config.generatorLearningRate),
      discriminator: adversarialAdam(this.config.discriminatorLearningRate),
      joint: adversarialAdam(this.config.finetuneLearningRate),
      imageDiscriminator: adversarialAdam(this.config.finetuneLearningRate),
    };
  }

  phaseAt(epoch: number | undefined): LatentGanPhase {
    return phaseAt(
      epoch,
      [
        { phase: 'autoencoder', epochs: this.config.autoencoderEpochs },
        { phase: 'gan', epochs: this.config.ganEpochs },
      ],
      this.config.finetune ? 'finetune' : 'gan',
    );
  }

  /** The prior is the generator's noise: N(0, I) of size noiseSize. */
  samplePrior(n: number, seed: number): Tensor {
    return tf.randomNormal([n, this.config.noiseSize], 0, 1, 'float32', seed);
  }

  /** Generated codes [n, latent] from noise. */
  generateCodes(noise: Tensor): Tensor {
    return this.networks.generator.apply(noise, { training: false }) as Tensor;
  }

  /** Samples: noise → code generator → decoder. */
  generate(noise: Tensor): Tensor {
    return tf.tidy(() => this.decode(this.generateCodes(noise)));
  }

  override networkRoles(): Record<string, NetworkRole> {
    const { latent, noiseSize, adversarialLoss } = this.config;
    const code = `a code [n, ${latent}]${this.config.standardizeCode ? ' (in the standardised code space)' : ''}`;
    return {
      ...super.networkRoles(),
      generator: {
        summary: "the code GAN's generator: maps noise to codes; the decoder turns them into samples",
        inputs: [`noise z ~ N(0, I) [n, ${noiseSize}]`],
        outputs: [code],
      },
      discriminator: this.adversaryRole(
        'scores codes: encoded samples as real, generated codes as fake',
        code,
        adversarialLoss,
      ),
      ...(this.networks.imageDiscriminator
        ? {
            imageDiscriminator: this.adversaryRole(
              'fine-tuning: scores samples as real or generated',
              'samples [n, ...sampleShape]',
              adversarialLoss,
            ),
          }
        : {}),
    };
  }

  trainStep(batch: Batch, optimizers: Record<string, tf.Optimizer>): LossRecord {
    requireOptimizers(optimizers, this.optimizerNames, 'latentgan');
    const phase = this.phaseAt(batch.epoch);
    if (phase === 'autoencoder')
      return lossRecord(this.reconstructionStep(batch.x, optimizers.autoencoder), 'reconstruction');
    const { generator, decoder, discriminator, imageDiscriminator } = this.networks;
    if (phase === 'gan') {
      const codes = tf.tidy(() => this.encode(batch.x));
      try {
        const parts = adversarialRound({
          discriminator,
          real: codes,
          fake: (noise) => generator.apply(noise, { training: true }) as Tensor,
          noise: (n, seed) => this.samplePrior(n, seed),
          optimizers: { discriminator: optimizers.discriminator, generator: optimizers.generator },
          variables: trainableVariables(generator),
          settings: this.config,
          seed: (slot) => this.seedFor(batch.step, slot),
        });
        return lossRecord(parts, parts.wasserstein ? 'wasserstein' : 'generator');
      } finally {
        codes.dispose();
      }
    }
    // Fine-tuning: a reconstruction step keeps the decoder faithful to the codes; then the image discriminator
    // and a joint update of decoder and code generator against it.
    const reconstruction = this.reconstructionStep(batch.x, optimizers.autoencoder);
    try {
      const parts = adversarialRound({
        discriminator: imageDiscriminator!,
        real: batch.x,
        fake: (noise) =>
          decoder.apply(generator.apply(noise, { training: true }) as Tensor, { training: true }) as Tensor,
        noise: (n, seed) => this.samplePrior(n, seed),
        optimizers: { discriminator: optimizers.imageDiscriminator, generator: optimizers.joint },
        variables: trainableVariables(generator, decoder),
        settings: this.config,
        seed: (slot) => this.seedFor(batch.step, slot),
        discriminatorName: 'imageDiscriminator',
      });
      return lossRecord({ ...reconstruction, ...parts }, 'reconstruction');
    } catch (error) {
      tf.dispose(Object.values(reconstruction));
      throw error;
    }
  }

  evaluate(batch: Batch): LossRecord {
    return tf.tidy(() => {
      const codes = this.encode(batch.x);
      const recon = this.decode(codes);
      const noise = this.samplePrior(batch.x.shape[0], this.evaluationSeed(batch.step));
      const fake = this.generateCodes(noise);
      const d = discriminatorObjective(
        this.networks.discriminator,
        codes,
        fake,
        this.config,
        this.seedFor(batch.step, 1),
      );
      return lossRecord(
        {
          ...reconstructionParts(this.config, batch.x, recon),
          ...d,
          generator: adversarialLossOf(this.networks.discriminator, fake, this.config.adversarialLoss),
        },
        'reconstruction',
      );
    });
  }
}

function buildNetworks(config: LatentGanConfig, context: BuildContext): LatentGanNetworks {
  const spec = codeNetworkSpec(config.noiseSize, config.generatorHidden, config.discriminatorHidden);
  const codes = { ...context, sampleShape: [config.latent] };
  return {
    encoder: buildEncoder(config, context, undefined, { standardizeCode: config.standardizeCode }),
    decoder: buildDecoder(config, context),
    generator: buildGenerator(spec, { ...codes, seed: codes.seed + 1 }),
    discriminator: buildDiscriminator(
      { ...spec, spectralNorm: config.spectralNorm },
      { ...codes, seed: codes.seed + 1 },
    ),
    ...(config.finetune
      ? {
          imageDiscriminator: buildImageDiscriminator(
            config.imageDiscriminatorArchitecture,
            config.imageDiscriminatorHidden,
            config.imageDiscriminatorFilters,
            context,
            2,
            config.spectralNorm,
          ),
        }
      : {}),
  };
}

export const latentGanFamily: ModelFamily<typeof LatentGanConfig> = {
  kind: 'latentgan',
  description:
    'two-stage latent GAN: an autoencoder, then a GAN on its codes (samples decoded); optional joint fine-tuning',
  configSchema: LatentGanConfig,
  build(config, context) {
    return new LatentGanModel(config, context, buildNetworks(config, context));
  },
  restore(config, context, networks) {
    return new LatentGanModel(config, context, {
      encoder: freezeCodeStandardization(networks.encoder),
      decoder: networks.decoder,
      generator: networks.generator,
      discriminator: networks.discriminator,
      imageDiscriminator: networks.imageDiscriminator,
    });
  },
};
