// Priors over codes (Gaussian, mixture, uniform): the options a schema spreads in and seeded draws. The aae
// pushes its codes toward one; eval's code-prior checks read the same draws.
import { z } from 'zod';
import { type Tensor, tf } from '../../engine/tf.js';

export const CodePrior = z.enum(['gaussian', 'mixture', 'uniform']);
export type CodePrior = z.infer<typeof CodePrior>;

/** Options of a prior over codes, spread into a schema. */
export const codePriorOptions = {
  /**
   * gaussian: N(0, I). mixture: `mixtureComponents` Gaussians of std `mixtureStd` whose means lie on a circle
   * of radius `mixtureRadius` in the first two dimensions (Makhzani et al.'s 2-D mixture, extended to more
   * dimensions by the same spread in the others). uniform: U(-1, 1) in every dimension.
   */
  prior: CodePrior.default('gaussian').describe(
    'Prior over codes: gaussian N(0, I), mixture (Gaussians with means on a circle) or uniform U(-1, 1)',
  ),
  mixtureComponents: z
    .number()
    .int()
    .min(2)
    .default(10)
    .describe('Mixture prior only: number of Gaussian components'),
  mixtureRadius: z
    .number()
    .positive()
    .default(4)
    .describe('Mixture prior only: radius of the circle the component means lie on (first two dimensions)'),
  mixtureStd: z
    .number()
    .positive()
    .default(0.5)
    .describe('Mixture prior only: standard deviation of each component'),
};

export interface CodePriorSpec {
  prior: CodePrior;
  mixtureComponents: number;
  mixtureRadius: number;
  mixtureStd: number;
}

/** Means of the mixture prior's components: [components, latent]. */
export function mixtureMeans(spec: CodePriorSpec, latent: number): Float32Array {
  const k = spec.mixtureComponents;
  const means = new Float32Array(k * latent);
  for (let c = 0; c < k; c++) {
    if (latent === 1) {
      means[c] = spec.mixtureRadius * ((2 * c) / (k - 1) - 1);
    } else {
      const angle = (2 * Math.PI * c) / k;
      means[c * latent] = spec.mixtureRadius * Math.cos(angle);
      means[c * latent + 1] = spec.mixtureRadius * Math.sin(angle);
    }
  }
  return means;
}

/** Seeded draws from a prior over codes: [n, latent]. */
export function samplePriorCodes(spec: CodePriorSpec, n: number, latent: number, seed: number): Tensor {
  return tf.tidy(() => {
    switch (spec.prior) {
      case 'gaussian':
        return tf.randomNormal([n, latent], 0, 1, 'float32', seed);
      case 'uniform':
        return tf.randomUniform([n, latent], -1, 1, 'float32', seed);
      case 'mixture': {
        const k = spec.mixtureComponents;
        const component = tf.cast(
          tf.floor(tf.mul(tf.randomUniform([n], 0, 1, 'float32', seed), k - 1e-4)),
          'int32',
        );
        const means = tf.gather(tf.tensor2d(mixtureMeans(spec, latent), [k, latent]), component);
        return tf.add(means, tf.randomNormal([n, latent], 0, spec.mixtureStd, 'float32', seed + 1));
      }
    }
  });
}
