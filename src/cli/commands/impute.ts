// `latentlab impute RUN --data csv:FILE --out FILE`: fill a table's missing cells with a trained table model
// (src/apps/impute.ts).
import { Command, Option } from 'commander';
import { imputeTable } from '../../apps/impute.js';
import { taskProgress } from '../progress.js';
import {
  backendOption,
  type CsvFlags,
  dataSpecFrom,
  type GlobalOptions,
  labelColumnOption,
  noHeaderOption,
  parseMissing,
  parseNumber,
  skipRowsOption,
  startBackend,
} from '../shared.js';

interface ImputeFlags extends GlobalOptions, CsvFlags {
  data: string;
  out: string;
  rounds: number;
  json?: boolean;
}

export function imputeCommand(): Command {
  return new Command('impute')
    .description(
      'fill the missing cells of a table with a trained table-ae, table-vae or gain model; writes the table as CSV with its columns and types, observed cells as they were',
    )
    .argument('<run>', 'run directory (or its model directory) of a table model')
    .requiredOption(
      '--data <spec>',
      'the table: csv:FILE (read with the model’s missing tokens and column types)',
    )
    .requiredOption('--out <file.csv>', 'where the filled table goes (written atomically)')
    .addOption(labelColumnOption())
    .addOption(noHeaderOption())
    .addOption(skipRowsOption())
    .addOption(
      new Option(
        '--missing <tokens>',
        "cell texts read as missing besides the model's own tokens, separated by commas (a file that marks gaps its own way)",
      ).argParser(parseMissing),
    )
    .option(
      '--rounds <n>',
      'passes of the model: the first from the observed cells, each later one from the previous fill',
      parseNumber('--rounds', { integer: true, min: 1 }),
      1,
    )
    .option('--json', 'print the cells filled per column as JSON')
    .addOption(backendOption())
    .action(async (run: string, flags: ImputeFlags) => {
      const data = dataSpecFrom(flags.data, flags);
      await startBackend(flags);
      const tasks = taskProgress();
      const result = await imputeTable({
        run,
        data,
        out: flags.out,
        rounds: flags.rounds,
        onProgress: tasks.onProgress,
      }).finally(() => tasks.stop());
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(result)}\n`);
        return;
      }
      const total = result.filled.reduce((sum, c) => sum + c.cells, 0);
      const width = Math.max(...result.filled.map((c) => c.column.length));
      const lines = [
        ...result.notes.map((note) => `data: ${note} (kept as they are)`),
        `filled ${total} cells in ${result.rows} rows → ${result.out}`,
        ...result.filled.map((c) => `  ${c.column.padEnd(width)}  ${c.cells}`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
