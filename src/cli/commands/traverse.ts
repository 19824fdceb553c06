// `latentlab traverse RUN`: each latent dimension swept with the others fixed, one row per dimension, as a PNG.
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { z } from 'zod';
import {
  BaseFlag,
  DimsFlag,
  isActive,
  MAX_TRAVERSE_STEPS,
  RangeFlag,
  requireImages,
  type Traversal,
  trainingCodeFit,
  traversalPng,
  traverse,
} from '../../apps/traverse.js';
import { parseOrThrow } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { loadModel } from '../../io/model-files.js';
import { resolveModelDir } from '../../train/run-dir.js';
import { taskProgress } from '../progress.js';
import { type DataFlags, datasetFor, startBackend, withDataFlags } from '../shared.js';

/** The flags as commander gives them (strings), read by one schema into a traversal request. */
const TraverseFlags = z.object({
  from: BaseFlag.default({ item: 0 }),
  dims: DimsFlag.default('all'),
  range: RangeFlag.default([-3, 3]),
  steps: z.coerce.number().int().min(2).max(MAX_TRAVERSE_STEPS).default(11),
  label: z.coerce.number().int().min(0).optional(),
  out: z
    .string()
    .regex(/\.png$/i, 'expected a .png file')
    .optional(),
  labels: z.boolean().default(false),
});

type Flags = DataFlags & {
  from?: string;
  dims?: string;
  range?: string;
  steps?: string;
  label?: string;
  out?: string;
  labels?: boolean;
};

export function traverseCommand(): Command {
  return withDataFlags(
    new Command('traverse')
      .description(
        'latent traversals: each latent dimension swept over a range around a base code with the others fixed, one row per dimension, as a PNG grid',
      )
      .argument('<run>', 'run directory (or its model directory)')
      .option(
        '--from <base>',
        'the base code: an item of --split (its index), seed:N (a prior draw; a plain autoencoder: the Gaussian of its training codes) or mean (the prior mean; a plain autoencoder: the mean training code) (default 0)',
      )
      .option(
        '--dims <dims>',
        'rows: all, a list such as 0,3,7, or top:K (the K dimensions whose training codes vary most) (default all)',
      )
      .option(
        '--range <r>',
        'the sweep around the base code, R (from -R to R) or LO,HI, in prior standard deviations for models with a prior (VAE, AAE, GAN noise), else in standard deviations of each dimension over the training codes (default 3)',
      )
      .option('--steps <n>', `columns per row, 2 to ${MAX_TRAVERSE_STEPS} (default 11)`)
      .option('--label <c>', "conditional models: the class to decode (default: the base item's, else 0)")
      .option(
        '--labels',
        "write each row's dimension and the variance of its training codes in the margin, and each column's offset above it",
      )
      .option('--out <file>', 'the PNG (default RUN/traverse.png)'),
  ).action(async (run: string, flags: Flags) => {
    await startBackend(flags);
    const options = parseOrThrow(
      TraverseFlags,
      {
        from: flags.from,
        dims: flags.dims,
        range: flags.range,
        steps: flags.steps,
        label: flags.label,
        out: flags.out,
        labels: flags.labels ?? false,
      },
      (field) => `--${field}`,
    );
    const modelDir = resolveModelDir(run);
    const loaded = await loadModel(modelDir);
    const { model } = loaded;
    requireImages(model);
    const traversal = await traverse(
      model,
      {
        from: options.from,
        dims: options.dims,
        range: options.range,
        steps: options.steps,
        label: options.label,
      },
      {
        items: () => datasetFor(loaded, flags),
        // The training codes' Gaussian, as `latentlab sample` fits and caches it (RUN/code-prior.json).
        codeFit: async () => {
          const tasks = taskProgress();
          return trainingCodeFit(loaded, modelDir, (p) =>
            tasks.onProgress({ ...p, task: 'encode train' }),
          ).finally(() => tasks.stop());
        },
      },
      { variance: options.labels },
    );
    const out = options.out ?? join(run, 'traverse.png');
    await mkdir(dirname(out), { recursive: true });
    await writeFileAtomic(out, traversalPng(traversal, { labels: options.labels }));
    process.stdout.write(describe(traversal, options.range, out));
  });
}

function describe(t: Traversal, [lo, hi]: [number, number], out: string): string {
  const lines = [
    `${t.dims.length} dimensions x ${t.steps} steps, from ${lo} to ${hi} ${t.unitName} around the base code` +
      `${t.label === undefined ? '' : `, class ${t.label}`} → ${out}`,
  ];
  if (t.variance) {
    const active = Array.from(t.variance).filter(isActive).length;
    lines.push(
      `variance of the training codes per dimension (active units above 0.01: ${active} of ${t.latent}):`,
      ...t.dims.map(
        (d) => `  z${d}  ${t.variance![d].toPrecision(4)}${isActive(t.variance![d]) ? '' : '  (inactive)'}`,
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}
