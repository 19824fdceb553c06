// `latentlab benchmark anomaly`: ADBench's unsupervised protocol on a folder of .npz files (src/apps/benchmark-anomaly.ts).
import { Command } from 'commander';
import { BenchmarkAnomalyOptions, benchmarkAnomaly, DETECTORS } from '../../apps/benchmark-anomaly.js';
import { parseOrThrow } from '../../errors.js';
import { backendOption, type GlobalOptions, parseNumber, startBackend } from '../shared.js';

interface BenchmarkAnomalyFlags extends GlobalOptions {
  data: string;
  out: string;
  seeds: number;
  detectors?: string;
  development?: boolean;
}

/** The command as typed, quoted where a shell would need it. */
function commandLine(): string {
  const args = process.argv
    .slice(4)
    .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`));
  return ['latentlab benchmark anomaly', ...args].join(' ');
}

export function benchmarkAnomalyCommand(): Command {
  return new Command('anomaly')
    .description(
      "ADBench's unsupervised protocol on every .npz (X, y) in a folder: stratified 70/30 splits, detectors fitted without labels, AUROC and AUPRC on the 30%",
    )
    .requiredOption('--data <dir>', 'folder of .npz files with X (rows, features) and y (1 = anomaly)')
    .option('--out <dir>', 'where anomaly-benchmark.md and anomaly-benchmark.json go', 'anomaly-benchmark')
    .option('--seeds <n>', 'splits (seeds 0 .. n-1)', parseNumber('--seeds', { integer: true, min: 1 }), 3)
    .option('--detectors <list>', `comma-separated, from ${DETECTORS.join(', ')} (default: all)`)
    .option(
      '--development',
      'score on a stratified 30% of the training part, leaving the test part unused (for choosing defaults)',
    )
    .addOption(backendOption())
    .action(async (flags: BenchmarkAnomalyFlags) => {
      await startBackend(flags);
      const options = parseOrThrow(
        BenchmarkAnomalyOptions,
        {
          data: flags.data,
          out: flags.out,
          seeds: flags.seeds,
          detectors: flags.detectors?.split(',').map((d) => d.trim()),
          development: flags.development ?? false,
        },
        (field) => `--${field}`,
      );
      const { report, files } = await benchmarkAnomaly(options, {
        onLine: (line) => process.stderr.write(`${line}\n`),
        command: commandLine(),
      });
      const ranked = Object.entries(report.summary).sort((a, b) => b[1].meanAuroc - a[1].meanAuroc);
      for (const [name, s] of ranked)
        process.stdout.write(
          `${name.padEnd(10)} mean AUROC ${s.meanAuroc.toFixed(3)}  mean AUPRC ${s.meanAuprc.toFixed(3)}  mean rank ${s.meanRank.toFixed(2)}\n`,
        );
      process.stdout.write(`wrote ${files.markdown} and ${files.json}\n`);
    });
}
