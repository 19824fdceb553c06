// Config schema of the convolutional autoencoder (conv-ae): stride-2 convolution channels, kernel size and
// the options every autoencoder shares.
import { z } from 'zod';
import { units } from '../limits.js';
import { autoencoderOptions } from '../shared/autoencoder-base.js';

export const ConvAutoencoderConfig = z.object({
  kind: z.literal('conv-ae'),
  filters: z
    .array(units())
    .min(1)
    .default([32, 64])
    .describe('Channels of each stride-2 convolution, input side first; each halves height and width'),
  kernelSize: z
    .number()
    .int()
    .positive()
    .default(3)
    .describe('Side of the square convolution kernels, in pixels'),
  ...autoencoderOptions,
});
export type ConvAutoencoderConfig = z.infer<typeof ConvAutoencoderConfig>;
