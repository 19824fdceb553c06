// `latentlab benchmark impute --data csv:FILE`: hide observed cells at random and score every imputer on them
// (src/apps/benchmark-impute.ts). Wired under `latentlab benchmark` in main.ts.
import { Command, Option } from 'commander';
import { benchmarkImpute, IMPUTE_METHODS, ImputeMethod } from '../../apps/benchmark-impute.js';
import { UsageError } from '../../errors.js';
import { taskProgress } from '../progress.js';
import {
  backendOption,
  type CsvFlags,
  dataSpecFrom,
  type GlobalOptions,
  parseNumber,
  startBackend,
  withCsvFlags,
} from '../shared.js';

interface BenchmarkImputeFlags extends GlobalOptions, CsvFlags {
  data: string;
  seeds: number;
  rate: number;
  methods: ImputeMethod[];
  k: number;
  steps: number;
  patience: number;
  batchSize: number;
  out?: string;
  json?: boolean;
}

function parseMethods(value: string): ImputeMethod[] {
  const methods = value.split(',').map((m) => m.trim());
  for (const method of methods)
    if (!ImputeMethod.safeParse(method).success)
      throw new UsageError(`unknown imputer "${method}": expected some of ${IMPUTE_METHODS.join(', ')}`, {
        path: '--methods',
      });
  return methods as ImputeMethod[];
}

export function benchmarkImputeCommand(): Command {
  const command = new Command('impute')
    .description(
      'hide a share of a table’s observed cells at random and score imputers on them: mean/mode, kNN, MICE, table-ae, table-vae and GAIN (RMSE in standard deviations on numbers, accuracy on categories; mean ± sd over seeds)',
    )
    .requiredOption('--data <spec>', 'the table: csv:FILE')
    .option(
      '--seeds <n>',
      'seeds 0 .. n-1, each hiding other cells',
      parseNumber('--seeds', { integer: true, min: 1 }),
      3,
    )
    .option('--rate <share>', 'share of observed cells hidden', parseNumber('--rate', { min: 0 }), 0.2)
    .addOption(
      new Option('--methods <list>', `imputers, separated by commas (${IMPUTE_METHODS.join(', ')})`)
        .argParser(parseMethods)
        .default([...IMPUTE_METHODS]),
    )
    .option('--k <n>', 'neighbours of kNN', parseNumber('--k', { integer: true, min: 1 }), 5)
    .option(
      '--steps <n>',
      'optimiser steps each model trains for at most',
      parseNumber('--steps', { integer: true, min: 1 }),
      2000,
    )
    .option(
      '--patience <n>',
      'epochs without improvement of the held-out rows’ loss before a model stops',
      parseNumber('--patience', { integer: true, min: 1 }),
      10,
    )
    .option(
      '--batch-size <n>',
      'rows per optimiser step of the models',
      parseNumber('--batch-size', { integer: true, min: 1 }),
      128,
    )
    .option('--out <dir>', 'write impute.md and impute.json there')
    .option('--json', 'print the report as JSON')
    .addOption(backendOption());
  withCsvFlags(command);
  return command.action(async (flags: BenchmarkImputeFlags) => {
    const data = dataSpecFrom(flags.data, flags);
    await startBackend(flags);
    const tasks = taskProgress();
    const report = await benchmarkImpute(
      {
        data,
        seeds: flags.seeds,
        rate: flags.rate,
        methods: flags.methods,
        k: flags.k,
        steps: flags.steps,
        patience: flags.patience,
        batchSize: flags.batchSize,
        out: flags.out,
        command: `latentlab benchmark impute ${process.argv.slice(4).join(' ')}`.trim(),
      },
      { log: (line) => process.stderr.write(`${line}\n`), onProgress: tasks.onProgress },
    ).finally(() => tasks.stop());
    if (flags.json) {
      const { markdown: _markdown, ...rest } = report;
      process.stdout.write(`${JSON.stringify(rest)}\n`);
      return;
    }
    process.stdout.write(report.markdown);
    if (report.files) process.stdout.write(`\nreport: ${report.files.markdown}, ${report.files.json}\n`);
  });
}
