// Config schema of the classifier: conv (convolution + pooling stages) or dense layers, the feature width the
// sample-quality metrics work in, dropout and augmentation.
import { z } from 'zod';
import { units } from '../limits.js';
import { Architecture } from '../shared/architecture.js';
import { Augmentation } from '../shared/augmentation.js';

export const ClassifierConfig = z.object({
  kind: z.literal('classifier'),
  architecture: Architecture.default('conv').describe(
    'conv (convolution + pooling stages) for images; dense (flatten + dense layers) for any sample shape',
  ),
  filters: z
    .array(units())
    .min(1)
    .default([32, 64])
    .describe('conv: channels of each 3x3 convolution + 2x2 max-pool stage, input side first'),
  hidden: z
    .array(units())
    .default([256])
    .describe('dense: hidden widths before the feature layer, input side first'),
  features: units()
    .default(128)
    .describe('Width of the penultimate (feature) layer: the space the sample-quality metrics work in'),
  convDropout: z
    .number()
    .min(0)
    .lt(1)
    .default(0)
    .describe('conv: dropout rate after each pooling stage at train time; 0 disables'),
  /** Dropout rate on the features at train time (seeded by the step); 0 disables. */
  dropout: z
    .number()
    .min(0)
    .lt(1)
    .default(0)
    .describe('Dropout rate on the features at train time; 0 disables'),
  /** Training-time augmentation, seeded by the step; off by default (and in configs saved before it existed). */
  augment: Augmentation.default({ shift: 0, rotation: 0, scale: 0 }).describe(
    'Random shifts, rotations and scaling of the training images; all 0 (the default) disables',
  ),
});
export type ClassifierConfig = z.infer<typeof ClassifierConfig>;
