// `latentlab detect` on streamed data (data larger than memory): the threshold calibrated on the validation rows
// and the scored rows read a block at a time. What is held grows with the rows, never with their size: a score,
// a label and an id per scored row (for AUROC and the ranking), plus the Gaussian's or the neighbours' codes of
// the first FIT_ROWS training rows for mahalanobis and knn. No heat maps: their rows would need a second pass.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Dataset, makeDataset } from '../data/dataset.js';
import type { StreamableSpec } from '../data/stream/sources.js';
import type { RowBlock } from '../data/stream/streamed.js';
import { calibrateThreshold } from '../eval/anomaly.js';
import type { OnProgress } from '../eval/progress.js';
import { writeDirAtomic } from '../io/atomic.js';
import type { LoadedModel } from '../io/model-files.js';
import {
  anomalyScorer,
  anomalyTruth,
  DEFAULT_QUANTILE,
  type Detection,
  type DetectOptions,
  defaultScore,
  detectionSummary,
  evaluateScores,
  normalOnly,
  scoresCsv,
} from './detect.js';
import { type DataSplit, modelStream, modelStreamHead } from './model-data.js';

/** Training rows the Mahalanobis Gaussian and the knn neighbours are fitted on, for streamed data. */
export const FIT_ROWS = 20_000;

async function* capped(blocks: AsyncIterable<RowBlock>, limit: number): AsyncGenerator<RowBlock> {
  let done = 0;
  for await (const block of blocks) {
    if (done >= limit) break;
    const take = Math.min(block.rows, limit - done);
    const per = block.x.length / block.rows;
    yield take === block.rows
      ? block
      : {
          rows: take,
          x: block.x.subarray(0, take * per),
          ...(block.labels ? { labels: block.labels.subarray(0, take) } : {}),
          rowNumbers: block.rowNumbers.subarray(0, take),
          ...(block.ids ? { ids: block.ids.slice(0, take) } : {}),
        };
    done += take;
  }
}

const blockDataset = (
  name: string,
  shape: readonly number[],
  block: RowBlock,
  classNames?: readonly string[],
) => ({
  ...makeDataset(name, shape, block.x, block.labels, classNames),
  ids: Array.from({ length: block.rows }, (_, i) => block.ids?.[i] ?? String(block.rowNumbers[i])),
});

export interface StreamDetectOptions {
  split: DataSplit | 'all';
  limit: number;
  out: string;
  command?: string;
  run: string;
}

/** Scores streamed rows, calibrated on the model's own streamed validation rows; writes DIR/scores.csv and summary.json. */
export async function detectStreamRun(
  loaded: LoadedModel,
  spec: StreamableSpec,
  ownSpec: StreamableSpec,
  options: DetectOptions,
  run: StreamDetectOptions,
  hooks: { onProgress?: OnProgress } = {},
): Promise<{ detection: Detection; files: { dir: string; scores: string; summary: string } }> {
  const model = loaded.model;
  const score = options.score ?? defaultScore(model);
  const shape = model.context.sampleShape;
  const own = (split: DataSplit) => modelStream(loaded, ownSpec, split);
  let fit: Dataset | undefined;
  if (score === 'mahalanobis' || score === 'knn') {
    const head = await modelStreamHead(loaded, ownSpec, 'train', FIT_ROWS);
    fit = normalOnly({ ...head, name: `${head.name} (first ${head.size} rows)` }, options.normalClasses);
  }
  const scorer = await anomalyScorer(model, score, { ...options, ...(fit ? { fit } : {}) });
  // Calibration: the validation rows, normal ones only, scored a block at a time.
  const validation = await own('validation');
  const calibrationScores: number[] = [];
  for await (const block of validation.blocks()) {
    const set = blockDataset(validation.name, shape, block, validation.classNames);
    const normal = options.normalClasses && set.labels ? normalOnly(set, options.normalClasses) : set;
    if (normal.size > 0) calibrationScores.push(...(await scorer.scores(normal)));
  }
  const threshold = calibrateThreshold(
    Float32Array.from(calibrationScores),
    options.contamination !== undefined
      ? { contamination: options.contamination }
      : { quantile: options.quantile ?? DEFAULT_QUANTILE },
  );
  // The scored rows.
  const scored = await modelStream(loaded, spec, run.split);
  const total = run.limit > 0 ? Math.min(run.limit, scored.rows) : scored.rows;
  const scores = new Float32Array(total);
  const labels = scored.classNames ? new Int32Array(total) : undefined;
  const ids: string[] = [];
  let done = 0;
  for await (const block of capped(scored.blocks(), total)) {
    const set = blockDataset(scored.name, shape, block, scored.classNames);
    scores.set(await scorer.scores(set), done);
    if (labels && block.labels) labels.set(block.labels, done);
    ids.push(...set.ids);
    done += block.rows;
    hooks.onProgress?.({ task: 'score', done, total });
  }
  const flags = Uint8Array.from(scores, (s) => (s > threshold.value ? 1 : 0));
  const truth = labels
    ? anomalyTruth(
        {
          name: scored.name,
          sampleShape: shape,
          size: total,
          x: new Float32Array(0),
          labels,
          classNames: scored.classNames,
        },
        options.normalClasses,
      )
    : undefined;
  const order = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a]);
  const detection: Detection = {
    score,
    data: scored.name,
    samples: total,
    scores,
    flags,
    threshold: { ...threshold, calibration: validation.name },
    flagged: flags.reduce((a, f) => a + f, 0),
    ...(labels ? { labels } : {}),
    ids,
    top: order.slice(0, options.top),
    evaluation: evaluateScores(scores, flags, truth),
  };
  const files = { dir: run.out, scores: join(run.out, 'scores.csv'), summary: join(run.out, 'summary.json') };
  await mkdir(join(run.out, '..'), { recursive: true });
  await writeDirAtomic(run.out, async (temp) => {
    await writeFile(join(temp, 'scores.csv'), scoresCsv(detection));
    const summary = detectionSummary(detection, {
      run: run.run,
      ...(run.command ? { command: run.command } : {}),
      scored:
        run.split === 'all'
          ? 'all rows, in file order (streamed)'
          : `the ${run.split} split of the run's own data (streamed)`,
      ids: "the rows' own: 1-based row numbers of a Parquet or Arrow file, image file names",
      ...(fit
        ? { fittedOn: `${fit.name}: the first training rows, as streamed data is not held whole` }
        : {}),
    });
    await writeFile(join(temp, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  });
  return { detection, files };
}
