// dSprites (Matthey et al. 2017) generated procedurally: every 64x64 binary image is drawn from its five factors,
// so the factors of each sample are known exactly and the disentanglement metrics (eval/disentanglement) can use them.
import { UsageError } from '../../errors.js';
import type { DataFactors, RawData } from '../dataset.js';
import { permutation } from '../random.js';

export const DSPRITES_SIDE = 64;
export const DSPRITES_FACTOR_NAMES = ['shape', 'scale', 'orientation', 'posX', 'posY'] as const;
/** Values per factor, in the original's index order (the last fastest); its 1-valued colour factor is left out. */
export const DSPRITES_FACTOR_SIZES = [3, 6, 40, 32, 32] as const;
export const DSPRITES_SHAPES = ['square', 'ellipse', 'heart'] as const;
/** 3 · 6 · 40 · 32 · 32. */
export const DSPRITES_COUNT = DSPRITES_FACTOR_SIZES.reduce((a, b) => a * b, 1);
/**
 * Training samples when the spec gives none: 50,000 images (0.8 GB as float32) visit each of the 720 shape, scale
 * and orientation combinations about 70 times, while the whole grid (12 GB) would not fit in memory.
 */
export const DSPRITES_DEFAULT_SIZE = 50_000;
/** The seed of the subset of the grid a spec draws: fixed, so every run of `dsprites:N` sees the same images. */
export const DSPRITES_SEED = 737_280;

/**
 * Geometry, in pixels with (0, 0) the top-left corner of the image and pixel (row, col) sampled at its centre
 * (row + 0.5, col + 0.5):
 * - the sprite's centre is at 16 + 32 · pos for posX (column) and posY (row), pos = k / 31: from 16 to 48, so a
 *   sprite at scale 1 in any orientation stays inside the frame;
 * - scale s = 0.5 + 0.1 · k multiplies a half-size of 10 pixels: the square's side is 20 · s (10 to 20 pixels);
 * - orientation θ = 2π · k / 40 turns the shape about its centre (clockwise on screen, rows pointing down).
 * A pixel is on when its centre, taken back to the shape's own frame (u, v) = R(-θ)(p - c) / (10 s), is inside:
 * square |u| ≤ 1 and |v| ≤ 1; ellipse u² + (v / 0.5)² ≤ 1 (2:1, the long axis horizontal at θ = 0); heart the
 * implicit curve (x² + y² - 1)³ - x² y³ ≤ 0 with x = 1.15 u, y = 0.12 - 1.15 v (point down, mirror symmetric in u).
 */
const CENTRE_MIN = 16;
const CENTRE_RANGE = 32;
const HALF_SIZE = 10;
/** Beyond this many half-sizes from its centre no shape has a pixel (the heart's farthest point is at about 1.2). */
const REACH = 1.6;

export interface SpriteFactors {
  shape: number;
  scale: number;
  orientation: number;
  posX: number;
  posY: number;
}

/** The index of a factor combination in the full dataset's order (shape, scale, orientation, posX, posY; last fastest). */
export function spriteIndex(f: SpriteFactors): number {
  checkFactors(f);
  const [, sc, or, px, py] = DSPRITES_FACTOR_SIZES;
  return (((f.shape * sc + f.scale) * or + f.orientation) * px + f.posX) * py + f.posY;
}

/** The factor combination at `index` of the full dataset. */
export function spriteFactors(index: number): SpriteFactors {
  if (!Number.isInteger(index) || index < 0 || index >= DSPRITES_COUNT)
    throw new UsageError(`expected a dSprites index in [0, ${DSPRITES_COUNT}), got ${index}`, {
      path: 'index',
    });
  const values = [0, 0, 0, 0, 0];
  let rest = index;
  for (let k = DSPRITES_FACTOR_SIZES.length - 1; k >= 0; k--) {
    values[k] = rest % DSPRITES_FACTOR_SIZES[k];
    rest = Math.floor(rest / DSPRITES_FACTOR_SIZES[k]);
  }
  const [shape, scale, orientation, posX, posY] = values;
  return { shape, scale, orientation, posX, posY };
}

function checkFactors(f: SpriteFactors): void {
  DSPRITES_FACTOR_NAMES.forEach((name, k) => {
    const value = f[name];
    const size = DSPRITES_FACTOR_SIZES[k];
    if (!Number.isInteger(value) || value < 0 || value >= size)
      throw new UsageError(`expected ${name} to be an integer in [0, ${size}), got ${value}`, { path: name });
  });
}

function inside(shape: number, u: number, v: number): boolean {
  if (shape === 0) return Math.abs(u) <= 1 && Math.abs(v) <= 1;
  if (shape === 1) return u * u + 4 * v * v <= 1;
  const x = 1.15 * u;
  const y = 0.12 - 1.15 * v;
  const r = x * x + y * y - 1;
  return r * r * r - x * x * y * y * y <= 0;
}

