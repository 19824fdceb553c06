// `npm run bench:inference`: encode and decode the 10,000 Fashion-MNIST test images with each family (the DCGAN
// generator: 10,000 samples), latentlab's default backend against PyTorch in eval() mode under no_grad at the
// same batch size, each in a fresh process, interleaved over rounds in one run. Writes bench/inference.json and
// regenerates docs/performance.md.
import { rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadData } from '../src/data/load.js';
import { buildCompiledBench, compiledWorker } from './compiled.js';
import { writePerformanceDoc } from './doc.js';
import { INFERENCE_FAMILY_NAMES } from './inference-families.js';
import type { InferenceResults, InferenceRow } from './report.js';
import { findPython, machine, runJson, threadEnv } from './spawn.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    /** Images per batch on both sides. */
    batch: { type: 'string', default: '256' },
  },
});
const here = import.meta.dirname;
const rounds = Math.max(1, Number(values.rounds));
const batch = values.batch;
const command = [
  'npm run bench:inference',
  ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : []),
].join(' ');

buildCompiledBench((line) => process.stderr.write(`${line}\n`));
const m = machine();
const started = performance.now();
const dataFile = join(tmpdir(), `latentlab-inference-${process.pid}.f32`);
const { test } = await loadData({ source: 'fashion-mnist' }, { seed: 0 });
writeFileSync(dataFile, test.x);
const torchPython = findPython(['/usr/bin/python3', 'python3'], 'torch');
const tries = new Map<string, InferenceRow[]>();
try {
  for (let round = 0; round < rounds; round++) {
    for (const family of INFERENCE_FAMILY_NAMES) {
      const ours = runJson(
        process.execPath,
        [...compiledWorker(join(here, 'inference-worker.ts')), '--family', family, '--batch', batch],
        {
          ...process.env,
        },
      );
      const runs = [{ family, engine: 'latentlab', ...ours } as InferenceRow];
      if (torchPython) {
        const args = [
          join(here, 'peers', 'torch_inference.py'),
          '--family',
          family,
          '--batch',
          batch,
          '--data',
          dataFile,
        ];
        runs.push({ family, engine: 'pytorch', ...runJson(torchPython, args, threadEnv(2)) } as InferenceRow);
      }
      for (const row of runs) {
        process.stderr.write(
          `${family} ${row.engine}: ${row.ok ? `${row.imagesPerSecond!.toFixed(0)} images/s` : `fails: ${row.error}`}\n`,
        );
        const key = `${family} ${row.engine}`;
        tries.set(key, [...(tries.get(key) ?? []), row]);
      }
    }
  }
} finally {
  rmSync(dataFile, { force: true });
}
/** The median round (failed rounds count as slowest), with every round's images/s. */
const median = (rows: InferenceRow[]): InferenceRow => {
  const rate = (r: InferenceRow) => (r.ok ? r.imagesPerSecond! : -1);
  const sorted = [...rows].sort((a, b) => rate(a) - rate(b));
  return {
    ...sorted[Math.floor((sorted.length - 1) / 2)],
    rounds: rows.map((r) => (r.ok ? r.imagesPerSecond! : 0)),
  };
};
m.loadAverageEnd = loadavg();
const results: InferenceResults = {
  machine: m,
  command,
  totalSeconds: (performance.now() - started) / 1000,
  rows: [...tries.values()].map(median),
  notes: torchPython
    ? []
    : ['PyTorch rows skipped: no python3 (tried /usr/bin/python3, python3) can import torch.'],
};
writeFileSync(join(here, 'inference.json'), `${JSON.stringify(results, null, 2)}\n`);
writePerformanceDoc();
