// Commands for generative models: sample, interpolate, latent-map, evaluate.

import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { modelData } from '../../apps/model-data.js';
import { type Dataset, sampleSize, subset } from '../../data/dataset.js';
import { loadData } from '../../data/load.js';
import { isToyMixture } from '../../data/sources/toy2d.js';
import { DataSpec } from '../../data/spec.js';
import { rowsAsText } from '../../data/text/vocabulary.js';
import type { Tensor, tf } from '../../engine/tf.js';
import { ConfigError, UsageError } from '../../errors.js';
import { codePrior, codePriorFile, type Sampler } from '../../eval/code-prior.js';
import { encodeDataset, reconstructionErrors, requireAutoencoder } from '../../eval/codes.js';
import {
  decodePath,
  interpolationPath,
  latentManifold,
  type PathEnd,
  samplePrior,
} from '../../eval/generate.js';
import { evaluateLikelihood } from '../../eval/likelihood.js';
import { domainClassifierFor, type GeneratedQuality, generatedQuality } from '../../eval/quality.js';
import { evaluateText, type TextReport } from '../../eval/text.js';
import {
  DEFAULT_EVAL_SAMPLES,
  evaluateToyGan,
  generatePoints,
  type ModeCoverage,
  scatterRealPoints,
  writeToyScatter,
} from '../../eval/toy2d.js';
import { encodeMatrix } from '../../io/arrays.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { type LoadedModel, loadModel } from '../../io/model-files.js';
import { encodeScatter } from '../../io/plot.js';
import { encodeImageGrid } from '../../io/png.js';
import { hasLikelihood, isAutoencoder, isGenerative } from '../../models/family.js';
import { GanModel } from '../../models/gan/model.js';
import { choosesTokens, writesSentences } from '../../models/seq/model.js';
import { resolveModelDir } from '../../train/run-dir.js';
import { taskProgress } from '../progress.js';
import {
  backendOption,
  type DataFlags,
  datasetFor,
  type GlobalOptions,
  parseNumber,
  startBackend,
  withDataFlags,
} from '../shared.js';

/**
 * What `sample` draws from: a generative model's own prior, or for a plain autoencoder the Gaussian fitted to
 * its training codes (cached as RUN/code-prior.json).
 */
async function samplerFor(
  loaded: LoadedModel,
  modelDir: string,
): Promise<{ sampler: Sampler; from: string }> {
  const { model } = loaded;
  if (isGenerative(model)) return { sampler: model, from: 'prior' };
  if (!isAutoencoder(model)) {
    throw new ConfigError(
      `sample needs a generative model (a prior) or an autoencoder (codes to fit one to); "${model.kind}" is neither`,
    );
  }
  const file = codePriorFile(modelDir);
  const sampler = await codePrior(model, {
    codes: async () => {
      // Once per saved model (then cached), but the whole training split: worth a progress bar.
      const tasks = taskProgress();
      const train = (await modelData(loaded)).train;
      return encodeDataset(model, train, undefined, (p) =>
        tasks.onProgress({ ...p, task: 'encode train' }),
      ).finally(() => tasks.stop());
    },
    cache: file ? { file, modelSavedAt: loaded.manifest.savedAt } : undefined,
  });
  return { sampler, from: 'Gaussian fitted to the training codes' };
}

async function writePng(path: string, images: tf.Tensor, rows: number, cols: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const data = (await images.data()) as Float32Array;
  await writeFileAtomic(path, encodeImageGrid(data, images.shape.slice(1), { rows, cols, scale: 2 }));
}

