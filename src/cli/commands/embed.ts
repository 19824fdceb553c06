// `latentlab embed`: codes of any dataset, a 2-D map, and representation quality beside PCA (src/apps/embed.ts).
import { Command, Option } from 'commander';
import { EmbedMap, embedRun, type RepresentationQuality } from '../../apps/embed.js';
import { DataSplit } from '../../apps/model-data.js';
import { MatrixFormat } from '../../io/arrays.js';
import { taskProgress } from '../progress.js';
import {
  type AudioFlags,
  audioLabelOptions,
  backendOption,
  type CsvFlags,
  dataSpecFrom,
  type GlobalOptions,
  labelColumnOption,
  noHeaderOption,
  parseNumber,
  skipRowsOption,
  startBackend,
  tableDataOptions,
} from '../shared.js';

interface EmbedFlags extends GlobalOptions, CsvFlags, Pick<AudioFlags, 'labelPattern' | 'labelBy'> {
  data?: string;
  split: DataSplit;
  limit?: number;
  out: string;
  format?: MatrixFormat;
  map?: EmbedMap;
  mapOut?: string;
  probe?: boolean;
  probeLimit: number;
  seed: number;
  json?: boolean;
}

/** The probe and NMI of the codes over the baseline's (PCA, TF-IDF → PCA, MFCC → PCA), as aligned lines. */
export function qualityLines(q: RepresentationQuality): string[] {
  const pct = (v: number) => `${(100 * v).toFixed(2)}%`.padStart(7);
  const rows = [
    [`codes (${q.dims}-D)`, q.codes],
    [q.pca.name, q.pca],
  ] as const;
  const width = Math.max(...rows.map(([name]) => name.length));
  const predicting = q.labelBy ? `, predicting the ${q.labelBy}` : '';
  return [
    `representation quality on ${q.split} (probe trained on ${q.trainSplit}${predicting}; k-means with k = ${q.clusters}):`,
    `  ${''.padEnd(width)}  probe accuracy  k-means NMI`,
    ...rows.map(
      ([name, r]) =>
        `  ${name.padEnd(width)}  ${pct(r.probe.accuracy).padStart(14)}  ${r.nmi.toFixed(4).padStart(11)}`,
    ),
    `  (majority-class chance ${pct(q.codes.probe.chance).trim()})`,
  ];
}

export function embedCommand(): Command {
  const command = new Command('embed')
    .description(
      'export the codes of any dataset, draw a 2-D map of them (UMAP or PCA) coloured by label, and measure representation quality (linear probe, k-means NMI) beside PCA of the same size',
    )
    .argument('<run>', 'run directory (or its model directory)')
    .requiredOption('--out <file>', 'codes: .csv (with labels), .json or .npy')
    .addOption(
      new Option('--format <format>', 'csv | json | npy (default: from --out)').choices(MatrixFormat.options),
    )
    .option('--data <spec>', "data to embed (default: the model's own)")
    .addOption(labelColumnOption())
    .addOption(noHeaderOption())
    .addOption(skipRowsOption())
    .addOption(new Option('--split <name>', 'which split').choices(DataSplit.options).default('test'))
    .option(
      '--limit <n>',
      'embed the first n samples only',
      parseNumber('--limit', { integer: true, min: 1 }),
    )
    .addOption(new Option('--map <method>', 'draw a 2-D map of the codes').choices(EmbedMap.options))
    .option(
      '--map-out <file.png>',
      'where the map goes (default: beside --out, e.g. codes-umap.png; implies --map umap)',
    )
    .option(
      '--probe',
      'linear-probe accuracy and k-means NMI of the codes, beside PCA with as many dimensions',
    )
    .option(
      '--probe-limit <n>',
      'fit the probe and PCA on the first n training samples (0: all)',
      parseNumber('--probe-limit', { integer: true, min: 0 }),
      0,
    )
    .option('--seed <s>', 'seed of UMAP and k-means', parseNumber('--seed', { integer: true, min: 0 }), 0)
    .option('--json', 'print the results as JSON')
    .addOption(backendOption())
    .action(async (run: string, flags: EmbedFlags) => {
      const data = flags.data ? dataSpecFrom(flags.data, flags) : undefined;
      await startBackend(flags);
      const tasks = taskProgress();
      const result = await embedRun(
        {
          run,
          data,
          split: flags.split,
          limit: flags.limit ?? 0,
          out: flags.out,
          format: flags.format,
          map: flags.map,
          mapOut: flags.mapOut,
          probe: flags.probe ?? false,
          probeLimit: flags.probeLimit,
          labelBy: flags.labelBy,
          seed: flags.seed,
        },
        tasks,
      ).finally(() => tasks.stop());
      if (flags.json) {
        const { codes, labels: _labels, map, ...rest } = result;
        process.stdout.write(
          `${JSON.stringify({
            ...rest,
            codes: { rows: codes.rows, cols: codes.cols },
            ...(map ? { map: { method: map.method, seconds: map.seconds } } : {}),
          })}\n`,
        );
        return;
      }
      const lines = [
        `${result.codes.rows} codes of size ${result.codes.cols} (${result.data}) → ${result.files.codes}`,
      ];
      if (result.map)
        lines.push(
          `map: ${result.files.map} (${result.map.method}, ${result.map.seconds.toFixed(1)} s${result.labels ? ', coloured by label' : ''})`,
        );
      if (result.quality) lines.push(...qualityLines(result.quality));
      process.stdout.write(`${lines.join('\n')}\n`);
    });
  // --label-pattern for audio:DIR given as --data; --label-by speaker probes FSDD codes for the speaker.
  for (const option of [...tableDataOptions(), ...audioLabelOptions()]) command.addOption(option);
  return command;
}
