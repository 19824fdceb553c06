// Config schema of the `vaegan` kind. Every field has a default, so `{ kind: 'vaegan' }` is a complete config;
// the feature layer's default depends on the architecture and is filled in after parsing.
import { z } from 'zod';
import { units } from '../limits.js';
import { Architecture } from '../shared/architecture.js';
import { GanLoss } from '../shared/gan-losses.js';

const widths = z.array(units());

export const VaeGanConfig = z
  .object({
    kind: z.literal('vaegan'),
    architecture: Architecture.default('dense').describe(
      'dense works on any sample shape (the fast default); conv (stride-2 convolutions) on images only',
    ),
    latent: units().default(32).describe('Size of the latent code z; the prior is N(0, I)'),
    hidden: widths
      .default([512, 256])
      .describe('dense: encoder hidden widths, input side first; the decoder mirrors them'),
    /** Dense discriminator widths, input side first; one layer keeps the three-network step fast. */
    discriminatorHidden: widths
      .min(1)
      .default([256])
      .describe('dense: discriminator hidden widths, input side first'),
    filters: widths
      .min(1)
      .default([64, 128])
      .describe(
        "conv: channels of the encoder's and discriminator's stride-2 convolutions; the decoder mirrors them",
      ),
    kernelSize: z
      .number()
      .int()
      .positive()
      .default(4)
      .describe('conv: side of the square convolution kernels, in pixels'),
    outputActivation: z
      .enum(['auto', 'sigmoid', 'linear'])
      .default('auto')
      .describe('Decoder output: auto is sigmoid for images (data in [0, 1]) and linear otherwise'),
    adversarialLoss: GanLoss.default('non-saturating').describe(
      'GAN objective on real samples vs reconstructions and prior samples; minimax, non-saturating, lsgan or hinge',
    ),
    spectralNorm: z
      .boolean()
      .default(false)
      .describe(
        'Spectral normalisation (Miyato et al. 2018) of every discriminator layer, one power iteration per training pass',
      ),
    beta: z.number().min(0).default(1).describe("Weight of the KL term in the encoder's loss"),
    klWarmupEpochs: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe(
        'Epochs over which the KL weight ramps linearly from 0 (epoch 1) to beta; 0 disables warm-up',
      ),
    featureWeight: z
      .number()
      .min(0)
      .default(1)
      .describe(
        "gamma: weight of the feature-matching reconstruction error in the decoder's loss (encoder's is 1)",
      ),
    /**
     * Weight of the pixel reconstruction error ½·Σ(x - x̃)² in the encoder's and decoder's losses. Without it a
     * dense decoder leaves salt-and-pepper noise the discriminator does not see; 1 beat 0.3 and 3 by FD.
     */
    pixelWeight: z
      .number()
      .min(0)
      .default(1)
      .describe("Weight of the pixel reconstruction error in the encoder's and decoder's losses"),
    /** Weight of the adversarial term in the decoder's loss; 2 gave sharper samples than 1 (Fashion-MNIST FD). */
    adversarialWeight: z
      .number()
      .min(0)
      .default(2)
      .describe("Weight of the adversarial term in the decoder's loss"),
    featureLayer: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        'Discriminator hidden layer (1-based, input side first) that compares reconstructions; default the last',
      ),
    encoderLearningRate: z
      .number()
      .positive()
      .default(1e-3)
      .describe('Adam learning rate of the encoder (replaces train.optimizer.learningRate)'),
    decoderLearningRate: z
      .number()
      .positive()
      .default(1e-3)
      .describe('Adam learning rate of the decoder (replaces train.optimizer.learningRate)'),
    discriminatorLearningRate: z
      .number()
      .positive()
      .default(1e-3)
      .describe('Adam learning rate of the discriminator (replaces train.optimizer.learningRate)'),
  })
  .superRefine((config, ctx) => {
    if (config.adversarialLoss === 'wgan-gp') {
      ctx.addIssue({
        code: 'custom',
        path: ['adversarialLoss'],
        message:
          'vaegan does not implement the wgan-gp gradient penalty: pick minimax, non-saturating, lsgan or hinge',
      });
    }
    const layers = discriminatorLayers(config);
    if (config.featureLayer !== undefined && config.featureLayer > layers) {
      ctx.addIssue({
        code: 'custom',
        path: ['featureLayer'],
        message: `the ${config.architecture} discriminator has ${layers} hidden layers, so featureLayer must be 1 to ${layers}, got ${config.featureLayer}`,
      });
    }
  })
  .transform((config) => ({ ...config, featureLayer: config.featureLayer ?? discriminatorLayers(config) }));
export type VaeGanConfig = z.output<typeof VaeGanConfig>;

/** Hidden layers of the discriminator: its dense layers or its convolutions. */
function discriminatorLayers(config: {
  architecture: Architecture;
  discriminatorHidden: number[];
  filters: number[];
}): number {
  return config.architecture === 'conv' ? config.filters.length : config.discriminatorHidden.length;
}
