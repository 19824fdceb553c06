// The layout of a run directory, in one place.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { IoError } from '../errors.js';

export function runPaths(runDir: string) {
  return {
    root: runDir,
    config: join(runDir, 'config.json'),
    metrics: join(runDir, 'metrics.jsonl'),
    /** Train and validation loss terms per epoch, redrawn after each one. */
    loss: join(runDir, 'loss.png'),
    summary: join(runDir, 'summary.json'),
    checkpoint: join(runDir, 'checkpoint.lltf'),
    images: join(runDir, 'images'),
    epochImage: (epoch: number) => join(runDir, 'images', `epoch-${String(epoch).padStart(3, '0')}.png`),
    /** 2-D data: real and generated points (over the discriminator's surface for GANs) after an epoch. */
    epochScatter: (epoch: number) =>
      join(runDir, 'images', `epoch-${String(epoch).padStart(3, '0')}-scatter.png`),
    model: join(runDir, 'model'),
  };
}

/** A run directory, or the model directory inside one; returns the model directory. */
export function resolveModelDir(runOrModel: string): string {
  if (existsSync(join(runOrModel, 'manifest.json'))) return runOrModel;
  const inner = join(runOrModel, 'model');
  if (existsSync(join(inner, 'manifest.json'))) return inner;
  throw new IoError(
    'no trained model here (expected model/manifest.json in a run directory, or manifest.json)',
    {
      path: runOrModel,
    },
  );
}

/** A default run name, `<kind>-<data>-<yyyymmdd-hhmmss-mmm>` (UTC, to the millisecond). */
export function defaultRunName(kind: string, data: string, now = new Date()): string {
  const iso = now.toISOString();
  return `${kind}-${data}-${iso.replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}-${iso.slice(20, 23)}`;
}

/**
 * Create `base`, or `base-2`, `base-3` … where it exists, with a non-recursive mkdir: the name is claimed by
 * whoever creates it, so two trains picking one name at once both get a directory of their own.
 */
export async function createUniqueDir(base: string): Promise<string> {
  await mkdir(dirname(base), { recursive: true });
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    try {
      await mkdir(candidate);
      return candidate;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}
