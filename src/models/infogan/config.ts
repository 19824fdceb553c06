// Config schema of InfoGAN (Chen et al. 2016): a GAN whose generator also takes structured codes (categorical and
// continuous) and whose discriminator has a Q head that recovers them, trained on the mutual-information bound.
import { z } from 'zod';
import { units } from '../limits.js';
import { adversarialOptions, checkAdversarial } from '../shared/adversarial.js';
import { Architecture } from '../shared/architecture.js';
import { convGanOptions } from '../shared/gan-networks.js';

const widths = z.array(units());

export const InfoGanConfig = z
  .object({
    kind: z.literal('infogan'),
    architecture: Architecture.default('dense').describe(
      'dense (an MLP) works on any sample shape; conv (DCGAN: transposed convolutions, batch norm) on images only',
    ),
    /** 62, as the paper's MNIST model. */
    noiseSize: units().default(62).describe("Size of the generator's incompressible Gaussian noise"),
    categorical: z
      .array(z.number().int().min(2).max(1024))
      .default([10])
      .describe('Category counts of the categorical codes, one entry per code (default [10]; [] for none)'),
    continuous: z
      .number()
      .int()
      .min(0)
      .max(256)
      .default(2)
      .describe('Number of continuous codes, each uniform on [-1, 1]'),
    lambdaCategorical: z
      .number()
      .min(0)
      .default(1)
      .describe('Weight of the categorical codes in the mutual-information term (the paper: 1)'),
    /** The paper takes a smaller weight for continuous codes, whose term is a differential entropy. */
    lambdaContinuous: z
      .number()
      .min(0)
      .default(0.1)
      .describe('Weight of the continuous codes in the mutual-information term (the paper: below 1)'),
    continuousStd: z
      .enum(['fixed', 'learned'])
      .default('fixed')
      .describe(
        "Q's Gaussian over continuous codes: fixed std 1 (the bound is then a squared error) or a learned log-std",
      ),
    generatorHidden: widths
      .default([256, 256])
      .describe('dense: hidden widths of the generator, noise side first'),
    discriminatorHidden: widths
      .default([256, 256])
      .describe('dense: hidden widths of the discriminator and Q body, input side first'),
    ...convGanOptions,
    ...adversarialOptions,
    generatorLearningRate: z
      .number()
      .positive()
      .default(2e-4)
      .describe("Generator's Adam learning rate (replaces train.optimizer.learningRate)"),
    discriminatorLearningRate: z
      .number()
      .positive()
      .default(2e-4)
      .describe(
        'Adam learning rate of the discriminator and its Q head (replaces train.optimizer.learningRate)',
      ),
  })
  .superRefine(checkAdversarial)
  .superRefine((config, ctx) => {
    if (config.categorical.length === 0 && config.continuous === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['categorical'],
        message: 'an InfoGAN needs at least one code: a categorical one or continuous > 0 (else use gan)',
      });
    }
  });
export type InfoGanConfig = z.output<typeof InfoGanConfig>;
