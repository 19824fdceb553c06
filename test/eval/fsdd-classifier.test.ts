// The shipped FSDD digit classifier: it loads, recognises the 60 committed test recordings it never trained on,
// judges a conditional generator's samples (share of the asked digit, FD on its features), and refuses data
// made with other features, naming them.
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AudioFeatures, clipFeatures, specFieldsOf } from '../../src/data/audio/features.js';
import { loadAudioClips } from '../../src/data/audio/sources.js';
import { type Dataset, makeDataset } from '../../src/data/dataset.js';
import { DataSpec } from '../../src/data/spec.js';
import { tf } from '../../src/engine/tf.js';
import { ConfigError } from '../../src/errors.js';
import {
  classifierLabels,
  classifiersDir,
  domainClassifierAudio,
  featureMismatch,
  loadDomainClassifier,
} from '../../src/eval/domain-classifier.js';
import { requestedClass } from '../../src/eval/generate.js';
import { chooseDomainClassifier, domainClassifierFor, generatedQuality } from '../../src/eval/quality.js';
import type { BuildContext, GenerativeModel } from '../../src/models/family.js';
import { trainRun } from '../../src/train/run.js';
import { useBackend, withTempDir } from '../helpers.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'fsdd-sample', 'recordings');
/** The local FSDD mirror, where this machine has one (never downloaded by a test). */
const MIRROR = join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'fsdd', 'recordings');
const shippedAccuracy: number | undefined = JSON.parse(
  readFileSync(join(classifiersDir(), 'classifiers.json'), 'utf8'),
).fsdd?.testAccuracy;

/** The features the shipped classifier was trained on (its manifest's). */
const trained = domainClassifierAudio('fsdd') as AudioFeatures;

/** The fixture's 60 recordings as the classifier's features, labelled by the digit in the file name. */
let fixture: Dataset;

/** Every WAV of `dir` as the classifier's features, labelled by the digit the file name starts with. */
async function digitClips(dir: string): Promise<Dataset> {
  const spec = DataSpec.parse({ source: 'audio', dir, labelPattern: '^(\\d)_', ...specFieldsOf(trained) });
  if (spec.source !== 'audio') throw new Error('expected an audio spec');
  const clips = await loadAudioClips(spec);
  const per = trained.mels * (trained.samples / trained.hop);
  const x = new Float32Array(clips.waves.length * per);
  clips.waves.forEach((wave, i) => {
    x.set(clipFeatures(wave, clips.features), i * per);
  });
  // The pattern's groups are "0".."9", sorted: map label indices back to the digits they name.
  const names = clips.classNames ?? [];
  const digits = Int32Array.from(clips.labels ?? [], (label) => Number(names[label]));
  return {
    ...makeDataset(dir, [trained.mels, per / trained.mels, 1], x, digits),
    audio: clips.features,
  };
}

beforeAll(async () => {
  await useBackend();
  fixture = await digitClips(FIXTURE);
});

describe('the shipped fsdd classifier', () => {
  it('was trained on log-mel spectrograms [64, 64, 1] at the data defaults', () => {
    expect(trained).toEqual({
      sampleRate: 8000,
      samples: 8192,
      representation: 'mel',
      nFft: 256,
      hop: 128,
      mels: 64,
      fMin: trained.fMin,
      fMax: 4000,
      minDb: -100,
      maxDb: 0,
    });
  });

  it('recognises the 60 fixture recordings (FSDD test split, never trained on): accuracy ≥ 0.85', async () => {
    expect(fixture.size).toBe(60);
    const classifier = await loadDomainClassifier('fsdd', undefined, { judging: fixture });
    try {
      expect(classifier.context.numClasses).toBe(10);
      expect(classifier.context.sampleShape).toEqual([64, 64, 1]);
      const predicted = classifierLabels(classifier, fixture);
      const labels = fixture.labels as Int32Array;
      const hits = predicted.filter((p, i) => p === labels[i]).length;
      expect(hits / 60).toBeGreaterThanOrEqual(0.85);
    } finally {
      classifier.dispose();
    }
  });
});

/**
 * A conditional "generator" that plays back the fixture: for the class asked at row i it returns the next
 * recording of that digit, so drawing 60 (6 per digit) gives back exactly the fixture.
 */
