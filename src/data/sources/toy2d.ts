// 2-D toy distributions for GANs (`--data toy:ring8`): the Gaussian mixtures of the mode-collapse literature,
// plus two moons and a spiral. Seeded, so the same spec always gives the same points.
import { UsageError } from '../../errors.js';
import type { RawData } from '../dataset.js';
import { createRng } from '../random.js';

export const TOY_NAMES = ['ring8', 'grid25', 'moons', 'spiral'] as const;
export type ToyName = (typeof TOY_NAMES)[number];

/** Training samples when the spec gives no size; a test part of a fifth of that is drawn beside it. */
export const TOY_DEFAULT_SIZE = 10_000;

/**
 * The Gaussian mixtures, as in Metz et al. 2017 (unrolled GANs), VEEGAN and PacGAN: ring8 has 8 modes evenly
 * on a circle of radius 2, grid25 has 25 modes at {-4, -2, 0, 2, 4}², both with equal weights and an
 * isotropic std of 0.02 (ring) and 0.05 (grid).
 */
export const TOY_MIXTURES = {
  ring8: {
    std: 0.02,
    means: Array.from({ length: 8 }, (_, k) => {
      const angle = (2 * Math.PI * k) / 8;
      return [2 * Math.cos(angle), 2 * Math.sin(angle)] as [number, number];
    }),
  },
  grid25: {
    std: 0.05,
    means: Array.from(
      { length: 25 },
      (_, k) => [2 * (Math.floor(k / 5) - 2), 2 * ((k % 5) - 2)] as [number, number],
    ),
  },
} as const satisfies Record<string, { std: number; means: [number, number][] }>;

export type ToyMixtureName = keyof typeof TOY_MIXTURES;

export function isToyMixture(name: string): name is ToyMixtureName {
  return name in TOY_MIXTURES;
}

/** Noise std of the two moons (scikit-learn coordinates) and of the spiral. */
const MOONS_NOISE = 0.05;
const SPIRAL_NOISE = 0.05;

/** `n` points [n * 2] and labels (mode, moon or none) from a toy distribution. */
export function sampleToy(name: ToyName, n: number, seed: number): { x: Float32Array; labels?: Int32Array } {
  const rng = createRng(seed);
  // Box-Muller; the second value is dropped so every draw takes exactly two uniforms.
  const normal = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const x = new Float32Array(n * 2);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let px: number;
    let py: number;
    switch (name) {
      case 'ring8':
      case 'grid25': {
        const { means, std } = TOY_MIXTURES[name];
        const k = Math.min(means.length - 1, Math.floor(rng() * means.length));
        px = means[k][0] + std * normal();
        py = means[k][1] + std * normal();
        labels[i] = k;
        break;
      }
      case 'moons': {
        // scikit-learn's make_moons: the upper moon around (0, 0), the lower one around (1, 0.5).
        const moon = rng() < 0.5 ? 0 : 1;
        const t = Math.PI * rng();
        px = moon === 0 ? Math.cos(t) : 1 - Math.cos(t);
        py = moon === 0 ? Math.sin(t) : 0.5 - Math.sin(t);
        px += MOONS_NOISE * normal();
        py += MOONS_NOISE * normal();
        labels[i] = moon;
        break;
      }
      case 'spiral': {
        // One arm of 1.5 turns, t·(cos t, sin t) for t in [1.5π, 4.5π], scaled into about [-2, 2]².
        const t = 1.5 * Math.PI * (1 + 2 * Math.sqrt(rng()));
        px = (t * Math.cos(t)) / 7 + SPIRAL_NOISE * normal();
        py = (t * Math.sin(t)) / 7 + SPIRAL_NOISE * normal();
        break;
      }
    }
    x[i * 2] = px;
    x[i * 2 + 1] = py;
  }
  return name === 'spiral' ? { x } : { x, labels };
}

function classNames(name: ToyName): string[] | undefined {
  if (isToyMixture(name)) return TOY_MIXTURES[name].means.map((_, k) => `mode ${k}`);
  if (name === 'moons') return ['upper', 'lower'];
  return undefined;
}

/** Seeds per name, so ring8 and grid25 do not share their uniforms. */
const SEEDS: Record<ToyName, number> = { ring8: 8, grid25: 25, moons: 2, spiral: 3 };

export async function loadToy(spec: { name: ToyName; size?: number }): Promise<RawData> {
  const size = spec.size ?? TOY_DEFAULT_SIZE;
  if (!TOY_NAMES.includes(spec.name)) {
    throw new UsageError(`unknown toy distribution "${spec.name}": expected ${TOY_NAMES.join(', ')}`, {
      path: '--data',
    });
  }
  const seed = SEEDS[spec.name];
  const train = sampleToy(spec.name, size, seed);
  const test = sampleToy(spec.name, Math.max(1, Math.round(size / 5)), seed + 1_000_003);
  return { name: `toy:${spec.name}`, sampleShape: [2], classNames: classNames(spec.name), train, test };
}
