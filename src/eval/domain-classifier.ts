// The shipped domain classifiers (classifiers/<name>/) and batched feature/label extraction with them:
// the feature space of the sample-quality metrics in ./metrics.ts. An audio classifier (fsdd) judges only data
// made with the very features it was trained on (its manifest keeps them).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AudioFeatures, describeFeatures } from '../data/audio/features.js';
import { savedAudioFeatures } from '../data/audio/sources.js';
import { type Dataset, sampleSize } from '../data/dataset.js';
import { type Tensor, tf } from '../engine/tf.js';
import { ConfigError, IoError } from '../errors.js';
import type { Matrix } from '../io/arrays.js';
import { loadModel } from '../io/model-files.js';
import { ClassifierModel } from '../models/classifier/model.js';

export const DOMAIN_CLASSIFIERS = ['mnist', 'fashion-mnist', 'fsdd'] as const;
export type DomainClassifierName = (typeof DOMAIN_CLASSIFIERS)[number];

/** The package's classifiers/ folder: two levels up from src/eval and from dist/eval alike. */
export function classifiersDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'classifiers');
}

/** How reports name the feature space, e.g. "latentlab fashion-mnist classifier". */
export function domainFeatureSpace(name: DomainClassifierName): string {
  return `latentlab ${name} classifier`;
}

/**
 * The audio features a shipped classifier was trained on, read from its manifest without loading the weights;
 * undefined for an image classifier or one not trained yet (loading it says how to train it).
 */
export function domainClassifierAudio(
  name: DomainClassifierName,
  dir: string = classifiersDir(),
): AudioFeatures | undefined {
  const file = join(dir, name, 'manifest.json');
  if (!existsSync(file)) return undefined;
  let manifest: { audio?: unknown };
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new IoError(`the ${name} classifier's manifest is not JSON: ${(error as Error).message}`, {
      path: file,
    });
  }
  return manifest.audio === undefined ? undefined : savedAudioFeatures(manifest.audio, `${file}#audio`);
}

/**
 * Why classifier `name`, trained on `trained` audio features (undefined: images), cannot judge samples made with
 * `data` features (undefined: not audio); undefined when it can. Every feature must match: a spectrogram made
 * with another hop, band count or dB range is another picture of the sound, whatever its shape.
 */
export function featureMismatch(
  name: DomainClassifierName,
  trained: AudioFeatures | undefined,
  data: AudioFeatures | undefined,
): { message: string; field?: keyof AudioFeatures } | undefined {
  if (!trained && !data) return undefined;
  if (!trained)
    return {
      message: `the ${name} classifier judges images, and this data is audio (${describeFeatures(data as AudioFeatures)})`,
    };
  if (!data)
    return {
      message: `the ${name} classifier judges audio (${describeFeatures(trained)}), and this data is not audio`,
    };
  const fields = (Object.keys(trained) as (keyof AudioFeatures)[]).filter((k) => trained[k] !== data[k]);
  if (fields.length === 0) return undefined;
  const differences = fields.map((k) => `${k} ${data[k]} (the classifier's: ${trained[k]})`).join(', ');
  return {
    message: `the ${name} classifier was trained on other audio features than this data's: ${differences}`,
    field: fields[0],
  };
}

export interface DomainClassifierOptions {
  /**
   * The data it will judge: when given, an audio classifier refuses data made with other features (and an image
   * classifier refuses audio), naming the fields that differ.
   */
  judging?: Pick<Dataset, 'audio'>;
}

/** Load a shipped classifier; `dir` overrides the folder holding <name>/manifest.json. */
export async function loadDomainClassifier(
  name: DomainClassifierName,
  dir: string = classifiersDir(),
  options: DomainClassifierOptions = {},
): Promise<ClassifierModel> {
  if (!DOMAIN_CLASSIFIERS.includes(name)) {
    throw new ConfigError(
      `no domain classifier "${name}": expected one of ${DOMAIN_CLASSIFIERS.join(', ')}`,
      {
        path: 'classifier',
      },
    );
  }
  const modelDir = join(dir, name);
  if (!existsSync(join(modelDir, 'manifest.json'))) {
    throw new IoError(
      `the ${name} domain classifier is missing (train it with: npx tsx scripts/train-classifiers.ts ${name})`,
      { path: modelDir },
    );
  }
  const { model, manifest } = await loadModel(modelDir);
  if (!(model instanceof ClassifierModel)) {
    model.dispose();
    throw new IoError(`expected a classifier model, found kind "${model.kind}"`, { path: modelDir });
  }
  if (options.judging) {
    const mismatch = featureMismatch(name, manifest.audio, options.judging.audio);
    if (mismatch) {
      model.dispose();
      throw new ConfigError(mismatch.message, {
        path: mismatch.field ? `audio.${mismatch.field}` : 'audio',
      });
    }
  }
  return model;
}

export type ImagesInput = Float32Array | Dataset;

function flatImages(model: ClassifierModel, images: ImagesInput): { x: Float32Array; n: number } {
  const shape = model.context.sampleShape;
  const per = shape.reduce((a, b) => a * b, 1);
  if (!(images instanceof Float32Array)) {
    if (sampleSize(images) !== per || images.sampleShape.length !== shape.length) {
      throw new ConfigError(
        `the classifier expects samples of shape [${shape}], got [${images.sampleShape}]`,
        { path: 'images' },
      );
    }
    return { x: images.x, n: images.size };
  }
  if (images.length % per !== 0) {
    throw new ConfigError(
      `expected a multiple of ${per} values (samples of shape [${shape}]), got ${images.length}`,
      {
        path: 'images',
      },
    );
  }
  return { x: images, n: images.length / per };
}

export interface ClassifierOutputs {
  /** Penultimate `features` activations [n, features]. */
  features: Matrix;
  /** Predicted class per image. */
  labels: Int32Array;
}

/** Features and predicted labels in one pass, `batchSize` images at a time. */
export function classifierOutputs(
  model: ClassifierModel,
  images: ImagesInput,
  batchSize = 500,
): ClassifierOutputs {
  const { x, n } = flatImages(model, images);
  const shape = model.context.sampleShape;
  const per = shape.reduce((a, b) => a * b, 1);
  const width = model.config.features;
  const features = new Float32Array(n * width);
  const labels = new Int32Array(n);
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    const [f, l] = tf.tidy(() => {
      const batch = tf.tensor(x.subarray(start * per, (start + count) * per), [count, ...shape]);
      const h = model.features(batch);
      // The logits layer applied to the features (dropout is identity at inference).
      const logits = model.networks.classifier.getLayer('logits').apply(h) as Tensor;
      return [h, tf.cast(tf.argMax(logits, -1), 'int32')];
    });
    features.set(f.dataSync() as Float32Array, start * width);
    labels.set(l.dataSync() as Int32Array, start);
    tf.dispose([f, l]);
  }
  return { features: { rows: n, cols: width, data: features }, labels };
}

/** Penultimate features [n, 128] of images (flat Float32Array or a Dataset). */
export function classifierFeatures(model: ClassifierModel, images: ImagesInput, batchSize = 500): Matrix {
  return classifierOutputs(model, images, batchSize).features;
}

/** Predicted class per image. */
export function classifierLabels(model: ClassifierModel, images: ImagesInput, batchSize = 500): Int32Array {
  return classifierOutputs(model, images, batchSize).labels;
}
