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
    /** Hidden widths of the code discriminator(s). */
    discriminatorHidden: z.array(units()).default([256, 256]),
    ...adversarialOptions,
    /** Adam learning rates of the discriminators and of the encoder's regularisation (generator) update. */
    discriminatorLearningRate: z.number().positive().default(2e-4),
    generatorLearningRate: z.number().positive().default(2e-4),
    /**
     * Semi-supervised AAE: the encoder adds a categorical head over the classes, pushed toward one-hot draws by
     * a second discriminator and trained with cross-entropy on the labelled samples (labels of -1 are
     * unlabelled; see train.labelsPerClass). The code is [softmax(y), z].
     */
    semiSupervised: z.boolean().default(false),
    /** Weight of the cross-entropy on labelled samples (semi-supervised). */
    classWeight: z.number().min(0).default(1),
    /** Labelled samples per supervised update, drawn from those seen so far (semi-supervised). */
    labelledBatchSize: z.number().int().positive().default(64),
    /** Shifts, rotations and scaling of the labelled images in supervised updates (as the classifier's `augment`). */
    labelledAugment: Augmentation.default({ shift: 0, rotation: 0, scale: 0 }),
    /** How many labelled samples the model keeps for its supervised updates (semi-supervised). */
    labelledBufferSize: z.number().int().positive().default(5000),
  })
  .superRefine(checkAdversarial);
export type AaeConfig = z.output<typeof AaeConfig>;
