// The layout of a run directory, in one place.
import { join } from 'node:path';

export function runPaths(runDir: string) {
  return {
    root: runDir,
    config: join(runDir, 'config.json'),
    metrics: join(runDir, 'metrics.jsonl'),
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
