// Checks of GANs on the 2-D toy data: mode coverage and sample quality on the Gaussian mixtures (the metrics
// of VEEGAN and PacGAN), and a scatter PNG of real vs generated points over the discriminator's decision surface.
import { PNG } from 'pngjs';
import { TOY_MIXTURES, type ToyMixtureName } from '../data/sources/toy2d.js';
import { tf } from '../engine/tf.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { GenerativeModel } from '../models/family.js';
import { GanModel } from '../models/gan/model.js';
import { samplePrior } from './generate.js';

export interface Mixture {
  /** Mode centres. */
  means: readonly (readonly [number, number])[];
  /** Isotropic standard deviation of every mode. */
  std: number;
}

export interface ModeCoverage {
  /** Modes with at least `minCount` high-quality samples. */
  modesCovered: number;
  modes: number;
  /** Share of samples within 3 std of their nearest mode. */
  highQuality: number;
  /** High-quality samples per mode. */
  counts: number[];
  samples: number;
}

/**
 * PacGAN's rule (Lin et al. 2018, after VEEGAN): with 2,500 generated samples, a mode counts as covered when at
 * least 20 samples (a fifth of a grid25 mode's expected 100) lie within 3 std of its centre.
 */
export const DEFAULT_MIN_COUNT = 20;
export const DEFAULT_EVAL_SAMPLES = 2500;

/**
 * Each point [n * 2] goes to its nearest mode and is high quality when within 3 std of it; a mode is covered
 * when it has at least `minCount` high-quality points.
 */
export function modeCoverage(
  points: ArrayLike<number>,
  mixture: Mixture,
  { minCount = DEFAULT_MIN_COUNT }: { minCount?: number } = {},
): ModeCoverage {
  const n = Math.floor(points.length / 2);
  const counts = new Array<number>(mixture.means.length).fill(0);
  const limit = (3 * mixture.std) ** 2;
  let good = 0;
  for (let i = 0; i < n; i++) {
    const [k, d2] = nearestMode(points[i * 2], points[i * 2 + 1], mixture);
    if (d2 <= limit) {
      counts[k]++;
      good++;
    }
  }
  return {
    modesCovered: counts.filter((c) => c >= minCount).length,
    modes: mixture.means.length,
    highQuality: n > 0 ? good / n : 0,
    counts,
    samples: n,
  };
}

/** Index of the nearest mode and the squared distance to it. */
function nearestMode(x: number, y: number, mixture: Mixture): [number, number] {
  let best = 0;
  let bestD2 = Number.POSITIVE_INFINITY;
  mixture.means.forEach(([mx, my], k) => {
    const d2 = (x - mx) ** 2 + (y - my) ** 2;
    if (d2 < bestD2) {
      bestD2 = d2;
      best = k;
    }
  });
  return [best, bestD2];
}

/** Mean Euclidean distance from each point to its nearest mode (a coarse progress measure). */
export function meanDistanceToModes(points: ArrayLike<number>, mixture: Mixture): number {
  const n = Math.floor(points.length / 2);
  let total = 0;
  for (let i = 0; i < n; i++) total += Math.sqrt(nearestMode(points[i * 2], points[i * 2 + 1], mixture)[1]);
  return n > 0 ? total / n : 0;
}

/**
 * `samples` generated samples, flattened ([samples * 2] for 2-D data), from the model's prior (a GAN's EMA
 * generator when it has one; classes in equal blocks for a conditional model).
 */
export function generatePoints(model: GenerativeModel, samples: number, seed: number): Float32Array {
  const out = samplePrior(model, samples, seed);
  const data = out.dataSync() as Float32Array;
  out.dispose();
  return data;
}

/**
 * Mode coverage of a generator trained on ring8 or grid25, from `samples` generated points (or from `points`
 * already drawn, so a caller that also plots them draws them once).
 */
export function evaluateToyGan(
  model: GenerativeModel,
  name: ToyMixtureName,
  {
    samples = DEFAULT_EVAL_SAMPLES,
    seed = 12_345,
    minCount = DEFAULT_MIN_COUNT,
    points = generatePoints(model, samples, seed),
  }: { samples?: number; seed?: number; minCount?: number; points?: Float32Array } = {},
): ModeCoverage & { meanDistance: number } {
  const mixture = TOY_MIXTURES[name];
  return {
    ...modeCoverage(points, mixture, { minCount }),
    meanDistance: meanDistanceToModes(points, mixture),
  };
}

// --- Scatter over the decision surface ---

export interface ScatterSurface {
  /** resolution² values, row 0 at the top (largest y), increasing x along a row. */
  values: Float32Array;
  resolution: number;
}

export interface DecisionScatterOptions {
  /** Square plotting window [lo, hi] on both axes; default: around the real points with a margin. */
  range?: readonly [number, number];
  size?: number;
  radius?: number;
}

/** Real points drawn under a toy scatter: the first 2,000 of a split [n * 2]. */
export function scatterRealPoints(split: { x: Float32Array; size: number }): Float32Array {
  return split.x.subarray(0, Math.min(split.size, 2000) * 2);
}

