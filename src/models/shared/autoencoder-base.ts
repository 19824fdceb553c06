// What all deterministic autoencoders share: reconstruction losses, denoising noise, the sparsity
// penalty on the code, and the encode/decode/step plumbing. A family file only builds its networks.
import { z } from 'zod';
import { type AudioFeatures, melBandWidths } from '../../data/audio/features.js';
import { meanSquaredError } from '../../engine/kernels/row-loss.js';
import { type Tensor, tf, tfl } from '../../engine/tf.js';
import { ConfigError } from '../../errors.js';
import {
  type Autoencoder,
  type Batch,
  type BuildContext,
  type LossRecord,
  type ModelFamily,
  type NetworkRole,
  SAMPLES_INPUT,
  samplesOutput,
} from '../family.js';
import { units } from '../limits.js';
import { stepSeed } from './seeds.js';
import { minimize, trainableVariables } from './step.js';

export const Activation = z
  .enum(['relu', 'leakyRelu', 'elu', 'selu', 'tanh', 'sigmoid', 'linear'])
  .describe('Activation function: relu, leakyRelu (slope 0.2), elu, selu, tanh, sigmoid or linear');
export type Activation = z.infer<typeof Activation>;

export const ReconstructionLoss = z
  .enum(['mse', 'bce'])
  .describe(
    'Reconstruction loss: mse (mean squared error) or bce (binary cross-entropy, for data in [0, 1])',
  );
export type ReconstructionLoss = z.infer<typeof ReconstructionLoss>;

export const InputNoise = z
  .object({
    type: z
      .enum(['none', 'gaussian', 'masking', 'salt-and-pepper', 'white'])
      .default('none')
      .describe(
        'Input corruption at train time: none, gaussian, masking (zeroing), salt-and-pepper, white (audio, at an SNR)',
      ),
    level: z
      .number()
      .min(-50)
      .max(100)
      .default(0.3)
      .describe(
        'Gaussian: standard deviation; masking and salt-and-pepper: share corrupted (0 to 1); white: SNR in dB',
      ),
  })
  .superRefine((noise, ctx) => {
    if (noise.type !== 'white' && (noise.level < 0 || noise.level > 10))
      ctx.addIssue({
        code: 'custom',
        path: ['level'],
        message: `expected a level from 0 to 10 for ${noise.type} noise (an SNR in dB is for white noise)`,
      });
  });
export type InputNoise = z.infer<typeof InputNoise>;

/** Options every autoencoder family accepts, spread into each family's schema. */
export const autoencoderOptions = {
  latent: units().default(32).describe('Size of the code (the bottleneck width)'),
  activation: Activation.default('relu').describe('Activation of the hidden layers'),
  outputActivation: z
    .enum(['sigmoid', 'linear'])
    .default('sigmoid')
    .describe(
      'Decoder output: sigmoid for data in [0, 1], linear for unbounded data (default on standard-scaled tables)',
    ),
  loss: ReconstructionLoss.default('mse').describe(
    'Reconstruction loss: mse, or bce (binary cross-entropy; needs a sigmoid output, data in [0, 1])',
  ),
  noise: InputNoise.default({ type: 'none', level: 0.3 }).describe(
    'Denoising: corrupt the inputs at train time only and reconstruct the clean ones; type none disables',
  ),
  sparsity: z
    .number()
    .min(0)
    .default(0)
    .describe('Sparse autoencoder: weight of the L1 penalty on the code (batch mean of sum |z|); 0 disables'),
};

/** The convolutional body's options of the conv autoencoders (conv-ae, conv-vae), spread into their schemas. */
export const convBodyOptions = {
  filters: z
    .array(units())
    .min(1)
    .default([32, 64])
    .describe('Channels of each stride-2 convolution, input side first; each halves height and width'),
  kernelSize: z
    .number()
    .int()
    .positive()
    .default(3)
    .describe('Side of the square convolution kernels, in pixels'),
};