export function sampleCommand(): Command {
  return new Command('sample')
    .description(
      'draw samples from the prior of a generative model (a plain autoencoder: a Gaussian fitted to its training codes) as a PNG grid (and optionally raw values)',
    )
    .argument('<run>', 'run directory (or its model directory)')
    .option('--n <count>', 'number of samples', parseNumber('--n', { integer: true, min: 1 }), 64)
    .option(
      '--class <k>',
      'conditional models: the class to generate (default: one row per class)',
      parseNumber('--class', { integer: true, min: 0 }),
    )
    .option('--seed <s>', 'random seed', parseNumber('--seed', { integer: true, min: 0 }), 0)
    .option('--out <file.png>', 'grid path (default RUN/samples.png)')
    .option('--raw <file>', 'also write the samples as .npy, .csv or .json (one row per sample)')
    .option(
      '--temperature <t>',
      'text models: draw each token from the softmax of logits / t (default 0: the most likely token, greedy)',
      parseNumber('--temperature', { min: 0 }),
    )
    .option(
      '--top-k <k>',
      'text models, with --temperature: draw among the k most likely tokens only (default 0: all)',
      parseNumber('--top-k', { integer: true, min: 0 }),
    )
    .addOption(backendOption())
    .action(
      async (
        run: string,
        flags: GlobalOptions & {
          n: number;
          class?: number;
          seed: number;
          out?: string;
          raw?: string;
          temperature?: number;
          topK?: number;
        },
      ) => {
        await startBackend(flags);
        const modelDir = resolveModelDir(run);
        const loaded = await loadModel(modelDir);
        if (flags.temperature !== undefined || flags.topK !== undefined) {
          if (!choosesTokens(loaded.model))
            throw new UsageError(
              `chooses the tokens of text models (seq-ae, seq-vae, lm); "${loaded.model.kind}" has none`,
              { path: flags.temperature !== undefined ? '--temperature' : '--top-k' },
            );
          if (flags.topK && !flags.temperature)
            throw new UsageError('draws tokens, so it needs a --temperature above 0', {
              path: '--top-k',
            });
          loaded.model.decoding = {
            temperature: flags.temperature ?? 0,
            topK: flags.topK ?? 0,
            seed: flags.seed,
          };
        }
        const { context } = loaded.model;
        let images: Tensor;
        let from = 'the language model';
        let conditional = false;
        if (writesSentences(loaded.model)) {
          // A language model has no prior to draw codes from: it writes from <bos> on.
          images = loaded.model.writeSentences(flags.n);
        } else {
          const found = await samplerFor(loaded, modelDir);
          images = samplePrior(found.sampler, flags.n, flags.seed, flags.class);
          from = found.from;
          conditional = found.sampler.conditional === true;
        }
        const cols =
          conditional && flags.class === undefined
            ? Math.ceil(flags.n / (context.numClasses ?? 10))
            : Math.ceil(Math.sqrt(flags.n));
        const out = flags.out ?? join(run, 'samples.png');
        if (context.sampleShape.length === 3) await writePng(out, images, Math.ceil(flags.n / cols), cols);
        if (flags.raw) {
          const per = sampleSize(context);
          const format = flags.raw.endsWith('.npy') ? 'npy' : flags.raw.endsWith('.json') ? 'json' : 'csv';
          await writeFileAtomic(
            flags.raw,
            encodeMatrix(format, { rows: flags.n, cols: per, data: (await images.data()) as Float32Array }),
          );
        }
        const text = loaded.manifest.text;
        const sentences = text ? rowsAsText(text, (await images.data()) as Float32Array, flags.n) : undefined;
        images.dispose();
        const where = sentences
          ? 'stdout (one sentence a line)'
          : context.sampleShape.length === 3
            ? out
            : (flags.raw ?? '(no image data: use --raw)');
        process.stdout.write(`${flags.n} samples (seed ${flags.seed}, ${from}) → ${where}\n`);
        for (const sentence of sentences ?? []) process.stdout.write(`${sentence}\n`);
      },
    );
}

/** `12` is item 12 of the split; `seed:5` is a prior draw with seed 5. */
function parseEndpoint(text: string, flag: string): { item: number } | { seed: number } {
  const seed = /^seed:(\d+)$/.exec(text);
  if (seed) return { seed: Number(seed[1]) };
  if (/^\d+$/.test(text)) return { item: Number(text) };
  throw new ConfigError(`expected an item index (e.g. 12) or seed:N, got "${text}"`, { path: flag });
}

export function interpolateCommand(): Command {
  return withDataFlags(
    new Command('interpolate')
      .description('decode a path between two codes (two dataset items, or two prior seeds) as a PNG strip')
      .argument('<run>', 'run directory (or its model directory)')
      .requiredOption('--from <a>', 'item index in the split, or seed:N')
      .requiredOption('--to <b>', 'item index in the split, or seed:N')
      .option(
        '--steps <n>',
        'images in the strip, ends included',
        parseNumber('--steps', { integer: true, min: 2 }),
        10,
      )
      .option('--slerp', 'spherical interpolation (suits Gaussian priors)')
      .option(
        '--class <k>',
        'conditional models: class for seed endpoints',
        parseNumber('--class', { integer: true, min: 0 }),
      )
      .option('--out <file.png>', 'strip path (default RUN/interpolation.png)'),
  ).action(
    async (
      run: string,
      flags: DataFlags & {
        from: string;
        to: string;
        steps: number;
        slerp?: boolean;
        class?: number;
        out?: string;
      },
    ) => {
      await startBackend(flags);
      const loaded = await loadModel(resolveModelDir(run));
      // Loaded once, for whichever ends are items.
      let split: Promise<Dataset> | undefined;
      const toEnd = async (text: string, flag: string): Promise<PathEnd> => {
        const end = parseEndpoint(text, flag);
        if ('seed' in end) return end;
        split ??= datasetFor(loaded, flags);
        const dataset = await split;
        if (end.item >= dataset.size)
          throw new ConfigError(
            `item ${end.item} is past the end of the ${flags.split} split (${dataset.size} items)`,
            { path: flag },
          );
        return { sample: subset(dataset, [end.item]) };
      };
      const ends = [await toEnd(flags.from, '--from'), await toEnd(flags.to, '--to')] as const;
      const path = await interpolationPath(loaded.model, ends, {
        steps: flags.steps,
        slerp: flags.slerp ?? false,
        fields: { ends: ['--from', '--to'] },
      });
      const images = decodePath(path, flags.class ?? path.sampleLabel ?? 0);
      const out = flags.out ?? join(run, 'interpolation.png');
      await writePng(out, images, 1, flags.steps);
      images.dispose();
      process.stdout.write(`${flags.steps} steps (${flags.slerp ? 'spherical' : 'linear'}) → ${out}\n`);
    },
  );
}

