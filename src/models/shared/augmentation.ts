// Random poses for image batches (shift, rotation, size), drawn from a seed: used by the classifier and the
// semi-supervised AAE's class head, so it lives beside them rather than in either family.
import { z } from 'zod';
import { createRng } from '../../data/random.js';
import { type Tensor, tf } from '../../engine/tf.js';

/** Random poses for training images (cnn or mlp on [h, w, c] samples); all zero leaves images as they are. */
export const Augmentation = z.strictObject({
  shift: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('Largest random shift in whole pixels along each axis (uniform in -shift..shift); 0 disables'),
  rotation: z
    .number()
    .min(0)
    .max(180)
    .default(0)
    .describe('Largest random rotation in degrees either way, about the image centre; 0 disables'),
  scale: z
    .number()
    .min(0)
    .lt(1)
    .default(0)
    .describe('Largest relative size change: the factor is drawn from [1 - scale, 1 + scale]; 0 disables'),
});
export type Augmentation = z.infer<typeof Augmentation>;

/** One sample's pose: shift in pixels (dx right, dy down), rotation in radians (clockwise on screen), size factor. */
export interface Pose {
  dx: number;
  dy: number;
  angle: number;
  scale: number;
}

export function augmentationOff(augment: Augmentation): boolean {
  return augment.shift === 0 && augment.rotation === 0 && augment.scale === 0;
}

/** n random poses within the bounds of `augment`, the same for the same seed. */
export function drawPoses(n: number, augment: Augmentation, seed: number): Pose[] {
  const rng = createRng(seed);
  const symmetric = (bound: number) => {
    const u = rng(); // drawn even for a zero bound, so the other draws stay put
    return bound > 0 ? (2 * u - 1) * bound : 0;
  };
  return Array.from({ length: n }, () => ({
    dx: Math.floor(rng() * (2 * augment.shift + 1)) - augment.shift,
    dy: Math.floor(rng() * (2 * augment.shift + 1)) - augment.shift,
    angle: (symmetric(augment.rotation) * Math.PI) / 180,
    scale: 1 + symmetric(augment.scale),
  }));
}

/**
 * tf.image.transform rows [n, 8] for the poses. A pose maps input p to c + scale·R(angle)(p - c) + d about the
 * centre c; the rows hold its inverse (output pixel → input point), which is what the op samples with.
 */
export function poseTransforms(poses: readonly Pose[], height: number, width: number): tf.Tensor2D {
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const rows = new Float32Array(poses.length * 8);
  poses.forEach(({ dx, dy, angle, scale }, i) => {
    const cos = Math.cos(angle) / scale;
    const sin = Math.sin(angle) / scale;
    // x_in = cx + cos·(x - cx - dx) + sin·(y - cy - dy);  y_in = cy - sin·(x - cx - dx) + cos·(y - cy - dy)
    const [a0, a1, b0, b1] = [cos, sin, -sin, cos];
    rows.set(
      [a0, a1, cx - a0 * (cx + dx) - a1 * (cy + dy), b0, b1, cy - b0 * (cx + dx) - b1 * (cy + dy), 0, 0],
      i * 8,
    );
  });
  return tf.tensor2d(rows, [poses.length, 8]);
}

/** Images [n, h, w, c] in random poses (bilinear, zeros outside): whole-pixel shifts alone move pixels exactly. */
export function augmentImages(x: Tensor, augment: Augmentation, seed: number): Tensor {
  const [n, height, width] = x.shape;
  return tf.tidy(() =>
    tf.image.transform(
      x as tf.Tensor4D,
      poseTransforms(drawPoses(n, augment, seed), height, width),
      'bilinear',
      'constant',
      0,
    ),
  );
}