export interface AutoencoderOptions {
  latent: number;
  outputActivation: 'sigmoid' | 'linear';
  loss: ReconstructionLoss;
  noise: InputNoise;
  sparsity: number;
}

/** tfjs-layers' name for an activation (leakyRelu is a layer there, not an activation string). */
export function activationLayer(activation: Activation, name: string): tfl.layers.Layer {
  if (activation === 'leakyRelu') return tfl.layers.leakyReLU({ alpha: 0.2, name });
  return tfl.layers.activation({ activation, name });
}

/**
 * Activations kept inside a Dense or Conv2D layer: tfjs-layers fuses relu, elu and linear into the layer's
 * kernel, and latentlab's engine also sigmoid in Dense (a layer applies any other itself, at no extra cost).
 */
export type InLayerActivation = 'relu' | 'elu' | 'linear' | 'sigmoid';
const FUSABLE: ReadonlySet<Activation> = new Set<InLayerActivation>(['relu', 'elu', 'linear', 'sigmoid']);

/**
 * A dense or conv2d layer followed by its activation: inside the layer when it can be fused there (saves
 * kernel launches and a tensor per layer and step), else as a separate layer.
 */
export function withActivation(
  make: (activation: InLayerActivation | undefined) => tfl.layers.Layer,
  activation: Activation,
  name: string,
): tfl.layers.Layer[] {
  if (FUSABLE.has(activation)) return [make(activation as InLayerActivation)];
  return [make(undefined), activationLayer(activation, name)];
}

/**
 * Shapes of a stack of stride-2 stages over image samples: checks the samples are images whose sides halve
 * cleanly `filters.length` times, and gives the innermost feature-map shape [h, w, channels].
 */
export function strideTwoGeometry(kind: string, filters: readonly number[], sampleShape: readonly number[]) {
  if (sampleShape.length !== 3) {
    throw new ConfigError(
      `${kind} needs image samples [height, width, channels], got shape [${sampleShape}]`,
      {
        path: 'model.kind',
      },
    );
  }
  const [height, width, channels] = sampleShape;
  const factor = 2 ** filters.length;
  if (height % factor !== 0 || width % factor !== 0) {
    throw new ConfigError(
      `${filters.length} stride-2 stages need height and width divisible by ${factor}, got ${height}x${width}`,
      { path: 'model.filters' },
    );
  }
  return { channels, innerShape: [height / factor, width / factor, filters[filters.length - 1]] };
}

/** Seeded Glorot-uniform initialiser: the i-th layer of a model gets seed + i. */
export function seededInit(context: BuildContext, index: number) {
  return tfl.initializers.glorotUniform({ seed: context.seed * 1009 + index });
}

/** Mean over all entries of the per-entry reconstruction loss. `recon` is the decoder's output. */
export function reconstructionLoss(kind: ReconstructionLoss, target: Tensor, recon: Tensor): tf.Scalar {
  return tf.tidy(() => {
    if (kind === 'mse') return meanSquaredError(target, recon);
    // Clipped so log never sees 0; the sigmoid output can saturate in float32.
    const p = tf.clipByValue(recon, 1e-7, 1 - 1e-7);
    const perEntry = tf.add(tf.mul(target, tf.log(p)), tf.mul(tf.sub(1, target), tf.log(tf.sub(1, p))));
    return tf.neg(tf.mean(perEntry)) as tf.Scalar;
  });
}

/**
 * White noise at `snrDb` added to each clip of a batch, in the form the model sees it: to the waveform [n, L, 1]
 * with the clip's own power, or to log-mel images [n, mels, frames, 1] in the power domain. For a spectrogram, the
 * noise power in band m is proportional to its filter's summed weight W_m (white noise has a flat spectrum),
 * scaled so that the clip's total band power over the noise's is the SNR (for the half-overlapping HTK filters,
 * whose weights sum to 1 over the covered bins, that is the waveform's SNR), and each cell fluctuates as a sum of
 * W_m exponential bin powers would (their Gamma approximated by a log-normal of the same mean and variance); the cross term between speech and noise averages out and is left out.
 */
