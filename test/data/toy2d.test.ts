// 2-D toy data and its GAN metrics: mode positions, sizes, seeded determinism, the `toy:NAME` spec, and mode
// coverage / sample quality on hand-made point sets.
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { loadData } from '../../src/data/load.js';
import { loadToy, sampleToy, TOY_MIXTURES } from '../../src/data/sources/toy2d.js';
import { formatDataSpec, parseDataSpec } from '../../src/data/spec.js';
import { UsageError } from '../../src/errors.js';
import {
  encodeDecisionScatter,
  meanDistanceToModes,
  modeCoverage,
  surfaceGrid,
} from '../../src/eval/toy2d.js';

describe('toy distributions', () => {
  it('places ring8 on a circle of radius 2 and grid25 on {-4, -2, 0, 2, 4}²', () => {
    const ring = TOY_MIXTURES.ring8;
    expect(ring.means).toHaveLength(8);
    expect(ring.std).toBe(0.02);
    for (const [x, y] of ring.means) expect(Math.hypot(x, y)).toBeCloseTo(2, 10);
    expect(ring.means[0][0]).toBeCloseTo(2, 10);
    expect(ring.means[2][1]).toBeCloseTo(2, 10);
    const grid = TOY_MIXTURES.grid25;
    expect(grid.means).toHaveLength(25);
    const coords = new Set(grid.means.map(([x, y]) => `${x},${y}`));
    expect(coords.size).toBe(25);
    for (const [x, y] of grid.means) {
      expect([-4, -2, 0, 2, 4]).toContain(x);
      expect([-4, -2, 0, 2, 4]).toContain(y);
    }
  });

  it('draws mixture samples near the mode given by their label, with the mixture std', () => {
    for (const name of ['ring8', 'grid25'] as const) {
      const { x, labels } = sampleToy(name, 4000, 1);
      const { means, std } = TOY_MIXTURES[name];
      let sumSq = 0;
      const seen = new Set<number>();
      for (let i = 0; i < 4000; i++) {
        const [mx, my] = means[labels![i]];
        sumSq += (x[i * 2] - mx) ** 2 + (x[i * 2 + 1] - my) ** 2;
        seen.add(labels![i]);
      }
      // E|d|² = 2σ² for an isotropic 2-D Gaussian.
      expect(Math.sqrt(sumSq / 4000 / 2)).toBeCloseTo(std, 2);
      expect(seen.size).toBe(means.length);
    }
  });

  it('makes moons with two labels and an unlabelled spiral inside [-2.5, 2.5]²', () => {
    const moons = sampleToy('moons', 1000, 2);
    expect(new Set(moons.labels).size).toBe(2);
    const spiral = sampleToy('spiral', 1000, 3);
    expect(spiral.labels).toBeUndefined();
    for (const v of spiral.x) expect(Math.abs(v)).toBeLessThan(2.5);
    // The upper moon (label 0) lies above the lower one on average.
    let upper = 0;
    let lower = 0;
    for (let i = 0; i < 1000; i++) {
      if (moons.labels![i] === 0) upper += moons.x[i * 2 + 1];
      else lower += moons.x[i * 2 + 1];
    }
    expect(upper).toBeGreaterThan(lower);
  });

  it('is deterministic per seed and sized by the spec (10,000 train by default, a fifth as test)', async () => {
    expect(sampleToy('ring8', 50, 4).x).toEqual(sampleToy('ring8', 50, 4).x);
    expect(sampleToy('ring8', 50, 4).x).not.toEqual(sampleToy('ring8', 50, 5).x);
    const raw = await loadToy({ name: 'grid25' });
    expect(raw.sampleShape).toEqual([2]);
    expect(raw.train.x.length).toBe(20_000);
    expect(raw.test?.x.length).toBe(4000);
    expect(raw.classNames).toHaveLength(25);
    const again = await loadToy({ name: 'grid25' });
    expect(again.train.x).toEqual(raw.train.x);
    const small = await loadData({ source: 'toy', name: 'moons', size: 500 }, { validationFraction: 0.1 });
    expect(small.train.size).toBe(450);
    expect(small.validation.size).toBe(50);
    expect(small.test.size).toBe(100);
  });

  it('parses and formats toy:NAME specs', () => {
    const spec = parseDataSpec('toy:ring8');
    expect(spec).toEqual({ source: 'toy', name: 'ring8' });
    expect(formatDataSpec(spec)).toBe('toy:ring8');
    expect(() => parseDataSpec('toy:circles')).toThrow(UsageError);
    expect(() => parseDataSpec('toy')).toThrow(UsageError);
  });
});

