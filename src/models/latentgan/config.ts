// Config schema of the latent GAN (latentgan): the autoencoder body, the phases (autoencoder, code GAN,
// fine-tuning), the code generator and discriminator, and the image discriminator of fine-tuning.
import { z } from 'zod';
import { units } from '../limits.js';
import { adversarialOptions, checkAdversarial } from '../shared/adversarial.js';
import { autoencoderBodyOptions, standardizeCodeOption } from '../shared/bodies.js';
import { GanLoss } from '../shared/gan-losses.js';

const widths = z.array(units());

export const LatentGanConfig = z
  .object({
    kind: z.literal('latentgan'),
    ...autoencoderBodyOptions,
    ...standardizeCodeOption,
    /** Epochs of the first phase: the autoencoder alone. */
    autoencoderEpochs: z.number().int().min(0).default(10),
    /** Epochs of the second phase: the code GAN, with the autoencoder frozen. */
    ganEpochs: z.number().int().min(0).default(10),
    /** After both phases: joint fine-tuning against an image discriminator (true) or more code-GAN epochs. */
    finetune: z.boolean().default(false),
    /** Size of the code generator's Gaussian noise. */
    noiseSize: units().default(64),
    /** Hidden widths of the code generator and of the code discriminator. */
    generatorHidden: widths.default([256, 256]),
    discriminatorHidden: widths.default([256, 256]),
    /** Image discriminator of the fine-tuning phase: MLP widths or DCGAN channels. */
    imageDiscriminator: z.enum(['mlp', 'dcgan']).default('mlp'),
    imageDiscriminatorHidden: widths.default([512, 256]),
    imageDiscriminatorFilters: widths.min(1).default([64, 128]),
    ...adversarialOptions,
    /** WGAN-GP suits codes: no sigmoid to saturate, and its critic value tracks sample quality. */
    adversarialLoss: GanLoss.default('wgan-gp'),
    generatorLearningRate: z.number().positive().default(1e-4),
    discriminatorLearningRate: z.number().positive().default(1e-4),
    /** Learning rate of the fine-tuning phase's joint (decoder + code generator) and image-discriminator updates. */
    finetuneLearningRate: z.number().positive().default(5e-5),
  })
  .superRefine(checkAdversarial);
export type LatentGanConfig = z.output<typeof LatentGanConfig>;
