// The procedural dSprites: the grid's size and index order, rendered sprites against hand expectations, seeded
// subsets, the `dsprites` spec and its factors carried through the splits.
import { describe, expect, it } from 'vitest';
import { head, subset } from '../../src/data/dataset.js';
import { listLocalDatasets, loadData } from '../../src/data/load.js';
import {
  DSPRITES_COUNT,
  DSPRITES_FACTOR_SIZES,
  renderSprite,
  type SpriteFactors,
  spriteFactors,
  spriteIndex,
  spriteSubset,
} from '../../src/data/sources/dsprites.js';
import { formatDataSpec, parseDataSpec } from '../../src/data/spec.js';

const on = (image: Uint8Array) => image.reduce((n, v) => n + v, 0);
const at = (image: Uint8Array, row: number, col: number) => image[row * 64 + col];
const base: SpriteFactors = { shape: 0, scale: 5, orientation: 0, posX: 0, posY: 0 };

describe('dSprites grid', () => {
  it('has 737,280 combinations, indexed as the original (shape, scale, orientation, posX, posY; last fastest)', () => {
    expect(DSPRITES_COUNT).toBe(737_280);
    expect(DSPRITES_FACTOR_SIZES).toEqual([3, 6, 40, 32, 32]);
    expect(spriteIndex({ shape: 0, scale: 0, orientation: 0, posX: 0, posY: 1 })).toBe(1);
    expect(spriteIndex({ shape: 0, scale: 0, orientation: 0, posX: 1, posY: 0 })).toBe(32);
    expect(spriteIndex({ shape: 0, scale: 0, orientation: 1, posX: 0, posY: 0 })).toBe(1024);
    expect(spriteIndex({ shape: 0, scale: 1, orientation: 0, posX: 0, posY: 0 })).toBe(40_960);
    expect(spriteIndex({ shape: 1, scale: 0, orientation: 0, posX: 0, posY: 0 })).toBe(245_760);
    for (const index of [0, 1, 12_345, 245_759, 500_000, DSPRITES_COUNT - 1])
      expect(spriteIndex(spriteFactors(index))).toBe(index);
    expect(spriteFactors(DSPRITES_COUNT - 1)).toEqual({
      shape: 2,
      scale: 5,
      orientation: 39,
      posX: 31,
      posY: 31,
    });
    expect(() => spriteFactors(DSPRITES_COUNT)).toThrow(/expected a dSprites index in \[0, 737280\)/);
    expect(() => renderSprite({ ...base, orientation: 40 })).toThrow(
      /expected orientation to be an integer in \[0, 40\), got 40/,
    );
  });
});

describe('renderSprite', () => {
  it('draws a square of side 20 at scale 1 and 10 at scale 0.5, centred at pixel 16 for position 0', () => {
    const big = renderSprite(base);
    expect(on(big)).toBe(400);
    // Rows and columns 6 to 25 are on: the centre is at 16, the half side 10.
    expect(at(big, 6, 6)).toBe(1);
    expect(at(big, 25, 25)).toBe(1);
    expect(at(big, 5, 6)).toBe(0);
    expect(at(big, 26, 25)).toBe(0);
    expect(on(renderSprite({ ...base, scale: 0 }))).toBe(100);
    expect(on(renderSprite({ ...base, scale: 2 }))).toBe(14 * 14);
  });

  it('gives the same image for a square turned by 90 degrees, and a different one at 45', () => {
    for (const posX of [0, 13]) {
      const square = { ...base, posX, posY: 7 };
      expect(renderSprite({ ...square, orientation: 10 })).toEqual(renderSprite(square));
      expect(renderSprite({ ...square, orientation: 5 })).not.toEqual(renderSprite(square));
    }
  });

  it('draws the heart mirror symmetric about its vertical axis, pointing down', () => {
    for (const posX of [0, 31]) {
      const heart = renderSprite({ ...base, shape: 2, posX, posY: 9 });
      const centre = posX === 0 ? 16 : 48;
      let checked = 0;
      for (let row = 0; row < 64; row++)
        for (let col = 0; col < 64; col++) {
          const mirror = 2 * centre - 1 - col;
          if (mirror < 0 || mirror >= 64) continue;
          expect(at(heart, row, col)).toBe(at(heart, row, mirror));
          checked++;
        }
      expect(checked).toBeGreaterThan(1000);
      expect(on(heart)).toBeGreaterThan(200);
      // Its lobes are above (rows up), its point below: the row through the lobes is wider than the one near the tip.
      const width = (row: number) =>
        Array.from({ length: 64 }, (_, col) => at(heart, row, col)).reduce((a, b) => a + b);
      const cy = 16 + (32 * 9) / 31;
      expect(width(Math.floor(cy - 5))).toBeGreaterThan(width(Math.floor(cy + 6)));
    }
  });

  it('turns the heart by half a turn into its upside-down image (a point reflection about its centre)', () => {
    const upright = renderSprite({ ...base, shape: 2 });
    const turned = renderSprite({ ...base, shape: 2, orientation: 20 });
    for (let row = 0; row < 32; row++)
      for (let col = 0; col < 32; col++) expect(at(turned, row, col)).toBe(at(upright, 31 - row, 31 - col));
    expect(turned).not.toEqual(upright);
  });

  it('draws the ellipse twice as wide as tall at orientation 0, and tall after a quarter turn', () => {
    const wide = renderSprite({ ...base, shape: 1, posX: 15, posY: 15 });
    const tall = renderSprite({ ...base, shape: 1, posX: 15, posY: 15, orientation: 10 });
    const extent = (image: Uint8Array, byRow: boolean) => {
      const lines = new Set<number>();
      for (let p = 0; p < image.length; p++) if (image[p]) lines.add(byRow ? Math.floor(p / 64) : p % 64);
      return lines.size;
    };
    expect(extent(wide, false)).toBe(20);
    expect(extent(wide, true)).toBe(10);
    expect(extent(tall, true)).toBe(20);
    expect(extent(tall, false)).toBe(10);
  });

  it('moves the sprite by the position: posX 0 to 31 shifts every pixel 32 columns right, posY 32 rows down', () => {
    for (const shape of [0, 1, 2]) {
      const from = renderSprite({ ...base, shape, orientation: 7 });
      const right = renderSprite({ ...base, shape, orientation: 7, posX: 31 });
      const down = renderSprite({ ...base, shape, orientation: 7, posY: 31 });
      expect(on(right)).toBe(on(from));
      for (let row = 0; row < 64; row++)
        for (let col = 0; col < 32; col++) {
          expect(at(right, row, col + 32)).toBe(at(from, row, col));
          expect(at(down, col + 32, row)).toBe(at(from, col, row));
        }
    }
  });
});

