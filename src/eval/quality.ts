// Sample quality of a generative model on MNIST-like data and FSDD spectrograms: generate, embed with the shipped
// domain classifier, and compare with the test split (FD, KID, precision/recall, class coverage), beside the
// train-vs-test floor.
import type { AudioFeatures } from '../data/audio/features.js';
import { audioFeatures } from '../data/audio/sources.js';
import { type Dataset, sampleSize } from '../data/dataset.js';
import type { DataSpec } from '../data/spec.js';
import type { Sampler } from './code-prior.js';
import {
  classifierOutputs,
  type DomainClassifierName,
  domainClassifierAudio,
  domainFeatureSpace,
  featureMismatch,
  loadDomainClassifier,
} from './domain-classifier.js';
import { labelAccuracy, requestedClass, samplePrior } from './generate.js';
import { frechetDistance, type SampleQuality, sampleQuality } from './metrics.js';

/** The shipped classifier that judges samples of some data, or why the one for its source cannot. */
export type DomainClassifierChoice =
  | { name: DomainClassifierName; reason?: undefined }
  | { name?: undefined; reason?: string };

/**
 * The shipped classifier for data of `spec` made with `audio` features (an audio model's manifest's; default:
 * the spec's own): mnist and fashion-mnist by name; fsdd when its labels are digits and every feature equals the
 * classifier's, otherwise a reason. Other data has none and no reason.
 */
export function chooseDomainClassifier(spec: DataSpec, audio?: AudioFeatures): DomainClassifierChoice {
  if (spec.source === 'mnist' || spec.source === 'fashion-mnist') return { name: spec.source };
  if (spec.source !== 'fsdd') return {};
  if (spec.labels === 'speaker')
    return { reason: 'the fsdd classifier recognises digits, and this data is labelled by speaker' };
  const mismatch = featureMismatch('fsdd', domainClassifierAudio('fsdd'), audio ?? audioFeatures(spec));
  return mismatch ? { reason: mismatch.message } : { name: 'fsdd' };
}

/** The shipped classifier that judges samples of this data, if there is one (see chooseDomainClassifier). */
export function domainClassifierFor(spec: DataSpec, audio?: AudioFeatures): DomainClassifierName | undefined {
  return chooseDomainClassifier(spec, audio).name;
}

export interface GeneratedQuality extends SampleQuality {
  /** FD of the training split against the test split: the best a model can hope for. */
  floorFrechetDistance: number;
  /** Conditional models: share of samples the classifier puts in the class they were generated for. */
  labelAccuracy?: number;
}

/**
 * Draw `n` samples (classes evenly for conditional models) and score them against `test`. An audio classifier
 * refuses a `test` made with other features than its own (ConfigError naming them).
 */
export async function generatedQuality(
  model: Sampler,
  classifierName: DomainClassifierName,
  test: Dataset,
  train: Dataset,
  n: number,
  seed: number,
): Promise<GeneratedQuality> {
  const classifier = await loadDomainClassifier(classifierName, undefined, { judging: test });
  try {
    const batch = 500;
    const per = sampleSize(model.context);
    const images = new Float32Array(n * per);
    const classes = model.context.numClasses ?? 0;
    const requested = new Int32Array(n);
    for (let start = 0; start < n; start += batch) {
      const count = Math.min(batch, n - start);
      const drawn = samplePrior(model, count, seed + start);
      images.set((await drawn.data()) as Float32Array, start * per);
      drawn.dispose();
      if (model.conditional)
        for (let i = 0; i < count; i++) requested[start + i] = requestedClass(i, count, classes);
    }
    const real = classifierOutputs(classifier, test);
    const fake = classifierOutputs(classifier, images);
    const floor = classifierOutputs(classifier, train);
    const quality = sampleQuality(
      real.features,
      fake.features,
      fake.labels,
      classifier.context.numClasses ?? 10,
      {
        featureSpace: domainFeatureSpace(classifierName),
      },
    );
    return {
      ...quality,
      floorFrechetDistance: frechetDistance(real.features, floor.features),
      // Only where the model's classes are the classifier's (not FSDD's speakers, not a --classes subset).
      ...(model.conditional && classes === (classifier.context.numClasses ?? 10)
        ? { labelAccuracy: labelAccuracy(fake.labels, classes, (i) => requested[i]) }
        : {}),
    };
  } finally {
    classifier.dispose();
  }
}
