// `latentlab augment`: labelled samples from a conditional model, written as a dataset latentlab reads back.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { augment, canJudge, parseClasses, type SampleJudge, TEXT_INSTEAD } from '../../apps/augment.js';
import { refuseText } from '../../apps/model-data.js';
import { type Dataset, keepLabelsPerClass } from '../../data/dataset.js';
import { loadData } from '../../data/load.js';
import { DataSpec } from '../../data/spec.js';
import { UsageError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { DatasetFormat, encodeIdxImages, encodeIdxLabels } from '../../io/dataset-files.js';
import { loadModel } from '../../io/model-files.js';
import type { TrainableModel } from '../../models/family.js';
import { resolveModelDir } from '../../train/run-dir.js';
import { backendOption, type GlobalOptions, parseNumber, startBackend } from '../shared.js';

interface AugmentFlags extends GlobalOptions {
  n: number;
  out: string;
  format?: DatasetFormat;
  classes?: number[];
  seed: number;
  withLabelled?: number;
  withTest?: boolean;
  judge?: string;
}

/** `self`: the model's own classify() head; otherwise a run whose model can classify (e.g. a classifier). */
async function judgeFor(which: string, model: TrainableModel): Promise<SampleJudge> {
  const judge = which === 'self' ? model : (await loadModel(resolveModelDir(which))).model;
  if (!canJudge(judge)) {
    throw new UsageError(
      which === 'self'
        ? `a "${model.kind}" has no classifier head to judge its samples (a semi-supervised aae has; or give a classifier run)`
        : `${which} holds a "${judge.kind}", which cannot classify: give a classifier run`,
      { path: '--judge' },
    );
  }
  return judge;
}

export function augmentCommand(): Command {
  return new Command('augment')
    .description(
      'generate labelled samples from a conditional model (cvae, gan --conditional) into an IDX pair, a CSV or ' +
        'PNG class folders, readable with --data idx:/csv:/images:',
    )
    .argument('<run>', 'run directory (or its model directory)')
    .requiredOption('--n <count>', 'samples to generate', parseNumber('--n', { integer: true, min: 1 }))
    .requiredOption(
      '--out <path>',
      'idx: a directory (or an images file whose name contains "images"); csv: the file; png: a directory',
    )
    .addOption(
      new Option('--format <format>', 'idx | csv | png (default: csv for a .csv path, else idx)').choices(
        DatasetFormat.options,
      ),
    )
    .option('--classes <list>', 'all, or class numbers such as 0,3', (v: string) => parseClasses(v))
    .option('--seed <s>', 'random seed', parseNumber('--seed', { integer: true, min: 0 }), 0)
    .option(
      '--with-labelled <n>',
      "put the n labelled training samples per class of the model's own data first (as --labels-per-class n keeps)",
      parseNumber('--with-labelled', { integer: true, min: 1 }),
    )
    .option(
      '--judge <self|run>',
      "keep only samples that a classifier puts in their class: 'self' (a semi-supervised AAE's own head) or a classifier run",
    )
    .option(
      '--with-test',
      "idx into a directory: also write the model data's test split as t10k-images-idx3-ubyte/t10k-labels-idx1-ubyte",
    )
    .addOption(backendOption())
    .action(async (run: string, flags: AugmentFlags) => {
      const format = flags.format ?? (flags.out.toLowerCase().endsWith('.csv') ? 'csv' : 'idx');
      const intoDirectory = format === 'idx' && !flags.out.split(/[\\/]/).pop()?.includes('images');
      if (flags.withTest && !intoDirectory) {
        throw new UsageError('--with-test needs --format idx with --out a directory', {
          path: '--with-test',
        });
      }
      await startBackend(flags);
      const loaded = await loadModel(resolveModelDir(run));
      // Before any data is read: a text run's data would load only to be refused.
      refuseText(loaded.model, 'augment', TEXT_INSTEAD);
      const judge = flags.judge ? await judgeFor(flags.judge, loaded.model) : undefined;
      let real: Dataset | undefined;
      let test: Dataset | undefined;
      if (flags.withLabelled || flags.withTest) {
        // The same splits the trainer made: the run's seed and validation share.
        let validationFraction: number | undefined;
        const config = join(run, 'config.json');
        if (existsSync(config))
          validationFraction = JSON.parse(await readFile(config, 'utf8')).train?.validationFraction;
        const splits = await loadData(DataSpec.parse(loaded.manifest.data), {
          seed: loaded.manifest.context.seed,
          validationFraction,
          scaling: loaded.manifest.scaling,
        });
        if (flags.withLabelled) real = keepLabelsPerClass(splits.train, flags.withLabelled).labelledOnly;
        test = splits.test;
      }
      const result = await augment(loaded.model, {
        n: flags.n,
        classes: flags.classes,
        seed: flags.seed,
        format,
        out: flags.out,
        real,
        judge,
      });
      const lines = [
        `${flags.n} generated samples${real ? ` after ${real.size} real labelled ones` : ''} → ${result.files.join(', ')}`,
        `per class: ${result.perClass.map((n, k) => `${k}: ${n}`).join(', ')}`,
        `read it with --data ${result.spec}`,
      ];
      if (flags.withTest && test?.labels) {
        const images = join(flags.out, 't10k-images-idx3-ubyte');
        await writeFileAtomic(images, encodeIdxImages(test));
        await writeFileAtomic(join(flags.out, 't10k-labels-idx1-ubyte'), encodeIdxLabels(test.labels));
        lines.push(
          `test split (${test.size} real samples) → ${images}; LATENTLAB_DATA=${flags.out} --data fashion-mnist reads ` +
            'the pair as train and test parts',
        );
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
