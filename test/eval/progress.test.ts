// Long work other than training reports progress: UMAP epochs, the IWAE bound, encoding, anomaly scoring and
// calibration, drawing samples; each task's `done` grows up to its `total`. The CLI prints a bounded few lines
// when stderr is not a terminal.
import { beforeAll, describe, expect, it } from 'vitest';
import { detectAnomalies } from '../../src/apps/detect.js';
import { mapCodes } from '../../src/apps/embed.js';
import { taskProgress } from '../../src/cli/progress.js';
import { makeDataset } from '../../src/data/dataset.js';
import { drawSamples, gaussianCodeSampler } from '../../src/eval/code-prior.js';
import { encodeDataset } from '../../src/eval/codes.js';
import { evaluateLikelihood } from '../../src/eval/likelihood.js';
import type { Progress } from '../../src/eval/progress.js';
import type { Autoencoder, LikelihoodModel } from '../../src/models/family.js';
import { parseModelConfig } from '../../src/models/registry.js';
import { randomValues, useBackend } from '../helpers.js';

beforeAll(async () => {
  await useBackend('wasm');
});

/** The reports, by task, as [done, total] pairs. */
function recorder() {
  const seen = new Map<string, Array<[number, number]>>();
  const onProgress = (p: Progress) => {
    const list = seen.get(p.task) ?? [];
    list.push([p.done, p.total]);
    seen.set(p.task, list);
  };
  return { seen, onProgress };
}

function expectClimbsTo(reports: Array<[number, number]> | undefined, total: number): void {
  expect(reports, 'no progress reported').toBeDefined();
  const dones = (reports ?? []).map(([done]) => done);
  for (let i = 1; i < dones.length; i++) expect(dones[i]).toBeGreaterThan(dones[i - 1]);
  expect(dones.at(-1)).toBe(total);
  expect(new Set((reports ?? []).map(([, t]) => t))).toEqual(new Set([total]));
}

const shape = [4, 4, 1];
const data = makeDataset('tiny', shape, randomValues(30 * 16, 3));

function tinyModel(kind: string) {
  const { family, config } = parseModelConfig({ kind, hidden: [8], latent: 3 });
  return family.build(config, { sampleShape: shape, seed: 1 });
}

describe('progress of long work', () => {
  it('UMAP reports its epochs, and the map is the one drawn without a callback', () => {
    const codes = { rows: 40, cols: 3, data: randomValues(120, 5) };
    const { seen, onProgress } = recorder();
    const map = mapCodes(codes, 'umap', { seed: 2, neighbors: 5, onProgress });
    const reports = seen.get('umap');
    expectClimbsTo(reports, reports?.[0]?.[1] ?? -1);
    expect(reports?.length).toBeGreaterThan(10);
    expect(Array.from(mapCodes(codes, 'umap', { seed: 2, neighbors: 5 }).data)).toEqual(Array.from(map.data));
  });

  it('the IWAE bound reports the samples done', async () => {
    const model = tinyModel('vae') as LikelihoodModel;
    const { seen, onProgress } = recorder();
    await evaluateLikelihood(model, data, { k: 4, batchSize: 8, onProgress });
    expect(seen.get('iwae')).toEqual([
      [8, 30],
      [16, 30],
      [24, 30],
      [30, 30],
    ]);
    model.dispose();
  });

  it('encoding and drawing samples report their progress', async () => {
    const model = tinyModel('dense-ae') as Autoencoder;
    const { seen, onProgress } = recorder();
    const codes = await encodeDataset(model, data, 7, onProgress);
    expectClimbsTo(seen.get('encode'), 30);
    await drawSamples(gaussianCodeSampler(model, codes), 25, 1, 10, onProgress);
    expect(seen.get('sample')).toEqual([
      [10, 25],
      [20, 25],
      [25, 25],
    ]);
    model.dispose();
  });

  it('detect reports scoring and calibration', async () => {
    const model = tinyModel('dense-ae');
    const calibration = makeDataset('calibration', shape, randomValues(12 * 16, 4));
    for (const score of ['mse', 'mahalanobis'] as const) {
      const { seen, onProgress } = recorder();
      await detectAnomalies(model, { data, calibration, fit: data }, { score, batchSize: 8 }, { onProgress });
      expectClimbsTo(seen.get('score'), 30);
      expectClimbsTo(seen.get('calibrate'), 12);
    }
    model.dispose();
  });

  it('prints one line per finished task when stderr is not a terminal', () => {
    const lines: string[] = [];
    const stream = { isTTY: false, write: (s: string) => lines.push(s) } as unknown as NodeJS.WriteStream;
    const { onProgress, stop } = taskProgress(stream);
    for (const [task, total] of [
      ['umap', 500],
      ['encode', 60_000],
      ['iwae', 10_000],
    ] as const)
      for (let done = 1; done <= total; done += done < total - 7 ? 7 : 1) onProgress({ task, done, total });
    stop();
    expect(lines).toEqual(['umap: 500/500 done\n', 'encode: 60000/60000 done\n', 'iwae: 10000/10000 done\n']);
  });
});