/** A square window holding the real points with a quarter of their extent as margin. */
export function plotRange(real: ArrayLike<number>): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < real.length; i++) {
    lo = Math.min(lo, real[i]);
    hi = Math.max(hi, real[i]);
  }
  if (!Number.isFinite(lo)) return [-1, 1];
  const pad = Math.max(0.25 * (hi - lo), 0.5);
  return [lo - pad, hi + pad];
}

/** Grid cell centres [resolution² * 2] of a square window, top row first (as ScatterSurface expects). */
export function surfaceGrid(range: readonly [number, number], resolution: number): Float32Array {
  const [lo, hi] = range;
  const grid = new Float32Array(resolution * resolution * 2);
  for (let row = 0; row < resolution; row++) {
    for (let col = 0; col < resolution; col++) {
      const i = row * resolution + col;
      grid[i * 2] = lo + ((col + 0.5) / resolution) * (hi - lo);
      grid[i * 2 + 1] = hi - ((row + 0.5) / resolution) * (hi - lo);
    }
  }
  return grid;
}

/** Low (judged fake) to high (judged real): a pale purple-to-yellow ramp, light enough for points on top. */
function heat(t: number): [number, number, number] {
  const low = [196, 186, 222];
  const mid = [250, 250, 250];
  const high = [250, 226, 150];
  const [a, b, s] = t < 0.5 ? [low, mid, t * 2] : [mid, high, (t - 0.5) * 2];
  return [0, 1, 2].map((c) => Math.round(a[c] + (b[c] - a[c]) * s)) as [number, number, number];
}

/**
 * PNG of real points (grey) and generated points (green) over a heat map of `surface` (min-max normalised:
 * purple where the discriminator says fake, yellow where it says real).
 */
export function encodeDecisionScatter(
  real: ArrayLike<number>,
  generated: ArrayLike<number>,
  surface: ScatterSurface | undefined,
  { range = plotRange(real), size = 512, radius = 2 }: DecisionScatterOptions = {},
): Buffer {
  const png = new PNG({ width: size, height: size });
  png.data.fill(255);
  const [lo, hi] = range;
  if (surface) {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const v of surface.values) {
      if (!Number.isFinite(v)) continue;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    const spread = max - min || 1;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const row = Math.min(surface.resolution - 1, Math.floor((y / size) * surface.resolution));
        const col = Math.min(surface.resolution - 1, Math.floor((x / size) * surface.resolution));
        const v = surface.values[row * surface.resolution + col];
        const [r, g, b] = heat(Number.isFinite(v) ? (v - min) / spread : 0.5);
        const i = (y * size + x) * 4;
        png.data[i] = r;
        png.data[i + 1] = g;
        png.data[i + 2] = b;
      }
    }
  }
  const dot = (px: number, py: number, colour: readonly number[], alpha: number) => {
    const cx = Math.round(((px - lo) / (hi - lo)) * (size - 1));
    const cy = Math.round((1 - (py - lo) / (hi - lo)) * (size - 1));
    for (let dy = -radius; dy <= radius; dy++) {
      for (let dx = -radius; dx <= radius; dx++) {
        const x = cx + dx;
        const y = cy + dy;
        if (dx * dx + dy * dy > radius * radius || x < 0 || y < 0 || x >= size || y >= size) continue;
        const i = (y * size + x) * 4;
        for (let c = 0; c < 3; c++)
          png.data[i + c] = Math.round(png.data[i + c] * (1 - alpha) + colour[c] * alpha);
      }
    }
  };
  for (let i = 0; i + 1 < real.length; i += 2) dot(real[i], real[i + 1], [110, 110, 110], 0.5);
  for (let i = 0; i + 1 < generated.length; i += 2) dot(generated[i], generated[i + 1], [30, 140, 60], 0.7);
  return PNG.sync.write(png);
}

/**
 * Write the scatter of `real` points [n * 2] and `samples` generated ones, over an unconditional GAN's
 * discriminator logits on a resolution² grid (other models, conditional GANs included, get the points alone).
 */
export async function writeToyScatter(
  path: string,
  model: GenerativeModel,
  real: ArrayLike<number>,
  {
    samples = DEFAULT_EVAL_SAMPLES,
    seed = 12_345,
    resolution = 128,
    generated = generatePoints(model, samples, seed),
    ...options
  }: DecisionScatterOptions & {
    samples?: number;
    seed?: number;
    resolution?: number;
    /** Points already drawn (then `samples` and `seed` are not used). */
    generated?: Float32Array;
  } = {},
): Promise<void> {
  const range = options.range ?? plotRange(real);
  let surface: ScatterSurface | undefined;
  if (model instanceof GanModel && !model.conditional) {
    const grid = tf.tensor2d(surfaceGrid(range, resolution), [resolution * resolution, 2]);
    const scores = model.discriminatorScores(grid);
    surface = { values: (await scores.data()) as Float32Array, resolution };
    tf.dispose([grid, scores]);
  }
  await writeFileAtomic(path, encodeDecisionScatter(real, generated, surface, { ...options, range }));
}
