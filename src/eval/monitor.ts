// Per-epoch watch over generative runs, so mode collapse shows while training rather than after: exact mode
// metrics and a real-vs-generated scatter over the discriminator's surface on 2-D toy data, class coverage by
// the shipped domain classifier on MNIST and Fashion-MNIST, and a warning whenever coverage drops below the
// run's best so far or falls short of the data itself (a run collapsed from its first epoch has no better past).
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DataSplits } from '../data/dataset.js';
import { isToyMixture, TOY_MIXTURES } from '../data/sources/toy2d.js';
import type { DataSpec } from '../data/spec.js';
import { tf } from '../engine/tf.js';
import type { ClassifierModel } from '../models/classifier/model.js';
import {
  type GenerativeModel,
  generatesClasses,
  isGenerative,
  type TrainableModel,
} from '../models/family.js';
import { classifierLabels, loadDomainClassifier } from './domain-classifier.js';
import { labelAccuracy } from './generate.js';
import { classCoverage, klBetweenHistograms } from './metrics.js';
import { domainClassifierFor } from './quality.js';
import {
  DEFAULT_EVAL_SAMPLES,
  generatePoints,
  modeCoverage,
  scatterRealPoints,
  writeToyScatter,
} from './toy2d.js';

/** What the monitor reads of an earlier epoch (a metrics.jsonl record): its number and its monitor figures. */
export interface MonitoredEpoch {
  epoch: number;
  monitor?: Record<string, number>;
}

export interface MonitorReport {
  /** Recorded in the epoch's record (metrics.jsonl) under `monitor`. */
  metrics: Record<string, number>;
  warnings: string[];
  /** Pictures written for this epoch. */
  images?: string[];
}

/** Watches a run after each epoch (the training loop calls it); `history` holds the earlier epochs' records. */
export interface EpochMonitor {
  observe(epoch: number, history: readonly MonitoredEpoch[]): Promise<MonitorReport>;
  dispose?(): void;
}

/** Samples the image monitor classifies each epoch: enough for a 10-class histogram, about a second of work. */
export const MONITOR_IMAGE_SAMPLES = 1000;
/**
 * Samples of a model with an autoregressive prior (vq-vae: 49 prior passes a draw): 1,000 would cost more than
 * an epoch of training; 200 still show a class missing (a share under 1/20 of 10 classes, ±3.5% at 200).
 */
export const MONITOR_AUTOREGRESSIVE_SAMPLES = 200;
/** Noise seed of the monitor's samples: the same draws every epoch, so epochs compare. */
const MONITOR_SEED = 424_242;
/** A rise of KL from uniform beyond the run's best by this much (nats) counts as a coverage drop. */
const KL_RISE_WARNING = 0.25;
/**
 * KL of the samples' classes from the training data's label distribution (nats) above which a run is called
 * collapsed whatever its history: log 2 ≈ 0.69 is half the classes gone; a classifier's errors on real digits
 * stay under 0.05.
 */
const DATA_KL_WARNING = 0.5;
/** A class the data holds is missing from the samples when their share of it is under this part of the data's. */
const MISSING_CLASS_SHARE = 0.1;

/** The best value of a monitor metric over earlier epochs, with its epoch. */
function bestSoFar(
  history: readonly MonitoredEpoch[],
  key: string,
  better: (a: number, b: number) => boolean,
): { value: number; epoch: number } | undefined {
  let best: { value: number; epoch: number } | undefined;
  for (const record of history) {
    const value = record.monitor?.[key];
    if (value === undefined) continue;
    if (!best || better(value, best.value)) best = { value, epoch: record.epoch };
  }
  return best;
}

/**
 * 2-D toy data: modes covered and the high-quality share (mixtures), and every epoch a scatter PNG
 * images/epoch-NNN-scatter.png (with the discriminator's surface for an unconditional GAN).
 */
function toyMonitor(
  model: GenerativeModel,
  name: string,
  splits: DataSplits,
  scatterFile: (epoch: number) => string,
): EpochMonitor {
  const source = splits.validation.size > 0 ? splits.validation : splits.train;
  const real = scatterRealPoints(source);
  const mixture = isToyMixture(name) ? TOY_MIXTURES[name] : undefined;
  return {
    async observe(epoch, history): Promise<MonitorReport> {
      const metrics: Record<string, number> = {};
      const warnings: string[] = [];
      // One draw per epoch serves the figures and the picture.
      const points = generatePoints(model, DEFAULT_EVAL_SAMPLES, MONITOR_SEED);
      if (mixture) {
        const coverage = modeCoverage(points, mixture);
        metrics.modesCovered = coverage.modesCovered;
        metrics.highQuality = coverage.highQuality;
        const best = bestSoFar(history, 'modesCovered', (a, b) => a > b);
        if (best && coverage.modesCovered < best.value) {
          warnings.push(
            `possible mode collapse: ${coverage.modesCovered} of ${coverage.modes} modes covered, down from ` +
              `${best.value} at epoch ${best.epoch}`,
          );
        }
      }
      const image = scatterFile(epoch);
      await mkdir(dirname(image), { recursive: true });
      await writeToyScatter(image, model, real, { generated: points });
      return { metrics, warnings, images: [image] };
    },
  };
}

