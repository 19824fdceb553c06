// `latentlab detect`: anomaly scores, calibrated flags, AUROC/AUPRC and heat maps (src/apps/detect.ts).
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  AnomalyScore,
  DEFAULT_NEIGHBOURS,
  DetectOptions,
  type DetectOptionsInput,
  detectRun,
  parseDetectOptions,
  TextScoreUnit,
} from '../../apps/detect.js';
import { DataSplit } from '../../apps/model-data.js';
import { ConfigError } from '../../errors.js';
import { taskProgress } from '../progress.js';
import {
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

interface DetectFlags extends GlobalOptions, CsvFlags {
  data?: string;
  split?: DataSplit;
  limit?: number;
  score?: AnomalyScore;
  per?: TextScoreUnit;
  quantile?: number;
  contamination?: number;
  calibration: DataSplit;
  normalClass?: number[];
  top: number;
  seed: number;
  elboSamples: number;
  neighbours?: number;
  out?: string;
  json?: boolean;
}

const FLAGS: Record<string, string> = {
  normalClasses: '--normal-class',
  elboSamples: '--elbo-samples',
};
const flagOf = (field: string) => FLAGS[field] ?? `--${field}`;

/** An option error from the library, renamed to the flag that set it (normalClasses → --normal-class). */
function asFlagError(error: unknown): unknown {
  if (!(error instanceof ConfigError) || !error.path) return error;
  if (!(error.path in DetectOptions.shape) && error.path !== 'split') return error;
  return new ConfigError(error.message.slice(error.path.length + 2), {
    path: flagOf(error.path),
    cause: error,
  });
}

function parseClasses(value: string): number[] {
  const classes = value.split(',').map((part) => Number(part.trim()));
  if (value.trim() === '' || classes.some((c) => !Number.isInteger(c) || c < 0))
    throw new InvalidArgumentError(
      `expected class numbers such as 3 or 0,1 for --normal-class, got "${value}"`,
    );
  return classes;
}

const percent = (v: number) => `${(100 * v).toFixed(2)}%`;

export function detectCommand(): Command {
  const command = new Command('detect')
    .description(
      'anomaly detection: score samples by reconstruction error, negative ELBO, Mahalanobis distance of codes or mean distance to the nearest normal codes (knn); flag those above a threshold calibrated on held-out normal data; AUROC/AUPRC with labels; heat maps of the top anomalies',
    )
    .argument('<run>', 'run directory (or its model directory) of a model trained on normal data')
    .option('--data <spec>', "data to score (default: the model's own)")
    .addOption(labelColumnOption())
    .addOption(noHeaderOption())
    .addOption(skipRowsOption())
    .addOption(
      new Option(
        '--split <name>',
        "which split of the run's own data to score (default test); other --data is scored whole, in file order",
      ).choices(DataSplit.options),
    )
    .option(
      '--limit <n>',
      'score the first n samples only',
      parseNumber('--limit', { integer: true, min: 1 }),
    )
    .addOption(
      new Option(
        '--score <kind>',
        'mse | bce (reconstruction), elbo (VAEs), nll (text models), mahalanobis (codes), knn (mean distance to the nearest normal training codes); default mse, for text elbo (seq-vae) or nll',
      ).choices(AnomalyScore.options),
    )
    .addOption(
      new Option('--per <unit>', 'text: elbo and nll per token (default) or per sentence').choices(
        TextScoreUnit.options,
      ),
    )
    .option(
      '--quantile <q>',
      'threshold at this quantile of the calibration scores (default 0.99)',
      parseNumber('--quantile'),
    )
    .option(
      '--contamination <c>',
      'or: share of the calibration data taken to be anomalous (threshold at the 1 - c quantile)',
      parseNumber('--contamination'),
    )
    .addOption(
      new Option('--calibration <split>', "split of the model's own data that calibrates the threshold")
        .choices(DataSplit.options)
        .default('validation'),
    )
    .option(
      '--normal-class <k>',
      'one-class protocol: class(es) K[,K2] are normal, the rest anomalous (calibration keeps class K only)',
      parseClasses,
    )
    .option(
      '--top <n>',
      'heat maps of the n highest scores (images)',
      parseNumber('--top', { integer: true, min: 0 }),
      16,
    )
    .option('--seed <s>', 'seed of the ELBO draws', parseNumber('--seed', { integer: true, min: 0 }), 0)
    .option(
      '--elbo-samples <n>',
      'ELBO estimates averaged per sample',
      parseNumber('--elbo-samples', { integer: true, min: 1 }),
      1,
    )
    .option(
      '--neighbours <k>',
      `knn: nearest normal training codes averaged over (default ${DEFAULT_NEIGHBOURS})`,
      parseNumber('--neighbours', { integer: true, min: 1 }),
    )
    .option('--out <dir>', 'output directory, replaced whole (default RUN/detect)')
    .option('--json', 'print the summary as JSON')
    .addOption(backendOption())
    .action(async (run: string, flags: DetectFlags) => {
      const raw: DetectOptionsInput = {
        score: flags.score,
        per: flags.per,
        quantile: flags.quantile,
        contamination: flags.contamination,
        normalClasses: flags.normalClass,
        top: flags.top,
        seed: flags.seed,
        elboSamples: flags.elboSamples,
        neighbours: flags.neighbours,
      };
      const options = parseDetectOptions(raw, flagOf);
      const data = flags.data ? dataSpecFrom(flags.data, flags) : undefined;
      await startBackend(flags);
      const command = ['latentlab detect', ...process.argv.slice(3)].join(' ');
      const tasks = taskProgress();
      const {
        detection: d,
        files,
        heatmapError,
        heatmapMax,
      } = await detectRun(
        {
          run,
          data,
          split: flags.split,
          calibration: flags.calibration,
          limit: flags.limit ?? 0,
          out: flags.out,
          options,
          command,
        },
        { ...tasks, onDataNote: (note) => process.stderr.write(`data: ${note}\n`) },
      )
        .catch((error) => {
          throw asFlagError(error);
        })
        .finally(() => tasks.stop());
      if (flags.json) {
        process.stdout.write(
          `${JSON.stringify({ ...d, scores: undefined, flags: undefined, labels: undefined, baseline: d.baseline && { ...d.baseline, scores: undefined }, files })}\n`,
        );
        return;
      }
      const t = d.threshold;
      const lines = [
        `${d.data}: ${d.samples} samples scored by ${d.score}${d.per ? ` per ${d.per}` : ''}`,
        `threshold ${t.value.toPrecision(5)}: the ${t.quantile} quantile of ${t.calibrationSamples} normal scores (${t.calibration})`,
        `flagged: ${d.flagged} of ${d.samples} (${percent(d.flagged / Math.max(1, d.samples))})`,
      ];
      const e = d.evaluation;
      if (e) {
        lines.push(
          `${e.rule}: ${e.anomalies} anomalies`,
          `AUROC ${e.auroc.toFixed(4)}   AUPRC ${e.auprc.toFixed(4)} (chance ${e.auprcChance.toFixed(4)})`,
          `at the threshold: ${percent(e.atThreshold.truePositiveRate)} of anomalies flagged, ${percent(e.atThreshold.falsePositiveRate)} of normal samples; precision ${percent(e.atThreshold.precision)}`,
        );
      } else if (d.labels) {
        lines.push('labels are classes: pass --normal-class K for AUROC and AUPRC');
      }
      const b = d.baseline;
      if (b) {
        lines.push(
          `baseline: ${b.method}, fitted on ${b.fitSamples} normal rows of ${b.fittedOn}; flagged ${b.flagged} of ${d.samples}`,
        );
        if (b.evaluation)
          lines.push(
            `baseline AUROC ${b.evaluation.auroc.toFixed(4)}   AUPRC ${b.evaluation.auprc.toFixed(4)} (same rows)`,
          );
      }
      lines.push(`scores:    ${files.scores}`, `summary:   ${files.summary}`);
      if (files.heatmaps)
        lines.push(
          `heat maps: ${files.heatmaps} (original | reconstruction | ${heatmapError}, brightest at ${heatmapMax?.toPrecision(3)}), one per anomaly in ${files.heatmapDir}`,
        );
      process.stdout.write(`${lines.join('\n')}\n`);
    });
  // How other csv: data is read when the model has no saved table encoding to read it with.
  for (const option of tableDataOptions()) command.addOption(option);
  return command;
}