function whiteNoise(x: Tensor, snrDb: number, audio: AudioFeatures, seed: number): Tensor {
  const ratio = 10 ** (-snrDb / 10);
  if (audio.representation === 'waveform') {
    const power = tf.mean(tf.square(x), [1, 2], true);
    return tf.add(x, tf.mul(tf.sqrt(tf.mul(power, ratio)), tf.randomNormal(x.shape, 0, 1, 'float32', seed)));
  }
  const { minDb, maxDb, mels } = audio;
  // Rows are bands from the highest (row 0) down, as the image draws them.
  const width = tf.tensor(melBandWidths(audio).reverse(), [1, mels, 1, 1]);
  const ln10 = Math.log(10);
  const power = tf.exp(tf.mul(tf.add(minDb, tf.mul(tf.clipByValue(x, 0, 1), maxDb - minDb)), ln10 / 10));
  const scale = tf.div(
    tf.mul(tf.sum(power, [1, 2, 3], true), ratio),
    tf.mul(tf.sum(width), x.shape[2] as number),
  );
  // Log-normal with mean 1 and variance 1/W_m: always positive, and its mean in dB falls below the mean power's
  // as a real spectrogram's does (by about 2.4 dB for a band half a bin wide, 0.5 dB at four bins).
  const s = tf.sqrt(tf.log1p(tf.div(1, tf.maximum(width, 0.05))));
  const spread = tf.exp(
    tf.sub(tf.mul(tf.randomNormal(x.shape, 0, 1, 'float32', seed), s), tf.mul(0.5, tf.square(s))),
  );
  const noise = tf.mul(tf.mul(scale, width), spread);
  const db = tf.mul(tf.log(tf.maximum(tf.add(power, noise), 1e-30)), 10 / ln10);
  return tf.clipByValue(tf.div(tf.sub(db, minDb), maxDb - minDb), 0, 1);
}

/** Corrupt a batch for denoising training; seeded by the global step so runs reproduce. */
export function corrupt(x: Tensor, noise: InputNoise, seed: number, audio?: AudioFeatures): Tensor {
  return tf.tidy(() => {
    switch (noise.type) {
      case 'none':
        return x.clone();
      case 'white':
        if (!audio)
          throw new ConfigError(
            'white noise (at an SNR in dB) is for audio data: use gaussian:0.3 or masking:0.5',
            {
              path: 'model.noise',
            },
          );
        return whiteNoise(x, noise.level, audio, seed);
      case 'gaussian':
        return tf.add(x, tf.randomNormal(x.shape, 0, noise.level, 'float32', seed));
      case 'masking': {
        const keep = tf.greaterEqual(tf.randomUniform(x.shape, 0, 1, 'float32', seed), noise.level);
        return tf.mul(x, tf.cast(keep, 'float32'));
      }
      case 'salt-and-pepper': {
        const u = tf.randomUniform(x.shape, 0, 1, 'float32', seed);
        const salt = tf.less(u, noise.level / 2);
        const pepper = tf.logicalAnd(tf.greaterEqual(u, noise.level / 2), tf.less(u, noise.level));
        return tf.where(salt, tf.onesLike(x), tf.where(pepper, tf.zerosLike(x), x));
      }
    }
  });
}

/** A model of an encoder and a decoder network: encode, decode and reconstruct in inference mode. */
export abstract class EncoderDecoder {
  abstract readonly networks: { encoder: tfl.LayersModel; decoder: tfl.LayersModel };

  encode(x: Tensor): Tensor {
    return this.networks.encoder.apply(x, { training: false }) as Tensor;
  }

  decode(code: Tensor): Tensor {
    return this.networks.decoder.apply(code, { training: false }) as Tensor;
  }

  reconstruct(x: Tensor): Tensor {
    return tf.tidy(() => this.decode(this.encode(x)));
  }
}