describe('dsprites data', () => {
  it('draws the same seeded subset of distinct indices every time, another for another seed', () => {
    const a = spriteSubset(1000, 3);
    expect(spriteSubset(1000, 3)).toEqual(a);
    expect(new Set(a).size).toBe(1000);
    expect(spriteSubset(1000, 4)).not.toEqual(a);
    expect(() => spriteSubset(DSPRITES_COUNT + 1, 0)).toThrow(/expected between 1 and 737280/);
  });

  it('is listed among the local datasets, always available', async () => {
    expect(await listLocalDatasets()).toContainEqual(
      expect.objectContaining({
        name: 'dsprites',
        spec: 'dsprites',
        available: true,
        train: 50_000,
        test: 10_000,
      }),
    );
  });

  it('parses dsprites and dsprites:SIZE, refusing a bad size', () => {
    expect(parseDataSpec('dsprites')).toEqual({ source: 'dsprites' });
    expect(parseDataSpec('dsprites:200')).toEqual({ source: 'dsprites', size: 200 });
    expect(formatDataSpec({ source: 'dsprites', size: 200 })).toBe('dsprites:200');
    expect(() => parseDataSpec('dsprites:0')).toThrow(/expected dsprites or dsprites:SIZE/);
    expect(() => parseDataSpec('dsprites:1e9')).toThrow(/expected dsprites or dsprites:SIZE/);
  });

  it('loads images with the shape as label and every factor, kept row for row through splits and subsets', async () => {
    const splits = await loadData({ source: 'dsprites', size: 200 }, { seed: 1 });
    expect(splits.train.size + splits.validation.size).toBe(200);
    expect(splits.test.size).toBe(40);
    expect(splits.train.sampleShape).toEqual([64, 64, 1]);
    expect(splits.test.classNames).toEqual(['square', 'ellipse', 'heart']);
    for (const part of [splits.train, head(subset(splits.test, [5, 2, 9]), 2)]) {
      const factors = part.factors!;
      expect(factors.names).toEqual(['shape', 'scale', 'orientation', 'posX', 'posY']);
      expect(factors.values.length).toBe(part.size * 5);
      for (let i = 0; i < part.size; i++) {
        const row = Array.from(factors.values.subarray(i * 5, i * 5 + 5));
        expect(part.labels![i]).toBe(row[0]);
        const [shape, scale, orientation, posX, posY] = row;
        const drawn = renderSprite({ shape, scale, orientation, posX, posY });
        expect(Array.from(part.x.subarray(i * 4096, (i + 1) * 4096))).toEqual(Array.from(drawn));
        expect(Array.from(factors.render(row))).toEqual(Array.from(drawn));
      }
    }
    // The training and test images are distinct combinations of the grid.
    const key = (values: Int32Array, i: number) => values.subarray(i * 5, i * 5 + 5).join(',');
    const train = new Set(
      Array.from({ length: splits.train.size }, (_, i) => key(splits.train.factors!.values, i)),
    );
    for (let i = 0; i < splits.test.size; i++)
      expect(train.has(key(splits.test.factors!.values, i))).toBe(false);
  });
});
