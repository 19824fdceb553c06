// Config of the Wasserstein autoencoder with an MMD penalty (Tolstikhin et al. 2018).
import { z } from 'zod';
import { mmdOptions } from '../shared/mmd.js';
import { vaeVariantConfig } from '../vae/config.js';

export const WaeConfig = vaeVariantConfig('wae', {
  ...mmdOptions,
  mmdWeight: z
    .number()
    .min(0)
    .default(10)
    .describe(
      'λ: weight of MMD²(codes, prior draws) against the reconstruction in nats (Tolstikhin et al. use 10 on MNIST)',
    ),
});
export type WaeConfig = z.infer<typeof WaeConfig>;
