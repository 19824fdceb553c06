// A run on streamed Parquet data from start to finish: it trains as the in-memory run on the same file does,
// resumes exactly, refuses the options that need a split in memory, and its encode, detect and embed stream
// to the same codes and scores as the in-memory path's.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeGeneratedParquet } from '../../bench/stream/generate.js';
import { detectRun } from '../../src/apps/detect.js';
import { embedRun } from '../../src/apps/embed.js';
import { encodeStreamToFile } from '../../src/apps/encode-stream.js';
import { modelData } from '../../src/apps/model-data.js';
import { encodeDataset } from '../../src/eval/codes.js';
import { readMatrix } from '../../src/io/arrays.js';
import { loadModel } from '../../src/io/model-files.js';
import type { Autoencoder } from '../../src/models/family.js';
import type { RunConfigInput } from '../../src/train/config.js';
import { resumeRun, trainRun } from '../../src/train/run.js';
import { useBackend, withTempDir } from '../helpers.js';

beforeAll(async () => {
  await useBackend('wasm');
});

const config = (path: string, stream: boolean, epochs: number): RunConfigInput => ({
  seed: 3,
  model: { kind: 'dense-ae', hidden: [16], latent: 4 },
  data: {
    source: 'parquet',
    path,
    labelColumn: 'label',
    ...(stream ? { stream: true, shuffleBuffer: 300 } : {}),
  },
  train: { epochs, batchSize: 64, previewCount: 4 },
});

const history = async (runDir: string) =>
  (await readFile(join(runDir, 'metrics.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => {
      const r = JSON.parse(line);
      return { train: r.train, validation: r.validation };
    });

describe('a run on streamed data', () => {
  it('resumes exactly, refuses what needs memory, and encodes, detects and embeds as it streams', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'g.parquet');
      await writeGeneratedParquet(path, { rows: 2400, features: 8, rowsPerGroup: 256, seed: 5 });

      // Killed after 2 epochs and resumed to 3 = 3 epochs straight (the buffer of 300 rows shuffles 1,700).
      const straight = await trainRun(config(path, true, 3), join(dir, 'straight'), { monitor: false });
      expect(straight.data.streamed).toBe(true);
      expect(straight.splits).toBeUndefined();
      straight.model.dispose();
      const first = await trainRun(config(path, true, 2), join(dir, 'resumed'));
      first.model.dispose();
      const resumed = await resumeRun(join(dir, 'resumed'), { epochs: 3 });
      resumed.model.dispose();
      expect(await history(join(dir, 'resumed'))).toEqual(await history(join(dir, 'straight')));
      const summary = JSON.parse(await readFile(join(dir, 'straight', 'summary.json'), 'utf8'));
      expect(summary.streamed).toEqual({ shuffleBuffer: 300, chunks: 10 });
      expect(summary.trainSamples + summary.testSamples).toBeLessThan(2400);
      const losses = await history(join(dir, 'straight'));
      expect(losses[2].validation.loss).toBeLessThan(losses[0].validation.loss);

      await expect(
        trainRun({ ...config(path, true, 1), train: { epochs: 1, classes: [0, 1] } }, join(dir, 'classes')),
      ).rejects.toThrow(
        'train.classes: keeping some classes needs the training split in memory; streamed data (data.stream) has none',
      );

      // In memory on the same file: the same splits, so encode and detect must agree row for row.
      const inMemory = await trainRun(config(path, false, 1), join(dir, 'memory'), { monitor: false });
      inMemory.model.dispose();
      const loaded = await loadModel(join(dir, 'straight', 'model'));
      try {
        const model = loaded.model as Autoencoder;
        const out = join(dir, 'codes.npy');
        const written = await encodeStreamToFile(
          loaded,
          model,
          { source: 'parquet', path, labelColumn: 'label', scaling: 'minmax', stream: true },
          { split: 'test', out, format: 'npy', limit: 0 },
        );
        const test = (await modelData(loaded)).test;
        expect(written.rows).toBe(test.size);
        const codes = await readMatrix(out);
        expect(codes.data).toEqual((await encodeDataset(model, test)).data);
      } finally {
        loaded.model.dispose();
      }
      const scored = await detectRun({ run: join(dir, 'straight'), out: join(dir, 'detect-stream') });
      const copy = await detectRun({
        run: join(dir, 'straight'),
        data: { source: 'parquet', path, labelColumn: 'label', scaling: 'minmax' },
        out: join(dir, 'detect-memory'),
      });
      expect(scored.detection.samples).toBe(scored.detection.scores.length);
      // The streamed test split is a subset of the whole file scored in memory, under the same ids.
      const byId = new Map(copy.detection.ids!.map((id, i) => [id, copy.detection.scores[i]]));
      scored.detection.ids!.forEach((id, i) => {
        expect(byId.get(id)).toBe(scored.detection.scores[i]);
      });
      const embedded = await embedRun({
        run: join(dir, 'straight'),
        split: 'test',
        limit: 50,
        map: 'pca',
        mapOut: join(dir, 'codes-pca.png'),
      });
      expect(embedded.codes.rows).toBe(50);
      expect(embedded.map?.points.rows).toBe(50);
    });
  });
});