function playback(data: Dataset, numClasses = 10): GenerativeModel {
  const context: BuildContext = { sampleShape: [64, 64, 1], numClasses, seed: 0 } as BuildContext;
  const per = 64 * 64;
  const byDigit = Array.from({ length: 10 }, (_, d) =>
    Array.from(data.labels as Int32Array)
      .map((l, i) => [l, i] as const)
      .filter(([l]) => l === d)
      .map(([, i]) => i),
  );
  return {
    kind: 'playback',
    config: {},
    context,
    networks: {},
    optimizerNames: [],
    latentSize: 2,
    conditional: true,
    samplePrior: (n: number) => tf.zeros([n, 2]),
    generate(z: tf.Tensor, labels?: tf.Tensor) {
      const asked = labels?.dataSync() as Int32Array;
      const used = new Array<number>(10).fill(0);
      const out = new Float32Array(z.shape[0] * per);
      asked.forEach((d, i) => {
        const row = byDigit[d][used[d]++ % byDigit[d].length];
        out.set(data.x.subarray(row * per, (row + 1) * per), i * per);
      });
      return tf.tensor(out, [z.shape[0], 64, 64, 1]);
    },
    dispose() {},
  } as unknown as GenerativeModel;
}

describe.skipIf(!existsSync(MIRROR) || shippedAccuracy === undefined)('on the FSDD mirror', () => {
  it('reaches its stated accuracy on the whole test split (recordings 0-4: 300)', async () => {
    await withTempDir(async (dir) => {
      // Only the test split, copied into a folder of its own: a file-name pattern must match every file.
      const testDir = join(dir, 'test');
      await mkdir(testDir);
      const names = (await readdir(MIRROR)).filter((name) => /^\d_[a-z]+_[0-4]\.wav$/.test(name));
      await Promise.all(names.map((name) => copyFile(join(MIRROR, name), join(testDir, name))));
      const test = await digitClips(testDir);
      expect(test.size).toBe(300);
      const classifier = await loadDomainClassifier('fsdd', undefined, { judging: test });
      const predicted = classifierLabels(classifier, test);
      classifier.dispose();
      const hits = predicted.filter((p, i) => p === (test.labels as Int32Array)[i]).length;
      expect(hits / 300).toBeCloseTo(shippedAccuracy as number, 6);
    });
  }, 120_000);
});

describe('judging generated audio', () => {
  it('a generator that says each digit asked for: share = the accuracy on those recordings, FD 0 against them', async () => {
    const classifier = await loadDomainClassifier('fsdd');
    const predicted = classifierLabels(classifier, fixture);
    classifier.dispose();
    // The playback's rows are the fixture's, digit by digit; the share is the classifier's hits among them.
    const labels = fixture.labels as Int32Array;
    const accuracy = predicted.filter((p, i) => p === labels[i]).length / 60;
    const q = await generatedQuality(playback(fixture), 'fsdd', fixture, fixture, 60, 0);
    expect(requestedClass(59, 60, 10)).toBe(9);
    expect(q.labelAccuracy).toBeCloseTo(accuracy, 10);
    expect(q.fdName).toBe('FD (latentlab fsdd classifier)');
    expect(q.featureSpace).toBe('latentlab fsdd classifier');
    // The same 60 spectrograms as the real set: no distance, up to float32 rounding in the covariances.
    expect(q.frechetDistance).toBeLessThan(1e-2);
    expect(q.floorFrechetDistance).toBeLessThan(1e-2);
    // A model of other classes (FSDD's 6 speakers) is not scored by digits.
    const speakers = await generatedQuality(playback(fixture, 6), 'fsdd', fixture, fixture, 60, 0);
    expect(speakers.labelAccuracy).toBeUndefined();
  });

  it('a tiny conditional conv VAE trained for seconds: share in [0, 1] and a finite FD', async () => {
    await withTempDir(async (dir) => {
      const result = await trainRun(
        {
          model: { kind: 'conv-vae', conditional: true, latent: 4, filters: [4, 8] },
          data: { source: 'audio', dir: FIXTURE, labelPattern: '^(\\d)_', sampleRate: 8000 },
          train: { epochs: 1, batchSize: 16, previewCount: 0 },
          seed: 1,
        },
        join(dir, 'cvae'),
        { monitor: false },
      );
      try {
        const { test, train } = result.splits!;
        expect(test.audio).toEqual(trained);
        const q = await generatedQuality(result.model as GenerativeModel, 'fsdd', test, train, 50, 3);
        expect(q.labelAccuracy).toBeGreaterThanOrEqual(0);
        expect(q.labelAccuracy).toBeLessThanOrEqual(1);
        expect(Number.isFinite(q.frechetDistance)).toBe(true);
        expect(q.frechetDistance).toBeGreaterThan(0);
        expect(q.fakeSamples).toBe(50);

        // The same run judged as if its data had been made with another hop and band count: refused, named.
        const other = { ...test, audio: { ...trained, hop: 64, mels: 32 } };
        const refused = generatedQuality(result.model as GenerativeModel, 'fsdd', other, train, 50, 3);
        await expect(refused).rejects.toThrow(ConfigError);
        await expect(refused).rejects.toThrow(
          "the fsdd classifier was trained on other audio features than this data's: hop 64 (the classifier's: 128), mels 32 (the classifier's: 64)",
        );
      } finally {
        result.model.dispose();
      }
    });
  });
});