/** The training data's class histogram (labels counted), or undefined when the data has no labels. */
function dataClassCounts(splits: DataSplits, classes: number): number[] | undefined {
  const labels = splits.train.labels;
  if (!labels || labels.length === 0) return undefined;
  const counts = new Array<number>(classes).fill(0);
  for (const label of labels) if (label >= 0 && label < classes) counts[label]++;
  return counts;
}

/**
 * MNIST-like images: the shipped classifier labels 1,000 samples each epoch; classes covered, KL from uniform
 * and KL from the data's label distribution are recorded, and for conditional models the share classified as
 * the class asked for. Warnings: coverage dropping below the best epoch so far, and samples far from the data.
 */
function imageMonitor(model: GenerativeModel, classifier: ClassifierModel, splits: DataSplits): EpochMonitor {
  const classes = classifier.context.numClasses ?? 10;
  const names = splits.train.classNames;
  const className = (c: number) => names?.[c] ?? String(c);
  const dataCounts = dataClassCounts(splits, classes);
  const dataTotal = dataCounts?.reduce((a, b) => a + b, 0) ?? 0;
  const dataClasses = dataCounts?.filter((count) => count > 0).length ?? classes;
  return {
    async observe(_epoch, history): Promise<MonitorReport> {
      const count = model.autoregressivePrior ? MONITOR_AUTOREGRESSIVE_SAMPLES : MONITOR_IMAGE_SAMPLES;
      const samples = generatePoints(model, count, MONITOR_SEED);
      const labels = classifierLabels(classifier, samples);
      const coverage = classCoverage(labels, classes);
      const metrics: Record<string, number> = {
        classesCovered: coverage.covered,
        classKl: coverage.klFromUniform,
      };
      if (dataCounts) metrics.dataClassKl = klBetweenHistograms(coverage.counts, dataCounts);
      if (generatesClasses(model)) {
        metrics.labelAccuracy = labelAccuracy(labels, classes);
      }
      const warnings: string[] = [];
      const bestCovered = bestSoFar(history, 'classesCovered', (a, b) => a > b);
      const bestKl = bestSoFar(history, 'classKl', (a, b) => a < b);
      if (
        (bestCovered && coverage.covered < bestCovered.value) ||
        (bestKl && coverage.klFromUniform > bestKl.value + KL_RISE_WARNING)
      ) {
        warnings.push(
          `possible mode collapse: samples cover ${coverage.covered} of ${classes} classes with KL from uniform ` +
            `${coverage.klFromUniform.toFixed(3)} (best so far: ${bestCovered?.value ?? coverage.covered} classes, ` +
            `KL ${(bestKl?.value ?? coverage.klFromUniform).toFixed(3)} at epoch ${bestKl?.epoch ?? '-'})`,
        );
      }
      // Against the data: judged every epoch, so a run collapsed from the start is seen too.
      if (dataCounts) {
        const total = labels.length;
        const missing = dataCounts.flatMap((count, c) =>
          count > 0 && coverage.counts[c] / total < (MISSING_CLASS_SHARE * count) / dataTotal ? [c] : [],
        );
        if (metrics.dataClassKl > DATA_KL_WARNING || missing.length > 0) {
          warnings.push(
            `mode collapse against the data: samples cover ${dataClasses - missing.length} of the data's ` +
              `${dataClasses} classes (KL from the data's class distribution ${metrics.dataClassKl.toFixed(3)} ` +
              `nats, warning above ${DATA_KL_WARNING})` +
              (missing.length > 0
                ? `; missing or under a tenth of their share: ${missing.map(className).join(', ')}`
                : ''),
          );
        }
      }
      return { metrics, warnings };
    },
    dispose() {
      classifier.dispose();
    },
  };
}

/**
 * The monitor for this run, if any: generative models on toy data or on data with a shipped classifier.
 * Others (autoencoders, classifiers, tables) are left unwatched. On toy data the scatter of each epoch goes to
 * `scatterFile(epoch)` (the run directory's layout is train's to say).
 */
export async function createEpochMonitor(
  model: TrainableModel,
  spec: DataSpec,
  splits: DataSplits,
  scatterFile: (epoch: number) => string,
): Promise<EpochMonitor | undefined> {
  if (!isGenerative(model)) return undefined;
  if (spec.source === 'toy') return toyMonitor(model, spec.name, splits, scatterFile);
  const classifierName = domainClassifierFor(spec);
  if (!classifierName || tf.util.sizeFromShape(model.context.sampleShape) !== 28 * 28) return undefined;
  return imageMonitor(model, await loadDomainClassifier(classifierName), splits);
}
