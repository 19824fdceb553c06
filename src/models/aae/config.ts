// Config schema of the adversarial autoencoder (aae): the autoencoder body, the prior over codes, the code
// discriminator and its game, and the semi-supervised variant's options.
import { z } from 'zod';
import { units } from '../limits.js';
import { adversarialOptions, checkAdversarial } from '../shared/adversarial.js';
import { Augmentation } from '../shared/augmentation.js';
import { autoencoderBodyOptions } from '../shared/bodies.js';
import { codePriorOptions } from '../shared/code-priors.js';

export const AaeConfig = z
  .object({
    kind: z.literal('aae'),
    ...autoencoderBodyOptions,
    ...codePriorOptions,
    discriminatorHidden: z
      .array(units())
      .default([256, 256])
      .describe(
        'Hidden widths of the code discriminator (and of the class discriminator when semi-supervised)',
      ),
    ...adversarialOptions,
    discriminatorLearningRate: z
      .number()
      .positive()
      .default(2e-4)
      .describe('Adam learning rate of the discriminators'),
    generatorLearningRate: z
      .number()
      .positive()
      .default(2e-4)
      .describe("Adam learning rate of the encoder's adversarial (generator) update"),
    /**
     * Semi-supervised AAE: the encoder adds a categorical head over the classes, pushed toward one-hot draws by
     * a second discriminator and trained with cross-entropy on the labelled samples (labels of -1 are
     * unlabelled; see train.labelsPerClass). The code is [softmax(y), z].
     */
    semiSupervised: z
      .boolean()
      .default(false)
      .describe(
        'Semi-supervised AAE: a class head on the encoder, trained on labelled samples (train.labelsPerClass)',
      ),
    classWeight: z
      .number()
      .min(0)
      .default(1)
      .describe('Semi-supervised only: weight of the cross-entropy on labelled samples'),
    labelledBatchSize: z
      .number()
      .int()
      .positive()
      .default(64)
      .describe('Semi-supervised only: labelled samples per supervised update, drawn from those seen so far'),
    labelledAugment: Augmentation.default({ shift: 0, rotation: 0, scale: 0 }).describe(
      "Semi-supervised only: random shifts, rotations, scaling of labelled images (as classifier's augment)",
    ),
    labelledBufferSize: z
      .number()
      .int()
      .positive()
      .default(5000)
      .describe('Semi-supervised only: how many labelled samples the model keeps for its supervised updates'),
  })
  .superRefine(checkAdversarial);
export type AaeConfig = z.output<typeof AaeConfig>;
