// Config schema of the latent GAN (latentgan): the autoencoder body, the phases (autoencoder, code GAN,
// fine-tuning), the code generator and discriminator, and the image discriminator of fine-tuning.
import { z } from 'zod';
import { units } from '../limits.js';
import { adversarialOptions, checkAdversarial } from '../shared/adversarial.js';
import { Architecture } from '../shared/architecture.js';
import { autoencoderBodyOptions, standardizeCodeOption } from '../shared/bodies.js';
import { GanLoss } from '../shared/gan-losses.js';

const widths = z.array(units());

export const LatentGanConfig = z
  .object({
    kind: z.literal('latentgan'),
    ...autoencoderBodyOptions,
    ...standardizeCodeOption,
    autoencoderEpochs: z
      .number()
      .int()
      .min(0)
      .default(10)
      .describe('Epochs of the first phase: the autoencoder alone'),
    ganEpochs: z
      .number()
      .int()
      .min(0)
      .default(10)
      .describe('Epochs of the second phase: the code GAN, with the autoencoder frozen'),
    finetune: z
      .boolean()
      .default(false)
      .describe(
        'After both phases: joint fine-tuning against an image discriminator (true) or more code-GAN epochs',
      ),
    noiseSize: units().default(64).describe("Size of the code generator's Gaussian noise"),
    generatorHidden: widths
      .default([256, 256])
      .describe('Hidden widths of the code generator (noise → code)'),
    discriminatorHidden: widths.default([256, 256]).describe('Hidden widths of the code discriminator'),
    imageDiscriminatorArchitecture: Architecture.default('dense').describe(
      'Fine-tuning: image discriminator, dense (an MLP) or conv (stride-2 convolutions, images only)',
    ),
    imageDiscriminatorHidden: widths
      .default([512, 256])
      .describe('Fine-tuning, dense image discriminator: hidden widths, input side first'),
    imageDiscriminatorFilters: widths
      .min(1)
      .default([64, 128])
      .describe('Fine-tuning, conv image discriminator: channels of its stride-2 convolutions'),
    ...adversarialOptions,
    /** WGAN-GP suits codes: no sigmoid to saturate, and its critic value tracks sample quality. */
    adversarialLoss: GanLoss.default('wgan-gp').describe(
      'GAN objective of the code GAN and of fine-tuning: minimax, non-saturating, lsgan, wgan-gp or hinge',
    ),
    generatorLearningRate: z
      .number()
      .positive()
      .default(1e-4)
      .describe('Adam learning rate of the code generator'),
    discriminatorLearningRate: z
      .number()
      .positive()
      .default(1e-4)
      .describe('Adam learning rate of the code discriminator'),
    finetuneLearningRate: z
      .number()
      .positive()
      .default(5e-5)
      .describe(
        'Fine-tuning: learning rate of the joint (decoder + code generator) and image-discriminator updates',
      ),
  })
  .superRefine(checkAdversarial);
export type LatentGanConfig = z.output<typeof LatentGanConfig>;
