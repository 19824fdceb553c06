// One word for the two network shapes every family offers, in configs, on the CLI and in the API: `dense`
// (fully connected layers; any sample shape) and `conv` (strided convolutions, and transposed ones to upsample;
// images only). Older configs said `mlp`/`dcgan` (GAN, VAE-GAN, hybrids' image discriminators) and `mlp`/`cnn`
// (classifier); src/models/legacy.ts reads those words in saved runs.
import { z } from 'zod';

export const Architecture = z.enum(['dense', 'conv']);
export type Architecture = z.infer<typeof Architecture>;
