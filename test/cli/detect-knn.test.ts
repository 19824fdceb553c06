// `latentlab detect --score knn --neighbours k`: the flag reaches the scorer, and a bad k names the flag.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { anomalyScorer } from '../../src/apps/detect.js';
import { modelData } from '../../src/apps/model-data.js';
import { loadModel } from '../../src/io/model-files.js';
import { runInProcess } from '../apps/cli-helper.js';
import { withTempDir } from '../helpers.js';

const tiny = ['--hidden', '16', '--latent', '3', '--limit', '300', '--batch-size', '64', '--epochs', '1'];

describe('latentlab detect --score knn', () => {
  it('averages the distance to --neighbours nearest training codes, as anomalyScorer does', async () => {
    await withTempDir(async (dir) => {
      const run = join(dir, 'ae');
      const trained = await runInProcess(['train', '--model', 'dense-ae', ...tiny, '--out', run]);
      expect(trained.code, trained.stderr).toBe(0);

      const out = join(dir, 'knn');
      const args = ['detect', run, '--score', 'knn', '--neighbours', '3', '--limit', '20', '--top', '0'];
      const r = await runInProcess([...args, '--out', out, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout);
      expect(summary.score).toBe('knn');
      expect(summary.samples).toBe(20);
      const csv = (await readFile(join(out, 'scores.csv'), 'utf8')).trim().split('\n');
      const header = csv[0]!.split(',');
      const column = header.indexOf('score');
      const scores = csv.slice(1).map((line) => Number(line.split(',')[column]));

      const loaded = await loadModel(join(run, 'model'));
      try {
        const splits = await modelData(loaded);
        const scorer = await anomalyScorer(loaded.model, 'knn', { fit: splits.train, neighbours: 3 });
        const test = await scorer.scores(splits.test);
        for (let i = 0; i < 20; i++) expect(scores[i]).toBeCloseTo(test[i]!, 4);
        // k = 1 gives other (smaller or equal) distances: the flag is not ignored.
        const nearest = await anomalyScorer(loaded.model, 'knn', { fit: splits.train, neighbours: 1 });
        const one = await nearest.scores(splits.test);
        expect(scores.some((s, i) => Math.abs(s - one[i]!) > 1e-6)).toBe(true);
      } finally {
        loaded.model.dispose();
      }

      const zero = await runInProcess([...args.slice(0, 5), '0', '--out', join(dir, 'zero')]);
      expect(zero.code).not.toBe(0);
      expect(zero.stderr).toContain('--neighbours');
      const many = await runInProcess([...args.slice(0, 5), '100000', '--out', join(dir, 'many')]);
      expect(many.code).not.toBe(0);
      expect(many.stderr).toMatch(/--neighbours: asks for 100000 neighbours/);
    });
  });
});
