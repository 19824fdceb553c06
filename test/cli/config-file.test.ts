// `latentlab train --config FILE`: a misspelt key anywhere in the file is refused, naming the file and the key,
// instead of being dropped (a "trian" block used to train with every default).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRunConfig, resumeRun } from '../../src/train/run.js';
import { runInProcess } from '../apps/cli-helper.js';
import { withTempDir } from '../helpers.js';

describe('train --config', () => {
  const cases: [string, unknown, string][] = [
    [
      'a misspelt section',
      { model: { kind: 'dense-ae' }, trian: { epochs: 1 } },
      'trian: unknown option "trian"',
    ],
    [
      'a misspelt training option',
      { model: { kind: 'dense-ae' }, train: { epochs: 1, limt: 5 } },
      'train.limt: unknown option "limt"',
    ],
    [
      'a misspelt optimizer option',
      { model: { kind: 'dense-ae' }, train: { optimizer: { lr: 0.1 } } },
      'train.optimizer.lr: unknown option "lr"',
    ],
    [
      'a misspelt data field',
      { model: { kind: 'dense-ae' }, data: { source: 'mnist', limit: 3 } },
      'data.limit: unknown option "limit"',
    ],
    [
      'a misspelt model option',
      { model: { kind: 'dense-ae', latnet: 3 } },
      'model.latnet: "dense-ae" has no option "latnet"',
    ],
  ];
  for (const [what, config, message] of cases) {
    it(`refuses ${what}, naming the file`, async () => {
      await withTempDir(async (dir) => {
        const file = join(dir, 'run.json');
        await writeFile(file, JSON.stringify(config));
        const r = await runInProcess(['train', '--config', file, '--out', join(dir, 'run')]);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(`${file}#${message}`);
      });
    });
  }

  it("names a run's config.json when resuming reads a misspelt key from it", async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'config.json');
      await writeFile(
        file,
        JSON.stringify({ model: { kind: 'dense-ae' }, data: { source: 'mnist' }, train: { epoch: 3 } }),
      );
      await expect(resumeRun(dir)).rejects.toThrow(`${file}#train.epoch: unknown option "epoch"`);
    });
  });

  it("still reads a run's own config.json, with the version and environment it stores", () => {
    const config = parseRunConfig({
      model: { kind: 'dense-ae' },
      data: { source: 'mnist' },
      train: {},
      latentlabVersion: '0.1.0',
      environment: { backend: 'wasm' },
    });
    expect(config.train.epochs).toBe(20);
  });
});
