// Sample quality of a generative model on MNIST-like data: generate, embed with the shipped domain classifier,
// and compare with the test split (FD, KID, precision/recall, class coverage), beside the train-vs-test floor.
import { type Dataset, sampleSize } from '../data/dataset.js';
import type { DataSpec } from '../data/spec.js';
import type { GenerativeModel } from '../models/family.js';
import {
  classifierOutputs,
  type DomainClassifierName,
  domainFeatureSpace,
  loadDomainClassifier,
} from './domain-classifier.js';
import { labelAccuracy, requestedClass, samplePrior } from './generate.js';
import { frechetDistance, type SampleQuality, sampleQuality } from './metrics.js';

/** The shipped classifier that judges samples of this data, if there is one. */
export function domainClassifierFor(spec: DataSpec): DomainClassifierName | undefined {
  return spec.source === 'mnist' || spec.source === 'fashion-mnist' ? spec.source : undefined;
}

export interface GeneratedQuality extends SampleQuality {
  /** FD of the training split against the test split: the best a model can hope for. */
  floorFrechetDistance: number;
  /** Conditional models: share of samples the classifier puts in the class they were generated for. */
  labelAccuracy?: number;
}

/** Draw `n` samples (classes evenly for conditional models) and score them against `test`. */
export async function generatedQuality(
  model: GenerativeModel,
  classifierName: DomainClassifierName,
  test: Dataset,
  train: Dataset,
  n: number,
  seed: number,
): Promise<GeneratedQuality> {
  const classifier = await loadDomainClassifier(classifierName);
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
      ...(model.conditional
        ? { labelAccuracy: labelAccuracy(fake.labels, classes, (i) => requested[i]) }
        : {}),
    };
  } finally {
    classifier.dispose();
  }
}
