// Whether a backend gives a row the same result whatever batch it is in: the check behind the server's batching
// default (on for wasm and cpu, off for native). Trains a small dense AE and VAE on MNIST (or takes --runs DIR with
// runs `ae` and `vae`), then encodes and reconstructs the same test digits alone and inside larger batches, and
// counts the values that differ in any bit.
//   npx tsx scripts/row-stability.ts --backend wasm|cpu|native [--runs DIR]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadData } from '../src/data/load.js';
import { selectBackend } from '../src/engine/backend.js';
import { type Tensor, tf } from '../src/engine/tf.js';
import { loadModel } from '../src/io/model-files.js';
import type { Autoencoder } from '../src/models/family.js';

const { values } = parseArgs({
  options: { backend: { type: 'string', default: 'wasm' }, runs: { type: 'string' } },
});
const backend = values.backend as 'wasm' | 'cpu' | 'native';
const root = join(import.meta.dirname, '..');
const temp = values.runs ? undefined : mkdtempSync(join(tmpdir(), 'latentlab-rows-'));
const runs = values.runs ?? (temp as string);
try {
  if (temp)
    for (const [name, kind, latent] of [
      ['ae', 'dense-ae', '16'],
      ['vae', 'vae', '2'],
    ])
      spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          join(root, 'src/cli/bin.ts'),
          'train',
          '--model',
          kind,
          '--latent',
          latent,
          '--epochs',
          '1',
          '--out',
          join(runs, name),
        ],
        { stdio: 'ignore' },
      );
  await selectBackend({ backend });
  const x = (await loadData({ source: 'mnist' }, { seed: 0 })).test.x;
  // [first row, rows of interest, rows in the batch around them (starting up to 3 rows earlier)]
  const cases: Array<[number, number, number]> = [
    [3, 1, 50],
    [8, 8, 11],
    [8, 8, 64],
    [16, 8, 200],
    [0, 8, 17],
  ];
  const report: Record<string, unknown> = { backend };
  for (const run of ['ae', 'vae']) {
    const model = (await loadModel(join(runs, run, 'model'))).model as Autoencoder;
    const images = (from: number, n: number) =>
      tf.tensor4d(x.subarray(from * 784, (from + n) * 784), [n, 28, 28, 1]);
    const ops: Record<string, (input: Tensor) => Tensor> = {
      encode: (input) => model.encode(input),
      reconstruct: (input) => model.reconstruct(input),
    };
    for (const [name, op] of Object.entries(ops)) {
      const of = (from: number, n: number) => tf.tidy(() => op(images(from, n))).dataSync();
      let differ = 0;
      let compared = 0;
      for (const [from, n, size] of cases) {
        const alone = of(from, n);
        const before = Math.min(from, 3);
        const inBatch = of(from - before, size);
        const offset = before * (alone.length / n);
        for (let i = 0; i < alone.length; i++) if (alone[i] !== inBatch[offset + i]) differ++;
        compared += alone.length;
      }
      report[`${run} ${name}`] = { compared, differ };
    }
    model.dispose();
  }
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} finally {
  if (temp) rmSync(temp, { recursive: true, force: true });
}
