// Config schema of the AE-GAN (aegan): the autoencoder body, pretraining, the mapping network (noise to
// code) and the image discriminator with its game.
import { z } from 'zod';
import { units } from '../limits.js';
import { adversarialOptions, checkAdversarial } from '../shared/adversarial.js';
import { Architecture } from '../shared/architecture.js';
import { autoencoderBodyOptions, standardizeCodeOption } from '../shared/bodies.js';

const widths = z.array(units());

export const AeGanConfig = z
  .object({
    kind: z.literal('aegan'),
    ...autoencoderBodyOptions,
    ...standardizeCodeOption,
    pretrainEpochs: z
      .number()
      .int()
      .min(0)
      .default(5)
      .describe(
        'Epochs of autoencoder-only pretraining before the adversarial phase; 0 starts adversarially',
      ),
    noiseSize: units().default(64).describe("Size of the mapping network's Gaussian noise"),
    mappingHidden: widths.default([256]).describe('Hidden widths of the mapping network (noise → code)'),
    discriminatorArchitecture: Architecture.default('dense').describe(
      'Image discriminator: dense (an MLP) or conv (stride-2 convolutions, images only)',
    ),
    discriminatorHidden: widths
      .default([512, 256])
      .describe('dense image discriminator: hidden widths, input side first'),
    discriminatorFilters: widths
      .min(1)
      .default([64, 128])
      .describe('conv image discriminator: channels of its stride-2 convolutions, input side first'),
    ...adversarialOptions,
    generatorLearningRate: z
      .number()
      .positive()
      .default(2e-4)
      .describe('Adam learning rate of the generator update (mapping network and decoder)'),
    discriminatorLearningRate: z
      .number()
      .positive()
      .default(2e-4)
      .describe('Adam learning rate of the image discriminator'),
  })
  .superRefine(checkAdversarial);
export type AeGanConfig = z.output<typeof AeGanConfig>;
