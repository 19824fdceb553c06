// Config schema of the waveform autoencoder (wave-ae): strided 1-D convolutions over raw audio [samples, 1] in
// [-1, 1], a dense code, and a multi-resolution spectral loss beside the waveform MSE (spectralWeight 0 turns it off).
import { z } from 'zod';
import { units } from '../limits.js';
import { Activation, InputNoise } from '../shared/autoencoder-base.js';

/** FFT sizes of the spectral loss: powers of two, a window long enough to resolve speech's harmonics. */
const FftSize = z
  .number()
  .int()
  .min(16)
  .max(4096)
  .refine((n) => (n & (n - 1)) === 0, 'expected a power of two')
  .describe('FFT size of one resolution, in samples (a power of two; the hop is a quarter of it)');

export const WaveAutoencoderConfig = z.object({
  kind: z.literal('wave-ae'),
  filters: z
    .array(units())
    .min(1)
    .default([16, 32, 64, 64])
    .describe(
      'Channels of each strided 1-D convolution, input side first; each divides the length by stride',
    ),
  kernelSize: z
    .number()
    .int()
    .positive()
    .max(1024)
    .default(9)
    .describe(
      'Length of the 1-D convolution kernels, in samples (about twice the stride, so windows overlap)',
    ),
  stride: z
    .number()
    .int()
    .min(2)
    .max(16)
    .default(4)
    .describe(
      'Downsampling of each convolution (the decoder upsamples by it); samples must divide by its power',
    ),
  latent: units().default(64).describe('Size of the code (the bottleneck width)'),
  activation: Activation.default('leakyRelu').describe('Activation of the hidden layers'),
  noise: InputNoise.default({ type: 'none', level: 0.3 }).describe(
    'Denoising: corrupt the waveforms at train time only and reconstruct the clean ones; type none disables',
  ),
  // Waveform MSE alone leaves speech at silence (its phase is beyond a small code); the spectra are not.
  spectralWeight: z
    .number()
    .min(0)
    .default(0.05)
    .describe(
      'Weight of the multi-resolution log-power STFT loss (L1) added to the waveform MSE; 0 disables',
    ),
  spectralFfts: z
    .array(FftSize)
    .min(1)
    .default([128, 256, 512])
    .describe('FFT sizes of the spectral loss, one resolution each (each at most the clip length)'),
});
export type WaveAutoencoderConfig = z.infer<typeof WaveAutoencoderConfig>;
