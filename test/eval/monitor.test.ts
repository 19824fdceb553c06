// The per-epoch monitor: exact toy metrics and collapse warnings from stub generators whose output is known,
// class coverage by the shipped MNIST classifier on real digits, and the monitor wired through a real run.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadData } from '../../src/data/load.js';
import { TOY_MIXTURES } from '../../src/data/sources/toy2d.js';
import { tf } from '../../src/engine/tf.js';
import { labelAccuracy, requestedClass } from '../../src/eval/generate.js';
import { createEpochMonitor } from '../../src/eval/monitor.js';
import type { BuildContext, GenerativeModel } from '../../src/models/family.js';
import type { EpochRecord } from '../../src/train/checkpoint.js';
import { trainRun } from '../../src/train/run.js';
import { runPaths } from '../../src/train/run-dir.js';
import { useBackend, withTempDir } from '../helpers.js';

/** Image monitors draw no scatter; one asked for a path fails the test. */
const noScatter = (): string => {
  throw new Error('an image monitor asked for a scatter file');
};

beforeAll(async () => {
  await useBackend();
});

/** A generator stub: `generate` returns `rows(n, labels)` whatever z is. */
function stubModel(
  context: BuildContext,
  rows: (n: number, labels?: Int32Array) => Float32Array,
  conditional = false,
): GenerativeModel {
  return {
    kind: 'stub',
    config: {},
    context,
    networks: {},
    optimizerNames: [],
    latentSize: 2,
    conditional,
    samplePrior: (n: number) => tf.zeros([n, 2]),
    generate(z: tf.Tensor, labels?: tf.Tensor) {
      const n = z.shape[0];
      const values = rows(n, labels ? (labels.dataSync() as Int32Array) : undefined);
      return tf.tensor(values, [n, ...context.sampleShape]);
    },
    trainStep: () => ({ loss: tf.scalar(0) }),
    evaluate: () => ({ loss: tf.scalar(0) }),
    dispose() {},
  } as unknown as GenerativeModel;
}

const record = (epoch: number, monitor: Record<string, number>): EpochRecord => ({
  epoch,
  learningRate: 1e-3,
  seconds: 1,
  samplesPerSecond: 1,
  train: { loss: 0 },
  validation: {},
  monitor,
});

describe('toy monitor', () => {
  it('counts modes and high-quality samples exactly, draws a scatter, and warns when coverage drops', async () => {
    await withTempDir(async (dir) => {
      const splits = await loadData({ source: 'toy', name: 'ring8', size: 500 }, { seed: 0 });
      const { means } = TOY_MIXTURES.ring8;
      // Half the points exactly on modes 0 and 1 in turn, half at the origin (far from every mode).
      const model = stubModel({ sampleShape: [2], seed: 0 }, (n) => {
        const out = new Float32Array(n * 2);
        for (let i = 0; i < n / 2; i++) out.set(means[i % 2], i * 2);
        return out;
      });
      const monitor = await createEpochMonitor(
        model,
        { source: 'toy', name: 'ring8' },
        splits,
        runPaths(dir).epochScatter,
      );
      const report = await monitor!.observe(4, [record(3, { modesCovered: 8, highQuality: 0.9 })]);
      expect(report.metrics).toEqual({ modesCovered: 2, highQuality: 0.5 });
      expect(report.warnings).toEqual([
        'possible mode collapse: 2 of 8 modes covered, down from 8 at epoch 3',
      ]);
      expect(report.images).toEqual([join(dir, 'images', 'epoch-004-scatter.png')]);
      expect((await readFile(report.images![0])).subarray(1, 4).toString()).toBe('PNG');
      // No earlier epoch: nothing to drop from.
      expect((await monitor!.observe(1, [])).warnings).toEqual([]);
    });
  });
});

