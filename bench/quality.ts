// `npm run bench:quality`: time to quality on Fashion-MNIST (issue 23): the dense AE 784-512-256-32 to a test MSE
// of 0.0085 and the conv AE to 0.0080, latentlab's trainLoop against the PyTorch peer with the same model and
// schedule, one after the other in one run, each in a fresh process. Writes bench/quality.json and regenerates
// docs/performance.md.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadData } from '../src/data/load.js';
import { buildCompiledBench, compiledWorker } from './compiled.js';
import { BENCH_FILES, writePerformanceDoc } from './doc.js';
import { QUALITY_BATCH, QUALITY_MODEL_NAMES, QUALITY_TARGETS, type QualityModel } from './quality-targets.js';
import type { QualityResults, QualityRow } from './report.js';
import { findPython, machine, runJson, threadEnv } from './spawn.js';

const { values } = parseArgs({ options: { only: { type: 'string' } } });
const models = values.only ? (values.only.split(',') as QualityModel[]) : QUALITY_MODEL_NAMES;
for (const name of models) if (!(name in QUALITY_TARGETS)) throw new Error(`unknown model ${name}`);
const here = import.meta.dirname;
const command = [
  'npm run bench:quality',
  ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : []),
].join(' ');

buildCompiledBench((line) => process.stderr.write(`${line}\n`));
const m = machine();
const started = performance.now();
// The peer trains on latentlab's own seeded split, so both sides see the same 54,000 training images.
const { train, test } = await loadData({ source: 'fashion-mnist' }, { seed: 0 });
const trainFile = join(tmpdir(), `latentlab-quality-train-${process.pid}.f32`);
const testFile = join(tmpdir(), `latentlab-quality-test-${process.pid}.f32`);
writeFileSync(trainFile, train.x);
writeFileSync(testFile, test.x);
const torchPython = findPython(['/usr/bin/python3', 'python3'], 'torch');
const rows: QualityRow[] = [];
const log = (row: QualityRow) =>
  process.stderr.write(
    `${row.model} ${row.engine}: ${row.ok ? `${row.reached ? 'reached' : 'did not reach'} ${row.targetMse} in ${row.epochs} epochs, ${row.trainSeconds?.toFixed(1)} s (test MSE ${row.testMse?.map((v) => v.toFixed(5)).join(', ')})` : `fails: ${row.error}`}\n`,
  );
try {
  for (const name of models) {
    const { targetMse, maxEpochs } = QUALITY_TARGETS[name];
    const ours = runJson(
      process.execPath,
      [...compiledWorker(join(here, 'quality-worker.ts')), '--model', name],
      {
        ...process.env,
      },
    );
    rows.push({ model: name, engine: 'latentlab', ...ours } as QualityRow);
    log(rows.at(-1)!);
    if (torchPython) {
      const args = [
        join(here, 'peers', 'torch_quality.py'),
        '--model',
        name,
        '--train',
        trainFile,
        '--test',
        testFile,
      ];
      args.push(
        '--target',
        String(targetMse),
        '--max-epochs',
        String(maxEpochs),
        '--batch',
        String(QUALITY_BATCH),
      );
      rows.push({
        model: name,
        engine: 'pytorch',
        ...runJson(torchPython, args, threadEnv(2)),
      } as QualityRow);
      log(rows.at(-1)!);
    }
  }
} finally {
  rmSync(trainFile, { force: true });
  rmSync(testFile, { force: true });
}
m.loadAverageEnd = loadavg();
const notes = torchPython
  ? []
  : ['PyTorch rows skipped: no python3 (tried /usr/bin/python3, python3) can import torch.'];
// A run of some models (--only) keeps the rows of the others from the run before, saying so.
if (existsSync(BENCH_FILES.quality)) {
  const earlier = JSON.parse(readFileSync(BENCH_FILES.quality, 'utf8')) as QualityResults;
  const kept = earlier.rows.filter((r) => !models.includes(r.model as QualityModel));
  const keptModels = [...new Set(kept.map((r) => r.model))];
  if (keptModels.length > 0) {
    rows.unshift(...kept);
    notes.push(
      `${keptModels.join(', ')}: rows from the earlier run of ${earlier.machine.date} (\`${earlier.command}\`); this run (\`${command}\`) measured ${models.join(', ')} only.`,
    );
  }
}
const results: QualityResults = {
  machine: m,
  command,
  totalSeconds: (performance.now() - started) / 1000,
  rows,
  notes,
};
writeFileSync(BENCH_FILES.quality, `${JSON.stringify(results, null, 2)}\n`);
writePerformanceDoc();