/** An autoencoder made of an encoder and a decoder network; families differ only in how those are built. */
export class AutoencoderModel<C extends AutoencoderOptions & { kind: string }>
  extends EncoderDecoder
  implements Autoencoder<C>
{
  readonly kind: string;
  readonly optimizerNames = ['autoencoder'] as const;
  readonly networks: { encoder: tfl.LayersModel; decoder: tfl.LayersModel };

  constructor(
    readonly config: C,
    readonly context: BuildContext,
    encoder: tfl.LayersModel,
    decoder: tfl.LayersModel,
    private readonly seed: number = context.seed,
  ) {
    super();
    this.kind = config.kind;
    this.networks = { encoder, decoder };
  }

  get latentSize(): number {
    return this.config.latent;
  }

  networkRoles(): Record<string, NetworkRole> {
    return {
      encoder: {
        summary: 'maps samples to codes',
        inputs: [SAMPLES_INPUT],
        outputs: ['the code [n, latent]'],
      },
      decoder: {
        summary: 'maps codes back to samples',
        inputs: ['a code [n, latent]'],
        outputs: [samplesOutput('reconstructions', this.config.outputActivation)],
      },
    };
  }

  /** Losses for a batch; `input` may be a corrupted copy of `batch.x` (denoising). */
  private losses(batch: Batch, input: Tensor, training: boolean): LossRecord {
    const z = this.networks.encoder.apply(input, { training }) as Tensor;
    const recon = this.networks.decoder.apply(z, { training }) as Tensor;
    const reconstruction = reconstructionLoss(this.config.loss, batch.x, recon);
    const mse = this.config.loss === 'mse' ? reconstruction : meanSquaredError(batch.x, recon);
    if (this.config.sparsity > 0) {
      const sparsity = tf.mean(tf.sum(tf.abs(z), -1));
      const loss = tf.add(reconstruction, tf.mul(this.config.sparsity, sparsity)) as tf.Scalar;
      return { loss, reconstruction, mse: mse as tf.Scalar, sparsity: sparsity as tf.Scalar };
    }
    return { loss: reconstruction, mse: mse as tf.Scalar };
  }

  trainStep(batch: Batch, optimizers: Record<string, tf.Optimizer>): LossRecord {
    return minimize(
      optimizers.autoencoder,
      this.trainableVariables(),
      () =>
        this.losses(
          batch,
          corrupt(batch.x, this.config.noise, stepSeed(this.seed, batch.step), this.context.audio),
          true,
        ),
      'loss',
    );
  }

  evaluate(batch: Batch): LossRecord {
    return tf.tidy(() => this.losses(batch, batch.x, false));
  }

  preview(x: Tensor) {
    if (this.context.sampleShape.length !== 3) return undefined;
    return tf.tidy(() => {
      const recon = this.reconstruct(x);
      return { images: tf.concat([x, recon], 0), rows: 2, cols: x.shape[0] };
    });
  }

  trainableVariables(): tf.Variable[] {
    return trainableVariables(this.networks.encoder, this.networks.decoder);
  }

  dispose(): void {
    this.networks.encoder.dispose();
    this.networks.decoder.dispose();
  }
}

/**
 * The family object of a plain autoencoder (dense-ae, conv-ae, attention-ae): its networks from `buildNetworks`,
 * trained and used by AutoencoderModel; only the networks differ between these families.
 */
export function autoencoderFamily<S extends z.ZodType<AutoencoderOptions & { kind: string }>>(family: {
  kind: string;
  description: string;
  configSchema: S;
  needsImages?: boolean;
  buildNetworks: (
    config: z.output<S>,
    context: BuildContext,
  ) => { encoder: tfl.LayersModel; decoder: tfl.LayersModel };
}): ModelFamily<S> {
  const { buildNetworks, ...described } = family;
  return {
    ...described,
    build(config, context) {
      const { encoder, decoder } = buildNetworks(config, context);
      return new AutoencoderModel(config, context, encoder, decoder);
    },
    restore(config, context, networks) {
      return new AutoencoderModel(config, context, networks.encoder, networks.decoder);
    },
  };
}