describe('image monitor', () => {
  it('puts real digits in 10 classes near uniform, and scores a conditional model by the class it asked for', async () => {
    const splits = await loadData({ source: 'mnist' }, { seed: 0 });
    const test = splits.test;
    const per = 28 * 28;
    // Real test digits in order: the shipped classifier labels them (nearly) all correctly.
    const real = stubModel({ sampleShape: [28, 28, 1], seed: 0, numClasses: 10 }, (n) =>
      test.x.slice(0, n * per),
    );
    const monitor = await createEpochMonitor(real, { source: 'mnist' }, splits, noScatter);
    try {
      const report = await monitor!.observe(2, [record(1, { classesCovered: 10, classKl: 0.01 })]);
      expect(report.metrics.classesCovered).toBe(10);
      expect(report.metrics.classKl).toBeLessThan(0.05);
      expect(report.metrics.labelAccuracy).toBeUndefined();
      expect(report.warnings).toEqual([]);
    } finally {
      monitor!.dispose?.();
    }

    // A conditional stub that returns a real digit of the class asked for, except for class 3 → a blank image.
    const byClass = new Map<number, number>();
    for (let i = 0; i < test.size; i++) if (!byClass.has(test.labels![i])) byClass.set(test.labels![i], i);
    const conditional = stubModel(
      { sampleShape: [28, 28, 1], seed: 0, numClasses: 10 },
      (n, labels) => {
        const out = new Float32Array(n * per);
        for (let i = 0; i < n; i++) {
          if (labels![i] === 3) continue;
          const k = byClass.get(labels![i])!;
          out.set(test.x.subarray(k * per, (k + 1) * per), i * per);
        }
        return out;
      },
      true,
    );
    const watch = await createEpochMonitor(conditional, { source: 'mnist' }, splits, noScatter);
    try {
      const report = await watch!.observe(5, [record(4, { classesCovered: 10, classKl: 0.0 })]);
      // The blank images of class 3 all go to one class: 90% of samples are right at best, 9 or 10 classes seen.
      expect(report.metrics.labelAccuracy).toBeGreaterThan(0.85);
      expect(report.metrics.labelAccuracy).toBeLessThanOrEqual(0.9);
      expect(report.metrics.classKl).toBeGreaterThan(0);
    } finally {
      watch!.dispose?.();
    }
  });

  it('warns of a run collapsed from its first epoch (judged against the data), and of a drop from its best', async () => {
    const splits = await loadData({ source: 'mnist' }, { seed: 0 });
    const test = splits.test;
    const per = 28 * 28;
    const context = { sampleShape: [28, 28, 1], seed: 0, numClasses: 10 };
    /** Real test digits of the given classes only, cycling through them in test order. */
    const digitsOf = (classes: number[]) => {
      const keep: number[] = [];
      for (let i = 0; i < test.size; i++) if (classes.includes(test.labels![i])) keep.push(i);
      return (n: number) => {
        const out = new Float32Array(n * per);
        for (let i = 0; i < n; i++) {
          const k = keep[i % keep.length];
          out.set(test.x.subarray(k * per, (k + 1) * per), i * per);
        }
        return out;
      };
    };
    // Total collapse onto one class from epoch 1: no history to drop from, yet it warns.
    const collapsed = await createEpochMonitor(
      stubModel(context, digitsOf([7])),
      { source: 'mnist' },
      splits,
      noScatter,
    );
    try {
      const report = await collapsed!.observe(1, []);
      expect(report.metrics.classesCovered).toBeLessThanOrEqual(3);
      // Nearly all mass on one of ten roughly balanced classes: KL close to log 10.
      expect(report.metrics.dataClassKl).toBeGreaterThan(2);
      expect(report.metrics.dataClassKl).toBeLessThan(Math.log(10) + 0.1);
      expect(report.warnings).toHaveLength(1);
      expect(report.warnings[0]).toMatch(
        /^mode collapse against the data: samples cover 1 of the data's 10 classes/,
      );
      expect(report.warnings[0]).toMatch(
        /missing or under a tenth of their share: 0, 1, 2, 3, 4, 5, 6, 8, 9$/,
      );
    } finally {
      collapsed!.dispose?.();
    }
    // Six classes at the last epoch, five now: the drop from the best and the distance from the data both warn.
    const fewer = await createEpochMonitor(
      stubModel(context, digitsOf([0, 1, 2, 3, 4])),
      { source: 'mnist' },
      splits,
      noScatter,
    );
    try {
      const report = await fewer!.observe(3, [record(2, { classesCovered: 6, classKl: 0.5 })]);
      expect(report.metrics.classesCovered).toBeGreaterThanOrEqual(5);
      expect(report.metrics.dataClassKl).toBeGreaterThan(0.6);
      expect(report.warnings.some((w) => w.startsWith('possible mode collapse'))).toBe(
        report.metrics.classesCovered < 6,
      );
      expect(report.warnings.at(-1)).toMatch(/samples cover 5 of the data's 10 classes.*: 5, 6, 7, 8, 9$/);
    } finally {
      fewer!.dispose?.();
    }
  });

  it('labelAccuracy compares with the classes samplePrior asks for, in equal blocks', () => {
    expect([0, 1, 2, 3, 4, 5].map((i) => requestedClass(i, 6, 3))).toEqual([0, 0, 1, 1, 2, 2]);
    expect(labelAccuracy([0, 0, 1, 2, 2, 2], 3)).toBeCloseTo(5 / 6);
    expect(labelAccuracy([], 3)).toBe(0);
  });
});

describe('monitor in a run', () => {
  it('records modes covered each epoch in metrics.jsonl and writes one scatter per epoch', async () => {
    await withTempDir(async (dir) => {
      const runDir = join(dir, 'run');
      const warnings: string[] = [];
      await trainRun(
        {
          model: { kind: 'gan', generatorHidden: [16], discriminatorHidden: [16] },
          data: { source: 'toy', name: 'ring8', size: 512 },
          train: { epochs: 2, batchSize: 128 },
        },
        runDir,
        { callbacks: { onWarning: (message) => warnings.push(message) } },
      );
      const lines = (await readFile(join(runDir, 'metrics.jsonl'), 'utf8')).trim().split('\n');
      const records = lines.map((line) => JSON.parse(line) as EpochRecord);
      expect(records).toHaveLength(2);
      for (const r of records) {
        expect(Object.keys(r.monitor!).sort()).toEqual(['highQuality', 'modesCovered']);
        expect(r.monitor!.modesCovered).toBeGreaterThanOrEqual(0);
        expect(r.monitor!.modesCovered).toBeLessThanOrEqual(8);
        expect(existsSync(join(runDir, 'images', `epoch-00${r.epoch}-scatter.png`))).toBe(true);
      }
      // Warnings reach the callback exactly as recorded.
      expect(warnings).toEqual(records.flatMap((r) => r.warnings ?? []));
    });
  });
});