export function latentMapCommand(): Command {
  return withDataFlags(
    new Command('latent-map')
      .description(
        '2-D latent spaces: the decoder manifold as a grid image, and the codes of a split as a labelled scatter',
      )
      .argument('<run>', 'run directory (or its model directory)')
      .option('--size <n>', 'grid cells per side', parseNumber('--size', { integer: true, min: 2 }), 20)
      .option('--range <r>', 'grid spans [-r, r] on both axes', parseNumber('--range', { min: 0 }), 3)
      .option(
        '--class <k>',
        'conditional models: class to decode',
        parseNumber('--class', { integer: true, min: 0 }),
      )
      .option('--out-dir <dir>', 'where the two PNGs go (default RUN)'),
  ).action(
    async (
      run: string,
      flags: DataFlags & { size: number; range: number; class?: number; outDir?: string },
    ) => {
      await startBackend(flags);
      const loaded = await loadModel(resolveModelDir(run));
      const model = requireAutoencoder(loaded.model, 'latent-map');
      const dir = flags.outDir ?? run;
      const grid = latentManifold(model, flags.size, flags.range, flags.class);
      await writePng(join(dir, 'latent-manifold.png'), grid, flags.size, flags.size);
      grid.dispose();
      const dataset = await datasetFor(loaded, flags);
      const codes = await encodeDataset(model, dataset);
      await writeFileAtomic(
        join(dir, 'latent-scatter.png'),
        await encodeScatter(codes.data, dataset.labels, {
          classNames: dataset.classNames,
          title: `Latent codes of ${dataset.name} (${codes.rows})`,
          axisTitles: ['z1', 'z2'],
        }),
      );
      process.stdout.write(
        `manifold: ${join(dir, 'latent-manifold.png')}\nscatter:  ${join(dir, 'latent-scatter.png')} (${codes.rows} ${flags.split} codes)\n`,
      );
    },
  );
}

