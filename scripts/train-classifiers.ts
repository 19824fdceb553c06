// Trains the domain classifiers the sample-quality metrics use, as ordinary latentlab runs, and ships
// their saved models in classifiers/<name>/. Usage: npx tsx scripts/train-classifiers.ts [mnist|fashion-mnist|fsdd|all]
// (fsdd reads the recordings from LATENTLAB_DATA's fsdd/ or downloads them).
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selectBackend } from '../src/engine/backend.js';
import type { RunConfig, RunConfigInput } from '../src/train/config.js';
import { trainRun } from '../src/train/run.js';

type Name = 'mnist' | 'fashion-mnist' | 'fsdd';

// mnist has only 7,200 training images, so the wider net, more epochs and random shifts, turns and sizes
// (98.6% on its test digits against 97.75% without; lighter dropout, as the poses already regularise);
// fashion-mnist has 54,000, so a narrower net keeps it to minutes on a shared CPU.
// fsdd: log-mel spectrograms [64, 64, 1] at the data defaults (the features are saved in the manifest and
// checked against a run's before it is judged); a third stage brings 64x64 down to 8x8 before the features.
// No augmentation: the augment option shifts both axes alike, and a shift along the mel axis is a pitch
// change, not the time shift speech tolerates.
const CONFIGS: Record<Name, RunConfigInput> = {
  mnist: {
    model: {
      kind: 'classifier',
      architecture: 'conv',
      filters: [32, 64],
      features: 128,
      convDropout: 0,
      dropout: 0.25,
      augment: { shift: 2, rotation: 10, scale: 0.1 },
    },
    data: { source: 'mnist' },
    train: { epochs: 20, batchSize: 64, schedule: { type: 'cosine', minLearningRate: 0 }, previewCount: 0 },
    seed: 1,
  },
  'fashion-mnist': {
    model: {
      kind: 'classifier',
      architecture: 'conv',
      filters: [16, 32],
      features: 128,
      convDropout: 0,
      dropout: 0.2,
    },
    data: { source: 'fashion-mnist' },
    train: { epochs: 12, batchSize: 128, schedule: { type: 'cosine', minLearningRate: 0 }, previewCount: 0 },
    seed: 1,
  },
  fsdd: {
    model: {
      kind: 'classifier',
      architecture: 'conv',
      filters: [16, 32, 64],
      features: 128,
      convDropout: 0.1,
      dropout: 0.3,
    },
    data: { source: 'fsdd' },
    train: { epochs: 15, batchSize: 32, schedule: { type: 'cosine', minLearningRate: 0 }, previewCount: 0 },
    seed: 1,
  },
};

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const shipDir = join(root, 'classifiers');
const indexPath = join(shipDir, 'classifiers.json');

interface Entry {
  testAccuracy: number;
  testLoss: number;
  testSamples: number;
  trainSamples: number;
  epochs: number;
  /** The run's config as trained, every default filled in. */
  config: RunConfig;
  command: string;
  date: string;
}

async function readIndex(): Promise<Record<string, Entry>> {
  try {
    return JSON.parse(await readFile(indexPath, 'utf8'));
  } catch {
    return {};
  }
}

function readme(index: Record<string, Entry>): string {
  const rows = Object.entries(index).map(
    ([name, e]) =>
      `| ${name} | ${(e.testAccuracy * 100).toFixed(2)}% | ${e.testSamples} | ${e.trainSamples} | ${e.epochs} | ${e.date} |`,
  );
  return [
    '# Domain classifiers',
    '',
    'Saved latentlab models (kind `classifier`) whose 128-wide `features` layer is the feature space of',
    "latentlab's sample-quality metrics (FD, KID, precision/recall, class coverage). Load one with",
    "`loadDomainClassifier('mnist' | 'fashion-mnist' | 'fsdd')`. Trained by",
    '`npx tsx scripts/train-classifiers.ts all`; details per classifier in `classifiers.json`.',
    '',
    '| data | test accuracy | test samples | train samples | epochs | date |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    'mnist is the embedded 10,000-digit set (2,000 held out as test with seed 1); fashion-mnist uses its',
    'own 10,000-image test set; fsdd (spoken digits, log-mel spectrograms [64, 64, 1]: 8 kHz, 1.024 s,',
    'FFT 256, hop 128, 64 mels, -100..0 dB) is tested on its own test split, recordings 0-4 of every',
    'speaker and digit, and judges only data read with exactly those features (its manifest keeps them).',
    'Scores computed with these classifiers are comparable only with',
    'scores from the same classifier: call them e.g. "FD (latentlab fashion-mnist classifier)", not FID.',
    '',
  ].join('\n');
}

async function trainOne(name: Name): Promise<void> {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const runDir = join(root, 'runs', `classifier-${name}-${stamp}`);
  console.log(`${name}: training into ${runDir}`);
  const result = await trainRun(CONFIGS[name], runDir, {
    callbacks: {
      onEpochEnd: (r) =>
        console.log(
          `  epoch ${r.epoch}: train acc ${r.train.accuracy.toFixed(4)}, validation acc ${r.validation.accuracy?.toFixed(4)}, ${r.seconds.toFixed(0)} s`,
        ),
    },
  });
  const test = result.test ?? {};
  console.log(
    `${name}: test accuracy ${(test.accuracy * 100).toFixed(2)}% on ${result.splits!.test.size} samples`,
  );
  const target = join(shipDir, name);
  await rm(target, { recursive: true, force: true });
  await mkdir(shipDir, { recursive: true });
  await cp(join(runDir, 'model'), target, { recursive: true });
  const index = await readIndex();
  index[name] = {
    testAccuracy: test.accuracy,
    testLoss: test.loss,
    testSamples: result.splits!.test.size,
    trainSamples: result.splits!.train.size,
    epochs: result.epochs,
    config: result.config,
    command: `npx tsx scripts/train-classifiers.ts ${name}`,
    date: new Date().toISOString().slice(0, 10),
  };
  await writeFile(indexPath, `${JSON.stringify(index, null, 2)}\n`);
  await writeFile(join(shipDir, 'README.md'), readme(index));
  result.model.dispose();
}

const which = process.argv[2] ?? 'all';
const names: Name[] = which === 'all' ? ['mnist', 'fashion-mnist', 'fsdd'] : [which as Name];
if (!names.every((n) => n in CONFIGS)) {
  console.error('usage: npx tsx scripts/train-classifiers.ts [mnist|fashion-mnist|fsdd|all]');
  process.exit(2);
}
await selectBackend({ log: (line) => console.log(line) });
for (const name of names) await trainOne(name);