/** One sprite as 64 · 64 bytes, row-major, 1 on and 0 off: a pure function of its factors. */
export function renderSprite(
  f: SpriteFactors,
  out = new Uint8Array(DSPRITES_SIDE * DSPRITES_SIDE),
): Uint8Array {
  checkFactors(f);
  out.fill(0);
  const cx = CENTRE_MIN + (CENTRE_RANGE * f.posX) / (DSPRITES_FACTOR_SIZES[3] - 1);
  const cy = CENTRE_MIN + (CENTRE_RANGE * f.posY) / (DSPRITES_FACTOR_SIZES[4] - 1);
  const size = HALF_SIZE * (0.5 + 0.1 * f.scale);
  const theta = (2 * Math.PI * f.orientation) / DSPRITES_FACTOR_SIZES[2];
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  // Only the pixels within the shape's reach are tested.
  const reach = REACH * size;
  const rowFrom = Math.max(0, Math.floor(cy - reach));
  const rowTo = Math.min(DSPRITES_SIDE - 1, Math.ceil(cy + reach));
  const colFrom = Math.max(0, Math.floor(cx - reach));
  const colTo = Math.min(DSPRITES_SIDE - 1, Math.ceil(cx + reach));
  for (let row = rowFrom; row <= rowTo; row++) {
    const dy = row + 0.5 - cy;
    for (let col = colFrom; col <= colTo; col++) {
      const dx = col + 0.5 - cx;
      // R(-θ) with rows pointing down: the inverse of turning the shape by θ on screen.
      const u = (cos * dx + sin * dy) / size;
      const v = (-sin * dx + cos * dy) / size;
      if (inside(f.shape, u, v)) out[row * DSPRITES_SIDE + col] = 1;
    }
  }
  return out;
}

/** `count` distinct grid indices drawn with `seed` (a prefix of a seeded permutation of all 737,280). */
export function spriteSubset(count: number, seed: number): Int32Array {
  if (!Number.isInteger(count) || count < 1 || count > DSPRITES_COUNT)
    throw new UsageError(`expected between 1 and ${DSPRITES_COUNT} dSprites samples, got ${count}`, {
      path: '--data',
    });
  return permutation(DSPRITES_COUNT, seed).slice(0, count);
}

const factorsOfRow = (values: ArrayLike<number>, row: number): SpriteFactors => {
  const at = row * DSPRITES_FACTOR_NAMES.length;
  return {
    shape: values[at],
    scale: values[at + 1],
    orientation: values[at + 2],
    posX: values[at + 3],
    posY: values[at + 4],
  };
};

/** Images [n, 64, 64, 1] as floats in {0, 1} for rows of factor indices [n · 5], in DSPRITES_FACTOR_NAMES order. */
export function renderSprites(values: ArrayLike<number>): Float32Array {
  const per = DSPRITES_SIDE * DSPRITES_SIDE;
  const n = values.length / DSPRITES_FACTOR_NAMES.length;
  const x = new Float32Array(n * per);
  const image = new Uint8Array(per);
  for (let i = 0; i < n; i++) {
    renderSprite(factorsOfRow(values, i), image);
    for (let p = 0; p < per; p++) x[i * per + p] = image[p];
  }
  return x;
}

/** The grid's factors, with the renderer the FactorVAE and beta-VAE scores draw fresh images with. */
export function dspritesFactors(values: Int32Array): DataFactors {
  return {
    names: [...DSPRITES_FACTOR_NAMES],
    sizes: [...DSPRITES_FACTOR_SIZES],
    values,
    render: renderSprites,
  };
}

function part(indices: Int32Array) {
  const values = new Int32Array(indices.length * DSPRITES_FACTOR_NAMES.length);
  indices.forEach((index, i) => {
    const f = spriteFactors(index);
    values.set([f.shape, f.scale, f.orientation, f.posX, f.posY], i * DSPRITES_FACTOR_NAMES.length);
  });
  const labels = Int32Array.from(indices, (_, i) => values[i * DSPRITES_FACTOR_NAMES.length]);
  return { x: renderSprites(values), labels, factors: dspritesFactors(values) };
}

/**
 * `size` training images (default 50,000) and a test part of a fifth of that, disjoint, both drawn from one
 * seeded permutation of the grid; labels are the shape, every factor is in `factors`.
 */
export async function loadDsprites(spec: { size?: number }): Promise<RawData> {
  const size = spec.size ?? DSPRITES_DEFAULT_SIZE;
  const testSize = Math.max(1, Math.round(size / 5));
  const indices = spriteSubset(size + testSize, DSPRITES_SEED);
  return {
    name: 'dsprites',
    sampleShape: [DSPRITES_SIDE, DSPRITES_SIDE, 1],
    classNames: [...DSPRITES_SHAPES],
    train: part(indices.subarray(0, size)),
    test: part(indices.subarray(size)),
  };
}
