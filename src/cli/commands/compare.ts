// `latentlab compare`: train several model families alike and judge them by the same figures (src/apps/compare.ts).
import { join } from 'node:path';
import { Command } from 'commander';
import {
  COMPARE_FAMILIES,
  compareFamilies,
  IMAGE_FAMILIES,
  parseCompareOptions,
  TEXT_FAMILIES,
  ZOO_FAMILIES,
} from '../../apps/compare.js';
import { progressCallbacks, taskProgress } from '../progress.js';
import {
  type AudioFlags,
  audioDataOptions,
  audioLabelOptions,
  backendOption,
  type CsvFlags,
  dataSpecFrom,
  type GlobalOptions,
  parseNumber,
  readJsonFile,
  startBackend,
  type TextFlags,
  textDataOptions,
  withCsvFlags,
} from '../shared.js';

interface CompareFlags extends GlobalOptions, CsvFlags, TextFlags, AudioFlags {
  data: string;
  families?: string;
  k: number;
  nllK: number;
  nllImages: number;
  latent: number;
  epochs: number;
  batchSize?: number;
  samples: number;
  limit: number;
  seed: number;
  permutations: number;
  out?: string;
  config?: string;
  json?: boolean;
}

const FLAGS: Record<string, string> = {
  batchSize: '--batch-size',
  nllK: '--nll-k',
  nllImages: '--nll-images',
};
const flagOf = (field: string) => FLAGS[field] ?? `--${field}`;

/** The command as typed, quoted where a shell would need it. */
function commandLine(): string {
  const args = process.argv
    .slice(3)
    .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`));
  return ['latentlab compare', ...args].join(' ');
}

export function compareCommand(): Command {
  const command = withCsvFlags(
    new Command('compare').option(
      '--data <spec>',
      'mnist | fashion-mnist | idx:PATH | csv:PATH | npz:PATH | npy:PATH | images:DIR | text:PATH | brown | spam-assassin',
      'mnist',
    ),
  )
    .description(
      'train several model families with one latent size and compare them: reconstruction, sample quality, linear probe, codes vs prior, speed; on text, NLL and perplexity against a language model',
    )
    .option(
      '--families <list>',
      `comma-separated, from ${COMPARE_FAMILIES.join(', ')} (default: ${IMAGE_FAMILIES.join(',')}; the VAE zoo ${ZOO_FAMILIES.join(',')} when named; on text ${TEXT_FAMILIES.filter((f) => f !== 'seq-ae').join(',')})`,
    )
    .option(
      '--latent <n>',
      'latent size of every family',
      parseNumber('--latent', { integer: true, min: 1 }),
      32,
    )
    .option('--epochs <n>', 'epochs per family', parseNumber('--epochs', { integer: true, min: 1 }), 20)
    .option(
      '--batch-size <n>',
      "mini-batch size (default: the family's, else 128)",
      parseNumber('--batch-size', { integer: true, min: 1 }),
    )
    .option(
      '--samples <n>',
      'generated samples scored per family (0: skip sample quality)',
      parseNumber('--samples', { integer: true, min: 0 }),
      10_000,
    )
    .option(
      '--limit <n>',
      'train on the first n training samples (0: all)',
      parseNumber('--limit', { integer: true, min: 0 }),
      0,
    )
    .option('--seed <n>', 'random seed', parseNumber('--seed', { integer: true, min: 0 }), 0)
    .option(
      '--permutations <n>',
      'relabellings for the codes-vs-prior p-value',
      parseNumber('--permutations', { integer: true, min: 1 }),
      200,
    )
    .option(
      '--k <n>',
      "text: importance samples of a VAE's IWAE bound on the NLL",
      parseNumber('--k', { integer: true, min: 1 }),
      100,
    )
    .option(
      '--nll-k <n>',
      'images: importance samples of the IWAE bound in the NLL column (models with a likelihood)',
      parseNumber('--nll-k', { integer: true, min: 1 }),
      1000,
    )
    .option(
      '--nll-images <n>',
      'images: the NLL column is measured on the first n test images (0: skip it)',
      parseNumber('--nll-images', { integer: true, min: 0 }),
      1000,
    )
    .option('--out <dir>', 'runs (DIR/<family>) and comparison files (default runs/compare-<data>-latent<n>)')
    .option('--config <file>', 'JSON object: family → model options, e.g. {"vae": {"beta": 2}}')
    .option('--json', 'print the comparison as JSON instead of the table')
    .addOption(backendOption())
    .action(async (flags: CompareFlags) => {
      const data = dataSpecFrom(flags.data, flags);
      const out = flags.out ?? join('runs', `compare-${data.source}-latent${flags.latent}`);
      const options = parseCompareOptions(
        {
          data,
          families: flags.families
            ?.split(',')
            .map((f) => f.trim())
            .filter(Boolean),
          k: flags.k,
          nllK: flags.nllK,
          nllImages: flags.nllImages,
          latent: flags.latent,
          epochs: flags.epochs,
          batchSize: flags.batchSize,
          samples: flags.samples,
          limit: flags.limit,
          seed: flags.seed,
          permutations: flags.permutations,
          out,
          overrides: flags.config ? await readJsonFile(flags.config) : {},
          overridesSource: flags.config ?? '--config',
          command: commandLine(),
        },
        flagOf,
      );
      const backend = await startBackend(flags);
      const progress = progressCallbacks();
      const tasks = taskProgress();
      const abort = new AbortController();
      const onSignal = () => {
        process.stderr.write('\nstopping after this batch; rerun the same command to resume\n');
        abort.abort();
      };
      process.once('SIGINT', onSignal);
      try {
        const result = await compareFamilies(options, {
          log: (line) => process.stderr.write(`${line}\n`),
          run: { callbacks: progress, signal: abort.signal, environment: { backend } },
          onProgress: tasks.onProgress,
        });
        if (result.aborted) {
          process.stdout.write(`stopped; rerun the same command to resume: ${options.command}\n`);
          return;
        }
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(result)}\n`);
          return;
        }
        const files = [result.files.markdown, result.files.json, result.files.png].filter(Boolean).join(', ');
        process.stdout.write(`\n${result.table}\n\n`);
        if (result.families.some((f) => f.sampler === 'gaussian fit to codes'))
          process.stdout.write('* samples from a Gaussian fitted to the training codes\n');
        if (result.fdName)
          process.stdout.write(
            `${result.fdName} floor (train vs test): ${result.floorFrechetDistance?.toFixed(2)}\n`,
          );
        process.stdout.write(`written: ${files}\n`);
      } finally {
        progress.stop();
        tasks.stop();
        process.off('SIGINT', onSignal);
      }
    });
  for (const option of [...textDataOptions(), ...audioDataOptions(), ...audioLabelOptions()])
    command.addOption(option);
  return command;
}
