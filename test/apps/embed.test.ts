// `latentlab embed`: 2-D maps (PCA by hand, seeded UMAP), representation quality beside PCA of the same size, the
// files of a run's embedding, and the CLI shell.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { defaultMapPath, embedRun, mapCodes } from '../../src/apps/embed.js';
import { createRng } from '../../src/data/random.js';
import { readMatrix } from '../../src/io/arrays.js';
import { decodePng } from '../../src/io/png.js';
import { trainRun } from '../../src/train/run.js';
import { useBackend, withTempDir } from '../helpers.js';
import { runInProcess } from './cli-helper.js';

beforeAll(async () => {
  await useBackend('wasm');
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('maps', () => {
  it('PCA keeps the two directions of largest variance (points on a tilted plane in 3-D)', () => {
    const rng = createRng(4);
    const data: number[] = [];
    for (let i = 0; i < 50; i++) {
      const [a, b] = [rng() * 10 - 5, rng() * 2 - 1];
      // a along (1, 1, 0)/√2, b along z; no third direction.
      data.push(a / Math.SQRT2, a / Math.SQRT2, b);
    }
    const map = mapCodes({ rows: 50, cols: 3, data: Float32Array.from(data) }, 'pca');
    expect([map.rows, map.cols]).toEqual([50, 2]);
    let dot = 0;
    let norms = [0, 0];
    for (let i = 0; i < 50; i++) {
      const a = data[i * 3] * Math.SQRT2;
      dot += a * map.data[i * 2];
      norms = [norms[0] + a * a, norms[1] + map.data[i * 2] ** 2];
    }
    // The first map axis is the a coordinate up to sign (centred: a's mean is near 0 but not 0).
    expect(Math.abs(dot) / Math.sqrt(norms[0] * norms[1])).toBeGreaterThan(0.99);
  });

  it('UMAP gives the same map for the same seed, and separates two far groups', () => {
    const rng = createRng(1);
    const rows = 60;
    const data = Float32Array.from({ length: rows * 4 }, (_, i) => (Math.floor(i / 4) < 30 ? 0 : 20) + rng());
    const a = mapCodes({ rows, cols: 4, data }, 'umap', { seed: 3 });
    const b = mapCodes({ rows, cols: 4, data }, 'umap', { seed: 3 });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    const centre = (from: number) => {
      let [x, y] = [0, 0];
      for (let i = from; i < from + 30; i++) [x, y] = [x + a.data[i * 2] / 30, y + a.data[i * 2 + 1] / 30];
      return [x, y];
    };
    const spread = (from: number, [cx, cy]: number[]) => {
      let worst = 0;
      for (let i = from; i < from + 30; i++)
        worst = Math.max(worst, Math.hypot(a.data[i * 2] - cx, a.data[i * 2 + 1] - cy));
      return worst;
    };
    const [c0, c1] = [centre(0), centre(30)];
    expect(Math.hypot(c0[0] - c1[0], c0[1] - c1[1])).toBeGreaterThan(spread(0, c0) + spread(30, c1));
  });

  it('refuses codes it cannot map', () => {
    expect(() => mapCodes({ rows: 5, cols: 1, data: new Float32Array(5) }, 'pca')).toThrow(
      /map: a 2-D map needs codes of at least 2 dimensions, got 1/,
    );
    expect(defaultMapPath('out/codes.csv', 'umap')).toBe('out/codes-umap.png');
    expect(defaultMapPath(undefined, 'pca')).toBe('codes-pca.png');
  });
});

describe('a run on MNIST', () => {
  it('exports codes, draws the map, and sets the probe and NMI beside PCA of the same size; the CLI', async () => {
    await withTempDir(async (dir) => {
      const runDir = join(dir, 'ae');
      const trained = await trainRun(
        {
          model: { kind: 'dense-ae', hidden: [64], latent: 6 },
          data: { source: 'mnist' },
          train: { epochs: 1, limit: 500, batchSize: 64 },
        },
        runDir,
        { monitor: false },
      );
      trained.model.dispose();

      const out = join(dir, 'codes', 'test.npy');
      const result = await embedRun({
        run: runDir,
        limit: 300,
        out,
        map: 'pca',
        probe: true,
        probeLimit: 500,
      });
      expect([result.codes.rows, result.codes.cols]).toEqual([300, 6]);
      const saved = await readMatrix(out);
      expect(Array.from(saved.data)).toEqual(Array.from(result.codes.data));
      expect(result.files.map).toBe(join(dir, 'codes', 'test-pca.png'));
      const png = decodePng(await readFile(result.files.map as string));
      // A square data area with the class legend to its right, at two pixels per point.
      expect(png.width).toBeGreaterThan(png.height);
      expect(png.height).toBeGreaterThanOrEqual(800);
      const q = result.quality;
      expect(q?.dims).toBe(6);
      expect(q?.pca.components).toBe(6);
      expect(q?.clusters).toBe(10);
      expect(q?.split).toBe('mnist/test');
      expect(q?.trainSplit).toBe('mnist/train (first 500)');
      for (const side of [q?.codes, q?.pca]) {
        expect(side?.probe.testSamples).toBe(300);
        expect(side?.probe.trainSamples).toBe(500);
        expect(side?.probe.accuracy).toBeGreaterThan(0.3);
        expect(side?.nmi).toBeGreaterThan(0.05);
        expect(side?.nmi).toBeLessThanOrEqual(1);
      }

      // The CLI: CSV with labels, a UMAP map beside it, the quality table.
      const csv = join(dir, 'codes.csv');
      const ok = await runInProcess([
        'embed',
        runDir,
        '--limit',
        '120',
        '--out',
        csv,
        '--map-out',
        join(dir, 'map.png'),
        '--probe',
        '--probe-limit',
        '300',
      ]);
      expect(ok.stderr).not.toMatch(/error/);
      expect(ok.code).toBe(0);
      const lines = ok.stdout.trim().split('\n');
      expect(lines[0]).toBe(`120 codes of size 6 (mnist/test) → ${csv}`);
      expect(lines[1]).toMatch(
        new RegExp(`^map: ${join(dir, 'map.png')} \\(umap, [\\d.]+ s, coloured by label\\)$`),
      );
      expect(lines[2]).toBe(
        'representation quality on mnist/test (probe trained on mnist/train (first 300); k-means with k = 10):',
      );
      expect(lines[4]).toMatch(/^ {2}codes \(6-D\) +\d+\.\d\d% +0\.\d{4}$/);
      expect(lines[5]).toMatch(/^ {2}PCA-6 +\d+\.\d\d% +0\.\d{4}$/);
      expect((await readFile(csv, 'utf8')).split('\n')[0]).toBe('z0,z1,z2,z3,z4,z5,label');

      // Errors: a probe needs labels; a map needs a method it knows.
      const table = join(dir, 'plain.csv');
      await writeFile(table, `a,b\n${Array.from({ length: 20 }, (_, i) => `${i},${i % 3}`).join('\n')}\n`);
      const tableRun = join(dir, 'table');
      (
        await trainRun(
          {
            model: { kind: 'dense-ae', hidden: [4], latent: 2 },
            data: { source: 'csv', path: table },
            train: { epochs: 1 },
          },
          tableRun,
          { monitor: false },
        )
      ).model.dispose();
      const noLabels = await runInProcess(['embed', tableRun, '--out', join(dir, 't.json'), '--probe']);
      expect(noLabels.code).toBe(1);
      expect(noLabels.stderr).toMatch(
        /plain\.csv\/test: --probe needs labelled data, and this data has no labels/,
      );
      const badMap = await runInProcess(['embed', runDir, '--out', csv, '--map', 'tsne']);
      expect(badMap.code).toBe(2);
      expect(badMap.stderr).toMatch(/option '--map <method>' argument 'tsne' is invalid/);
    });
  });
});
