// Config schema of the AE-GAN (aegan): the autoencoder body, pretraining, the mapping network (noise to
// code) and the image discriminator with its game.
import { z } from 'zod';
import { units } from '../limits.js';
import { adversarialOptions, checkAdversarial } from '../shared/adversarial.js';
import { autoencoderBodyOptions, standardizeCodeOption } from '../shared/bodies.js';

const widths = z.array(units());

export const AeGanConfig = z
  .object({
    kind: z.literal('aegan'),
    ...autoencoderBodyOptions,
    ...standardizeCodeOption,
    /** Epochs of autoencoder pretraining before the adversarial phase; 0 trains adversarially from the start. */
    pretrainEpochs: z.number().int().min(0).default(5),
    /** Size of the mapping network's Gaussian noise. */
    noiseSize: units().default(64),
    /** Hidden widths of the mapping network (noise → code). */
    mappingHidden: widths.default([256]),
    /** Image discriminator: MLP widths or DCGAN channels. */
    discriminator: z.enum(['mlp', 'dcgan']).default('mlp'),
    discriminatorHidden: widths.default([512, 256]),
    discriminatorFilters: widths.min(1).default([64, 128]),
    ...adversarialOptions,
    generatorLearningRate: z.number().positive().default(2e-4),
    discriminatorLearningRate: z.number().positive().default(2e-4),
  })
  .superRefine(checkAdversarial);
export type AeGanConfig = z.output<typeof AeGanConfig>;
