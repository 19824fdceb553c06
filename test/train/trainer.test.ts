// The training loop on real MNIST: loss goes down, memory stays flat, runs reproduce, runs resume,
// schedules follow their formulas, and a bad config writes nothing.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { learningRateAt, type RunConfigInput } from '../../src/train/config.js';
import { resumeRun, trainRun } from '../../src/train/run.js';
import { useBackend, withTempDir } from '../helpers.js';

const small = (epochs: number, seed = 1): RunConfigInput => ({
  seed,
  model: { kind: 'dense-ae', hidden: [64], latent: 8 },
  data: { source: 'mnist' },
  train: { epochs, batchSize: 64, limit: 1024, previewCount: 8 },
});

beforeAll(async () => {
  await useBackend('wasm');
});

describe('trainRun', () => {
  it('trains on MNIST: validation loss drops, live tensors stay flat, the run directory is complete', async () => {
    await withTempDir(async (dir) => {
      const runDir = join(dir, 'run');
      const liveAfterEpoch: number[] = [];
      const result = await trainRun(small(4), runDir, {
        callbacks: { onEpochEnd: () => liveAfterEpoch.push(tf.memory().numTensors) },
      });
      const history = (await readFile(join(runDir, 'metrics.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(history).toHaveLength(4);
      expect(history[3].validation.loss).toBeLessThan(history[0].validation.loss * 0.8);
      expect(new Set(liveAfterEpoch).size).toBe(1);
      expect(result.test?.mse).toBeGreaterThan(0);
      expect(result.test?.mse).toBeLessThan(0.07);
      const files = await readdir(runDir);
      expect(files.sort()).toEqual([
        'checkpoint.lltf',
        'config.json',
        'images',
        'loss.png',
        'metrics.jsonl',
        'model',
        'summary.json',
      ]);
      expect(await readdir(join(runDir, 'images'))).toEqual([
        'epoch-001.png',
        'epoch-002.png',
        'epoch-003.png',
        'epoch-004.png',
      ]);
      const config = JSON.parse(await readFile(join(runDir, 'config.json'), 'utf8'));
      // Defaults are filled in, so config.json alone describes the run.
      expect(config.model).toMatchObject({
        kind: 'dense-ae',
        activation: 'relu',
        loss: 'mse',
        outputActivation: 'sigmoid',
      });
      expect(config.train.optimizer).toEqual({ learningRate: 0.001, beta1: 0.9, beta2: 0.999 });
      result.model.dispose();
    });
  });

  it('reproduces: the same seed gives the same losses', async () => {
    await withTempDir(async (dir) => {
      const a = await trainRun(small(1, 7), join(dir, 'a'));
      const b = await trainRun(small(1, 7), join(dir, 'b'));
      const ha = JSON.parse(await readFile(join(dir, 'a', 'metrics.jsonl'), 'utf8'));
      const hb = JSON.parse(await readFile(join(dir, 'b', 'metrics.jsonl'), 'utf8'));
      expect(ha.train.loss).toBe(hb.train.loss);
      expect(ha.validation.loss).toBe(hb.validation.loss);
      a.model.dispose();
      b.model.dispose();
    });
  });

  it('resumes from the checkpoint exactly where an uninterrupted run would be', async () => {
    await withTempDir(async (dir) => {
      const straight = await trainRun(small(3, 5), join(dir, 'straight'));
      const first = await trainRun(small(2, 5), join(dir, 'split'));
      first.model.dispose();
      const checkpoint = await readCheckpoint(join(dir, 'split', 'checkpoint.lltf'));
      expect(checkpoint.state.epoch).toBe(2);
      const resumed = await resumeRun(join(dir, 'split'), { epochs: 3 });
      expect(resumed.epochs).toBe(3);
      const a = (await readFile(join(dir, 'straight', 'metrics.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const b = (await readFile(join(dir, 'split', 'metrics.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(b).toHaveLength(3);
      // Weights, Adam moments and the batch order all carry over.
      expect(b[2].train.loss).toBeCloseTo(a[2].train.loss, 6);
      expect(b[2].validation.loss).toBeCloseTo(a[2].validation.loss, 6);
      straight.model.dispose();
      resumed.model.dispose();
    });
  });

  it('stops at a batch boundary when aborted, keeping the last complete checkpoint and its model', async () => {
    await withTempDir(async (dir) => {
      const abort = new AbortController();
      const result = await trainRun(small(5), join(dir, 'run'), {
        signal: abort.signal,
        callbacks: { onEpochEnd: (r) => r.epoch === 2 && abort.abort() },
      });
      expect(result.aborted).toBe(true);
      expect(result.epochs).toBe(2);
      expect(result.modelEpoch).toBe(2);
      expect(existsSync(join(dir, 'run', 'model', 'manifest.json'))).toBe(true);
      expect(existsSync(join(dir, 'run', 'summary.json'))).toBe(false);
      expect((await readCheckpoint(join(dir, 'run', 'checkpoint.lltf'))).state.epoch).toBe(2);
      result.model.dispose();
    });
  });

  it('early stopping keeps the best epoch', async () => {
    await withTempDir(async (dir) => {
      const config = small(6);
      // A learning rate this high makes validation worse quickly.
      config.train = { ...config.train, optimizer: { learningRate: 0.5 }, earlyStopping: { patience: 1 } };
      const result = await trainRun(config, join(dir, 'run'));
      const state = (await readCheckpoint(join(dir, 'run', 'checkpoint.lltf'))).state;
      expect(result.stoppedEarly).toBe(true);
      expect(state.epoch).toBe(state.bestEpoch + 1);
      result.model.dispose();
    });
  });

  it('rejects a bad config before writing anything', async () => {
    await withTempDir(async (dir) => {
      const runDir = join(dir, 'run');
      await expect(
        trainRun({ ...small(1), model: { kind: 'dense-ae', latent: -1 } }, runDir),
      ).rejects.toThrow(/model\.latent/);
      await expect(trainRun({ ...small(1), train: { epochs: 0 } }, runDir)).rejects.toThrow(/train\.epochs/);
      await expect(
        trainRun({ ...small(1), data: { source: 'idx', images: join(dir, 'missing.idx') } }, runDir),
      ).rejects.toThrow(/missing\.idx/);
      expect(existsSync(runDir)).toBe(false);
    });
  });
});

describe('learning-rate schedules', () => {
  it('follow their formulas', () => {
    expect(learningRateAt(0.01, { type: 'constant' }, 5, 10)).toBe(0.01);
    expect(learningRateAt(0.01, { type: 'exponential', decay: 0.5 }, 3, 10)).toBeCloseTo(0.00125, 10);
    expect(learningRateAt(0.01, { type: 'cosine', minLearningRate: 0 }, 0, 10)).toBeCloseTo(0.01, 10);
    expect(learningRateAt(0.01, { type: 'cosine', minLearningRate: 0 }, 5, 10)).toBeCloseTo(0.005, 10);
    expect(learningRateAt(0.01, { type: 'cosine', minLearningRate: 0.001 }, 10, 10)).toBeCloseTo(0.001, 10);
  });
});
