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
    /** `dense` works on any sample shape and is the fast default; `conv` (stride-2 convolutions) on images only. */
    architecture: Architecture.default('dense'),
    /** Size of the latent code z; the prior is N(0, I). */
    latent: units().default(32),
    /** Dense encoder widths, input side first; the decoder mirrors them. */
    hidden: widths.default([512, 256]),
    /** Dense discriminator widths, input side first; one layer keeps the three-network step fast. */
    discriminatorHidden: widths.min(1).default([256]),
    /** Conv channels of the encoder's and the discriminator's stride-2 convolutions; the decoder mirrors them. */
    filters: widths.min(1).default([64, 128]),
    kernelSize: z.number().int().positive().default(4),
    /** Decoder output: `auto` is sigmoid for images (data in [0, 1]) and linear otherwise. */
    outputActivation: z.enum(['auto', 'sigmoid', 'linear']).default('auto'),
    /** Adversarial objective on real samples against reconstructions and prior samples. */
    adversarialLoss: GanLoss.default('non-saturating'),
    /** Weight of the KL term in the encoder's loss. */
    beta: z.number().min(0).default(1),
    /** The KL weight ramps linearly from 0 (epoch 1) to beta over this many epochs; 0 disables warm-up. */
    klWarmupEpochs: z.number().int().min(0).default(0),
    /** gamma: weight of the feature-matching reconstruction error in the decoder's loss (the encoder's is 1). */
    featureWeight: z.number().min(0).default(1),
    /**
     * Weight of the pixel reconstruction error ½·Σ(x - x̃)² in the encoder's and decoder's losses. Without it a
     * dense decoder leaves salt-and-pepper noise the discriminator does not see; 1 beat 0.3 and 3 by FD.
     */
    pixelWeight: z.number().min(0).default(1),
    /** Weight of the adversarial term in the decoder's loss; 2 gave sharper samples than 1 (Fashion-MNIST FD). */
    adversarialWeight: z.number().min(0).default(2),
    /** Which hidden layer of the discriminator (1-based, input side first) measures reconstructions; default the last. */
    featureLayer: z.number().int().positive().optional(),
    /** Adam learning rates of the three networks; they replace train.optimizer.learningRate. */
    encoderLearningRate: z.number().positive().default(1e-3),
    decoderLearningRate: z.number().positive().default(1e-3),
    discriminatorLearningRate: z.number().positive().default(1e-3),
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
