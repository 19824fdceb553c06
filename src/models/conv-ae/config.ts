// Config schema of the convolutional autoencoder (conv-ae): stride-2 convolution channels, kernel size and
// the options every autoencoder shares.
import { z } from 'zod';
import { autoencoderOptions, convBodyOptions } from '../shared/autoencoder-base.js';

export const ConvAutoencoderConfig = z.object({
  kind: z.literal('conv-ae'),
  ...convBodyOptions,
  ...autoencoderOptions,
});
export type ConvAutoencoderConfig = z.infer<typeof ConvAutoencoderConfig>;