describe('which data the fsdd classifier judges', () => {
  it('fsdd with digit labels at its features; not speakers, other features or other audio', () => {
    expect(domainClassifierFor(DataSpec.parse({ source: 'fsdd' }))).toBe('fsdd');
    expect(domainClassifierFor(DataSpec.parse({ source: 'fsdd' }), trained)).toBe('fsdd');
    expect(chooseDomainClassifier(DataSpec.parse({ source: 'fsdd', labels: 'speaker' }))).toEqual({
      reason: 'the fsdd classifier recognises digits, and this data is labelled by speaker',
    });
    expect(chooseDomainClassifier(DataSpec.parse({ source: 'fsdd', nFft: 512 })).reason).toBe(
      "the fsdd classifier was trained on other audio features than this data's: nFft 512 (the classifier's: 256), hop 256 (the classifier's: 128)",
    );
    // A model's saved features win over the spec's (they are what its samples were made with).
    expect(
      chooseDomainClassifier(DataSpec.parse({ source: 'fsdd' }), { ...trained, minDb: -80 }).reason,
    ).toMatch(/minDb -80 \(the classifier's: -100\)$/);
    expect(chooseDomainClassifier(DataSpec.parse({ source: 'audio', dir: FIXTURE }))).toEqual({});
    expect(domainClassifierFor(DataSpec.parse({ source: 'mnist' }))).toBe('mnist');
  });

  it('feature mismatches, by hand', () => {
    expect(featureMismatch('fsdd', trained, trained)).toBeUndefined();
    expect(featureMismatch('mnist', undefined, undefined)).toBeUndefined();
    expect(featureMismatch('fsdd', trained, { ...trained, fMax: 3800 })).toEqual({
      message:
        "the fsdd classifier was trained on other audio features than this data's: fMax 3800 (the classifier's: 4000)",
      field: 'fMax',
    });
    expect(featureMismatch('fsdd', trained, undefined)?.message).toBe(
      'the fsdd classifier judges audio (log-mel spectrograms of 64 bands x 64 frames at 8000 Hz, 1.024 s clips), and this data is not audio',
    );
    expect(featureMismatch('mnist', undefined, trained)?.message).toMatch(
      /^the mnist classifier judges images, and this data is audio/,
    );
  });

  it('loading refuses data made with other features, the error naming the field', async () => {
    const load = loadDomainClassifier('fsdd', undefined, {
      judging: { audio: { ...trained, representation: 'waveform' } },
    });
    await expect(load).rejects.toMatchObject({
      name: 'ConfigError',
      path: 'audio.representation',
      message: expect.stringContaining("representation waveform (the classifier's: mel)"),
    });
    await expect(loadDomainClassifier('mnist', undefined, { judging: { audio: trained } })).rejects.toThrow(
      /the mnist classifier judges images/,
    );
  });
});
