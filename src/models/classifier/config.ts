// Config schema of the classifier: conv (convolution + pooling stages) or dense layers, the feature width the
// sample-quality metrics work in, dropout and augmentation.
import { z } from 'zod';
import { units } from '../limits.js';
import { Architecture } from '../shared/architecture.js';
import { Augmentation } from '../shared/augmentation.js';

export const ClassifierConfig = z.object({
  kind: z.literal('classifier'),
  /** conv (convolution and pooling stages) for images; dense (flatten + dense stack) for tables or any sample shape. */
  architecture: Architecture.default('conv'),
  /** conv: filters of each 3x3 conv + 2x2 max-pool stage. */
  filters: z.array(units()).min(1).default([32, 64]),
  /** dense: hidden widths before the feature layer. */
  hidden: z.array(units()).default([256]),
  /** Width of the penultimate layer, named `features`: the space the sample-quality metrics work in. */
  features: units().default(128),
  /** conv: dropout rate after each pooling stage at train time; 0 disables. */
  convDropout: z.number().min(0).lt(1).default(0),
  /** Dropout rate on the features at train time (seeded by the step); 0 disables. */
  dropout: z.number().min(0).lt(1).default(0),
  /** Training-time augmentation, seeded by the step; off by default (and in configs saved before it existed). */
  augment: Augmentation.default({ shift: 0, rotation: 0, scale: 0 }),
});
export type ClassifierConfig = z.infer<typeof ClassifierConfig>;
