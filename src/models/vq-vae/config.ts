// Config schema of the VQ-VAE (van den Oord et al. 2017): a stride-2 conv encoder onto a grid of code vectors,
// a codebook they are snapped to, a mirrored decoder, and a gated PixelCNN prior over the grid's code indices.
import { z } from 'zod';
import { units } from '../limits.js';
import { Activation, convBodyOptions, ReconstructionLoss } from '../shared/autoencoder-base.js';

export const VqVaeConfig = z.object({
  kind: z.literal('vq-vae'),
  ...convBodyOptions,
  activation: Activation.default('relu').describe('Activation of the hidden layers'),
  outputActivation: z
    .enum(['sigmoid', 'linear'])
    .default('sigmoid')
    .describe('Decoder output: sigmoid for data in [0, 1], linear for unbounded data'),
  loss: ReconstructionLoss.default('mse').describe(
    'Reconstruction loss: mse, or bce (binary cross-entropy; needs a sigmoid output, data in [0, 1])',
  ),
  /**
   * 64: on 28x28 images a 7x7 grid of 64 codes already reconstructs Fashion-MNIST well, every code stays in use,
   * and each position costs at most 6 bits, which is what the compression figure measures against.
   */
  codebookSize: z
    .number()
    .int()
    .min(2)
    .max(4096)
    .default(64)
    .describe('Vectors in the codebook: each grid position holds one of them (log2 of it bits at most)'),
  embeddingDim: units()
    .default(16)
    .describe('Length of each codebook vector (the channels of the code grid)'),
  commitment: z
    .number()
    .min(0)
    .default(0.25)
    .describe("Weight beta of the commitment loss that keeps the encoder's outputs near their codes"),
  restartDeadCodes: z
    .boolean()
    .default(true)
    .describe(
      "After each step, move every code the batch did not use onto one of the batch's encoder outputs",
    ),
  autoencoderEpochs: z
    .number()
    .int()
    .min(0)
    .default(10)
    .describe('Epochs of the first phase: encoder, codebook and decoder'),
  priorEpochs: z
    .number()
    .int()
    .min(0)
    .default(10)
    .describe(
      'Epochs of the second phase: the PixelCNN prior on the frozen codes (later epochs: more prior)',
    ),
  priorFilters: units().default(32).describe('Channels of the PixelCNN prior'),
  priorLayers: z
    .number()
    .int()
    .min(1)
    .max(32)
    .default(4)
    .describe('Gated masked-convolution blocks of the PixelCNN prior'),
  /** 3: four blocks then see 6 rows up and 5 columns to each side, about all of a 7x7 grid, at a third of 5's cost. */
  priorKernelSize: z
    .number()
    .int()
    .min(3)
    .max(15)
    .refine((k) => k % 2 === 1, 'expected an odd kernel size')
    .default(3)
    .describe("Side of the prior's masked convolutions (odd)"),
});
export type VqVaeConfig = z.output<typeof VqVaeConfig>;