/** `count` points at a mode plus an offset (in units of std along x). */
function pointsAt(mode: readonly [number, number], count: number, offset = 0, std = 0.02): number[] {
  return Array.from({ length: count }, () => [mode[0] + offset * std, mode[1]]).flat();
}

describe('mode coverage', () => {
  const ring = TOY_MIXTURES.ring8;

  it('counts every mode when each has at least 20 samples within 3 std', () => {
    const points = ring.means.flatMap((m) => pointsAt(m, 20, 2.9));
    const result = modeCoverage(points, ring);
    expect(result.modesCovered).toBe(8);
    expect(result.highQuality).toBe(1);
    expect(result.counts).toEqual(new Array(8).fill(20));
  });

  it('counts exactly k modes and the share of high-quality samples', () => {
    // Modes 0-2 well covered; mode 3 has 19 (too few); 40 samples sit 4 std off mode 4 (low quality).
    const points = [
      ...pointsAt(ring.means[0], 30),
      ...pointsAt(ring.means[1], 25, -1),
      ...pointsAt(ring.means[2], 20, 2),
      ...pointsAt(ring.means[3], 19),
      ...pointsAt(ring.means[4], 40, 4),
    ];
    const result = modeCoverage(points, ring);
    expect(result.modesCovered).toBe(3);
    expect(result.samples).toBe(134);
    expect(result.highQuality).toBeCloseTo(94 / 134, 10);
    expect(result.counts.slice(0, 5)).toEqual([30, 25, 20, 19, 0]);
    expect(modeCoverage(points, ring, { minCount: 19 }).modesCovered).toBe(4);
  });

  it('measures the mean distance to the nearest mode', () => {
    expect(meanDistanceToModes([0, 0, 2, 0], ring)).toBeCloseTo(1, 6);
  });

  it('draws real and generated points over a decision surface', () => {
    const grid = surfaceGrid([-1, 1], 4);
    expect(Array.from(grid.slice(0, 2))).toEqual([-0.75, 0.75]);
    const values = Float32Array.from({ length: 16 }, (_, i) => i);
    const png = PNG.sync.read(
      encodeDecisionScatter([0, 0], [0.5, 0.5], { values, resolution: 4 }, { range: [-1, 1], size: 64 }),
    );
    expect([png.width, png.height]).toEqual([64, 64]);
    const at = (x: number, y: number) => Array.from(png.data.slice((y * 64 + x) * 4, (y * 64 + x) * 4 + 3));
    // Top-left is the lowest score (purple), bottom-right the highest (yellow).
    expect(at(0, 0)).toEqual([196, 186, 222]);
    expect(at(63, 63)).toEqual([250, 226, 150]);
    // Without a surface: a grey real point at the centre, a green generated one up and to the right.
    const plain = PNG.sync.read(
      encodeDecisionScatter([0, 0], [0.5, 0.5], undefined, { range: [-1, 1], size: 64 }),
    );
    const pixel = (x: number, y: number) =>
      Array.from(plain.data.slice((y * 64 + x) * 4, (y * 64 + x) * 4 + 3));
    const [r, g, b] = pixel(32, 32);
    expect(r).toBe(g);
    expect(g).toBe(b);
    expect(r).toBeLessThan(255);
    const [gr, gg, gb] = pixel(47, 16);
    expect(gg).toBeGreaterThan(gr);
    expect(gg).toBeGreaterThan(gb);
  });
});
