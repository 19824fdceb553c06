// `latentlab datasets`: which data sources are available on this machine, and how to get the others.
import { Command } from 'commander';
import { listLocalDatasets } from '../../data/load.js';

export function datasetsCommand(): Command {
  return new Command('datasets')
    .description('list data sources available locally (and how to get the missing ones)')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      const list = await listLocalDatasets();
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        return;
      }
      for (const d of list) {
        const sizes =
          d.train !== undefined ? ` train ${d.train}${d.test !== undefined ? `, test ${d.test}` : ''}` : '';
        const where = d.location ? ` at ${d.location}` : '';
        process.stdout.write(
          `${d.available ? 'yes' : 'no '}  ${d.spec.padEnd(16)}${sizes}${where}${d.note ? `  (${d.note})` : ''}\n`,
        );
      }
      process.stdout.write(
        'also: idx:PATH, csv:PATH (--label-column, --columns, --missing, --scaling), npz:PATH and npy:PATH (numpy arrays X and y), images:DIR (--image-size), text:PATH, audio:DIR (WAV; --label-pattern, --sample-rate, --duration)\n',
      );
    });
}