export function evaluateCommand(): Command {
  return withDataFlags(
    new Command('evaluate')
      .description(
        'test figures: reconstruction error; for latent-variable models the negative ELBO and the IWAE bound (nats per sample)',
      )
      .argument('<run>', 'run directory (or its model directory)')
      .option(
        '--k <n>',
        'importance samples for the IWAE bound',
        parseNumber('--k', { integer: true, min: 1 }),
        100,
      )
      .option('--seed <s>', 'random seed', parseNumber('--seed', { integer: true, min: 0 }), 0)
      .option(
        '--samples <n>',
        'generated samples scored by the domain classifier (0: skip)',
        parseNumber('--samples', { integer: true, min: 0 }),
        10_000,
      )
      .option('--json', 'print JSON'),
  ).action(
    async (run: string, flags: DataFlags & { k: number; seed: number; samples: number; json?: boolean }) => {
      await startBackend(flags);
      const loaded = await loadModel(resolveModelDir(run));
      const dataset = await datasetFor(loaded, flags);
      const command = `latentlab evaluate ${process.argv.slice(3).join(' ')}`.trim();
      const report: Record<string, unknown> = { run, data: dataset.name, samples: dataset.size, command };
      if (loaded.manifest.text) {
        const tasks = taskProgress();
        report.text = await evaluateText(loaded.model, dataset, {
          k: flags.k,
          seed: flags.seed,
          onProgress: tasks.onProgress,
        }).finally(() => tasks.stop());
      } else if (hasLikelihood(loaded.model)) {
        const tasks = taskProgress();
        Object.assign(
          report,
          await evaluateLikelihood(loaded.model, dataset, {
            k: flags.k,
            seed: flags.seed,
            onProgress: tasks.onProgress,
          }).finally(() => tasks.stop()),
        );
      } else if (isAutoencoder(loaded.model)) {
        report.mse = (await reconstructionErrors(loaded.model, dataset)).mean;
      }
      const classifier = domainClassifierFor(DataSpec.parse(loaded.manifest.data));

      if (isGenerative(loaded.model) && classifier && flags.samples > 0 && !flags.data) {
        const splits = await loadData(DataSpec.parse(loaded.manifest.data), {
          seed: loaded.manifest.context.seed,
        });
        report.quality = await generatedQuality(
          loaded.model,
          classifier,
          dataset,
          splits.train,
          flags.samples,
          flags.seed,
        );
      }
      const spec = DataSpec.parse(loaded.manifest.data);
      if (loaded.model instanceof GanModel && spec.source === 'toy' && !flags.data) {
        const scatter = join(existsSync(join(run, 'config.json')) ? run : dirname(run), 'scatter.png');
        // One draw serves the figures and the picture.
        const points = generatePoints(loaded.model, DEFAULT_EVAL_SAMPLES, flags.seed);
        if (!loaded.model.conditional)
          await writeToyScatter(scatter, loaded.model, scatterRealPoints(dataset), { generated: points });
        if (isToyMixture(spec.name)) {
          report.toy = {
            ...evaluateToyGan(loaded.model, spec.name, { points }),
            ...(loaded.model.conditional ? {} : { scatter }),
          };
        }
      }
      if (Object.keys(report).length === 4) {
        throw new ConfigError(
          `"${loaded.model.kind}" has no encoder, likelihood or domain classifier to evaluate with`,
        );
      }
      const reportFile = join(run, 'evaluation.json');
      if (existsSync(join(run, 'config.json')))
        await writeFileAtomic(reportFile, `${JSON.stringify(report, null, 2)}\n`);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(report)}\n`);
        return;
      }
      const lines = [`${dataset.name}: ${dataset.size} samples`];
      if (report.text) lines.push(...textLines(report.text as TextReport));
      if (report.mse !== undefined)
        lines.push(`reconstruction MSE per value: ${(report.mse as number).toPrecision(5)}`);
      if (report.negElbo !== undefined)
        lines.push(`negative ELBO: ${(report.negElbo as number).toFixed(2)} nats per sample`);
      const q = report.quality as GeneratedQuality | undefined;
      if (q) {
        lines.push(
          `${q.fdName}: ${q.frechetDistance.toFixed(3)} (train vs test floor ${q.floorFrechetDistance.toFixed(3)}); ` +
            `KID ${q.kernelDistance.mean.toFixed(4)} ± ${q.kernelDistance.std.toFixed(4)}; ` +
            `precision ${q.precision.toFixed(3)}, recall ${q.recall.toFixed(3)} (k=${q.k}); ` +
            `classes covered ${q.coverage.covered}/${q.coverage.numClasses}, KL from uniform ${q.coverage.klFromUniform.toFixed(4)} ` +
            `(${q.fakeSamples} samples)`,
        );
        if (q.labelAccuracy !== undefined)
          lines.push(
            `samples classified as the class asked for: ${(100 * q.labelAccuracy).toFixed(2)}% (${q.featureSpace})`,
          );
      }
      const toy = report.toy as (ModeCoverage & { scatter: string }) | undefined;
      if (toy) {
        lines.push(
          `modes covered: ${toy.modesCovered}/${toy.modes}; high-quality samples (within 3 std of a mode): ` +
            `${(100 * toy.highQuality).toFixed(1)}% of ${toy.samples}; scatter: ${toy.scatter}`,
        );
      }
      if (report.iwae !== undefined)
        lines.push(
          `IWAE bound on -log p(x), k=${flags.k}: ${(report.iwae as number).toFixed(2)} nats per sample`,
        );
      lines.push(`command: ${command}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    },
  );
}

/** The text figures of `evaluate`, one line each. */
function textLines(report: TextReport): string[] {
  const lines = [`${report.tokens} tokens in ${report.sentences} sentences`];
  if (report.nllPerToken !== undefined) {
    const from = report.k !== undefined ? `the IWAE bound, k=${report.k}` : 'exact';
    lines.push(
      `NLL per token: ${report.nllPerToken.toFixed(4)} nats (${from}); perplexity ${report.perplexity?.toFixed(2)}`,
    );
  }
  if (report.iwae !== undefined)
    lines.push(
      `per sentence: negative ELBO ${report.negElbo?.toFixed(2)} nats, IWAE bound ${report.iwae.toFixed(2)} nats, KL ${report.kl?.toFixed(2)} nats`,
    );
  if (report.activeUnits !== undefined)
    lines.push(
      `active units: ${report.activeUnits} of ${report.latent} (posterior mean variance above 0.01)`,
    );
  if (report.tokenAccuracy !== undefined)
    lines.push(`tokens reconstructed exactly: ${(100 * report.tokenAccuracy).toFixed(1)}%`);
  return lines;
}
