// `npm run bench`: every workload on latentlab (its default backend, native when the addon is built, and its
// wasm backend), stock tfjs wasm and cpu, PyTorch and (W1) numpy, each
// in a fresh process, side by side in one run. Writes bench/results.json and docs/performance.md.
// `npm run bench -- --soak`: 1,000 steps of each workload on latentlab, writes bench/soak.json too.
// `npm run bench -- --report`: rewrites docs/performance.md from the two JSON files, runs nothing.
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadData } from '../src/data/load.js';
import { buildCompiledBench, compiledWorker } from './compiled.js';
import { readJson, writePerformanceDoc } from './doc.js';
import {
  ENGINE_LABELS,
  type EngineKey,
  type GemmPeak,
  type Results,
  type Row,
  ratioTable,
  resultsTable,
  type Soak,
  soakTable,
} from './report.js';
import { backgroundTrainingJobs, findPython, machine, runJson, threadEnv } from './spawn.js';
import { syntheticSamples, WORKLOAD_NAMES, WORKLOADS, type WorkloadName } from './workloads.js';

const { values } = parseArgs({
  options: {
    /** Timed steps for every engine but stock cpu (default: each workload's own). */
    steps: { type: 'string' },
    quick: { type: 'boolean', default: false },
    /**
     * Rounds of every fast row (all but stock cpu), interleaved; each row reports its median round. On a
     * shared machine one round can land on a burst of other work.
     */
    rounds: { type: 'string', default: '3' },
    soak: { type: 'boolean', default: false },
    /** Only rewrite docs/performance.md from bench/results.json and bench/soak.json. */
    report: { type: 'boolean', default: false },
    only: { type: 'string' },
    /** Only these engines (comma-separated keys, e.g. latentlab,pytorch,pytorch-1t); default all. */
    engines: { type: 'string' },
  },
});

const here = import.meta.dirname;
const resultsFile = join(here, 'results.json');
const soakFile = join(here, 'soak.json');
const SOAK_STEPS = 1000;
/** Square sgemm size for the machine's peak: large enough that OpenBLAS runs at its best (~0.2 s a product here). */
const GEMM_PEAK_SIZE = 2048;

const command = ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(
  ' ',
);
const workloads = values.only ? (values.only.split(',') as WorkloadName[]) : WORKLOAD_NAMES;
for (const w of workloads) if (!(w in WORKLOADS)) throw new Error(`unknown workload ${w}`);
const engines = values.engines ? (values.engines.split(',') as EngineKey[]) : undefined;
for (const e of engines ?? []) if (!(e in ENGINE_LABELS)) throw new Error(`unknown engine ${e}`);
const wanted = (engine: EngineKey) => !engines || engines.includes(engine);

/** Whether Dawn (the `webgpu` package) finds a GPU adapter here, asked in a child process. */
const gpuAdapter =
  spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      "const { create } = await import('webgpu'); process.exit((await create([]).requestAdapter()) ? 0 : 3);",
    ],
    { encoding: 'utf8', timeout: 60_000 },
  ).status === 0;

function nodeWorker(
  workload: WorkloadName,
  engine: EngineKey,
  steps: number,
  warmup: number,
  trace = 0,
): Row {
  const env = { ...process.env };
  // latentlab's row measures its default choice, not whatever the shell asks for.
  delete env.LATENTLAB_BACKEND;
  const args = [...(trace ? ['--expose-gc'] : []), ...compiledWorker(join(here, 'workload.ts'))];
  args.push('--workload', workload, '--engine', engine);
  args.push('--steps', String(steps), '--warmup', String(warmup), '--trace', String(trace));
  return { steps, warmup, ...runJson(process.execPath, args, env), workload, engine } as Row;
}

function peerRow(
  python: string,
  script: string[],
  workload: WorkloadName,
  engine: EngineKey,
  threads: number,
  steps: number,
  warmup: number,
  dataFile: string,
): Row {
  const args = [...script, '--steps', String(steps), '--warmup', String(warmup), '--data', dataFile];
  return { steps, warmup, ...runJson(python, args, threadEnv(threads)), workload, engine } as Row;
}

/** The round with the median samples/s (failed rounds count as slowest), with every round's figure. */
function medianRow(tries: Row[]): Row {
  const rate = (r: Row) => (r.ok ? (r.samplesPerSecond ?? 0) : -1);
  const sorted = [...tries].sort((a, b) => rate(a) - rate(b));
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  return tries.length > 1
    ? { ...median, rounds: tries.map((r) => (r.ok ? (r.samplesPerSecond ?? 0) : 0)) }
    : median;
}

function log(row: Row): void {
  const what = row.ok ? `${row.samplesPerSecond!.toFixed(0)} samples/s` : `fails: ${row.error}`;
  process.stderr.write(
    `${row.workload} ${ENGINE_LABELS[row.engine]} (${row.warmup} + ${row.steps} steps): ${what}\n`,
  );
}

async function soak(): Promise<void> {
  const m = machine();
  const rows: Row[] = [];
  for (const w of workloads) {
    const workload = WORKLOADS[w];
    const steps = 'soakSteps' in workload ? workload.soakSteps : SOAK_STEPS;
    const row = nodeWorker(w, 'latentlab', values.quick ? 50 : steps, 3, 10);
    log(row);
    rows.push(row);
  }
  m.backgroundTrainingJobs.end = backgroundTrainingJobs();
  m.loadAverageEnd = loadavg();
  const result: Soak = { machine: m, command, rows };
  writeFileSync(soakFile, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${soakTable(result)}\n`);
}

async function bench(): Promise<void> {
  const started = performance.now();
  const m = machine();
  const notes: string[] = [];
  const rows: Row[] = [];
  const stepsFor = (w: WorkloadName) =>
    values.quick ? 5 : values.steps ? Number(values.steps) : WORKLOADS[w].steps;
  const warmup = values.quick ? 1 : 3;

  // The Python peers train on the same samples in the same order: MNIST as raw float32 [n, 784], the text
  // workload's synthetic sentences as float32 token ids [n, length], W6's synthetic spectrograms as float32
  // [n, mels · frames].
  const dataFile = join(tmpdir(), `latentlab-bench-mnist-${process.pid}.f32`);
  const syntheticFile = join(tmpdir(), `latentlab-bench-synthetic-${process.pid}.f32`);
  const { train } = await loadData({ source: 'mnist' }, { seed: 0 });
  writeFileSync(dataFile, train.x);
  const peerData = (w: WorkloadName): string => {
    const synthetic = syntheticSamples(w);
    if (!synthetic) return dataFile;
    writeFileSync(syntheticFile, synthetic.x);
    return syntheticFile;
  };

  // Debian's python3-torch lives in /usr/bin/python3, not in a pyenv python3 earlier on PATH.
  const torchPython = findPython(['/usr/bin/python3', 'python3'], 'torch');
  const numpyPython = findPython(['python3', '/usr/bin/python3'], 'numpy');
  if (!torchPython)
    notes.push('PyTorch rows skipped: no python3 (tried /usr/bin/python3, python3) can import torch.');
  if (!gpuAdapter && wanted('latentlab-webgpu'))
    notes.push('webgpu rows skipped: Dawn (the webgpu package) found no GPU adapter on this machine.');
  if (!numpyPython) notes.push('numpy row skipped: no python3 can import numpy.');
  const peers = join(here, 'peers');

  // The machine's sgemm peak, measured at the start and the end of the run: each keeps its fastest.
  const peaks: { latentlab: GemmPeak[]; pytorch: GemmPeak[] } = { latentlab: [], pytorch: [] };
  const measurePeak = () => {
    const size = String(GEMM_PEAK_SIZE);
    const ours = runJson(process.execPath, ['--import', 'tsx', join(here, 'gemm-peak.ts'), '--size', size], {
      ...process.env,
    }) as unknown as GemmPeak;
    peaks.latentlab.push(ours);
    if (torchPython) {
      const args = [join(peers, 'torch_bench.py'), '--gemm-peak', size, '--threads', '2'];
      peaks.pytorch.push(runJson(torchPython, args, threadEnv(2)) as unknown as GemmPeak);
    }
    process.stderr.write(
      `sgemm ${size}: ${peaks.latentlab
        .concat(peaks.pytorch)
        .map((p) => (p.ok ? `${p.engine} ${p.gflops.toFixed(1)} GFLOP/s` : `${p.engine} fails: ${p.error}`))
        .join(', ')}\n`,
    );
  };
  measurePeak();
  const flopsPerSample = runJson(process.execPath, ['--import', 'tsx', join(here, 'flops-count.ts')], {
    ...process.env,
  }) as Record<string, number>;

  let numpyCheck: Record<string, unknown> | undefined;
  if (numpyPython && workloads.includes('W1')) {
    // Checked with torch too when one interpreter has both.
    const checker = torchPython && findPython([torchPython], 'numpy') ? torchPython : numpyPython;
    numpyCheck = runJson(checker, [join(peers, 'numpy_w1.py'), '--check'], threadEnv(2));
    process.stderr.write(`numpy W1 gradient check: ${JSON.stringify(numpyCheck)}\n`);
  }

  try {
    for (const w of workloads) {
      const { slowSteps, slowWarmup } = WORKLOADS[w];
      const steps = stepsFor(w);
      const data = peerData(w);
      const runs: Array<() => Row> = (
        ['latentlab', 'latentlab-wasm', 'latentlab-webgpu', 'stock-wasm'] as const
      )
        // GPU rows where Dawn finds an adapter (a machine with a GPU), none elsewhere.
        .filter((engine) => wanted(engine) && (engine !== 'latentlab-webgpu' || gpuAdapter))
        // latentlab-wasm: latentlab's wasm backend, the default when the native addon is not built.
        .map((engine) => () => nodeWorker(w, engine, steps, warmup));
      // The cpu backend is ~100x slower on convolutions: fewer steps and one round keep the run short.
      const slow = () =>
        nodeWorker(w, 'stock-cpu', values.quick ? 1 : slowSteps, values.quick ? 0 : slowWarmup);
      // Peers at 2 threads (the comparison asked for) and at 1: on a busy 2-core machine, 2-thread
      // BLAS/OpenMP pools spin against the other load and can fall far below their 1-thread speed.
      for (const threads of [2, 1] as const) {
        const torchEngine = threads === 2 ? 'pytorch' : 'pytorch-1t';
        if (torchPython && wanted(torchEngine)) {
          const engine = torchEngine;
          const script = [join(peers, 'torch_bench.py'), '--workload', w, '--threads', String(threads)];
          runs.push(() => peerRow(torchPython, script, w, engine, threads, steps, warmup, data));
        }
        const numpyEngine = threads === 2 ? 'numpy' : 'numpy-1t';
        if (numpyPython && w === 'W1' && wanted(numpyEngine)) {
          const engine = numpyEngine;
          runs.push(() =>
            peerRow(numpyPython, [join(peers, 'numpy_w1.py')], w, engine, threads, steps, warmup, dataFile),
          );
        }
      }
      const rounds = values.quick ? 1 : Math.max(1, Number(values.rounds));
      const byEngine = new Map<string, Row[]>();
      for (let round = 0; round < rounds; round++) {
        for (const run of round === 0 && wanted('stock-cpu') ? [...runs, slow] : runs) {
          const row = run();
          log(row);
          byEngine.set(row.engine, [...(byEngine.get(row.engine) ?? []), row]);
        }
      }
      for (const tries of byEngine.values()) rows.push(medianRow(tries));
    }
    measurePeak();
  } finally {
    rmSync(dataFile, { force: true });
    rmSync(syntheticFile, { force: true });
  }
  const fastest = (measures: GemmPeak[]) =>
    measures.filter((p) => p.ok).sort((a, b) => b.gflops - a.gflops)[0] ?? measures[0];

  m.backgroundTrainingJobs.end = backgroundTrainingJobs();
  m.loadAverageEnd = loadavg();
  // --only reruns some workloads: the others keep their rows from the earlier run, which the page says.
  const earlier = values.only ? readJson<Results>(resultsFile) : undefined;
  const kept = (earlier?.rows ?? [])
    .filter((r) => !workloads.includes(r.workload))
    .map((r) => ({ ...r, from: r.from ?? { date: earlier!.machine.date, command: earlier!.command } }));
  const byRun = new Map<string, Set<string>>();
  for (const r of kept) {
    const run = `${r.from.date} (\`${r.from.command}\`)`;
    byRun.set(run, (byRun.get(run) ?? new Set()).add(r.workload));
  }
  for (const [run, names] of byRun) {
    notes.push(
      `${[...names].join(', ')}: rows from the earlier run of ${run}; this run (\`${command}\`) measured ${workloads.join(', ')} only.`,
    );
  }
  rows.unshift(...kept);
  const results: Results = {
    machine: m,
    command,
    totalSeconds: (performance.now() - started) / 1000,
    rows,
    notes,
    flopsPerSample,
    gemmPeak: {
      latentlab: { ...fastest(peaks.latentlab), measures: peaks.latentlab.map((p) => p.gflops ?? 0) },
      ...(peaks.pytorch.length
        ? { pytorch: { ...fastest(peaks.pytorch), measures: peaks.pytorch.map((p) => p.gflops ?? 0) } }
        : {}),
    },
    ...(numpyCheck ? { numpyCheck } : earlier?.numpyCheck ? { numpyCheck: earlier.numpyCheck } : {}),
  };
  writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${resultsTable(results)}\n\n${ratioTable(results)}\n`);
  for (const note of notes) process.stdout.write(`note: ${note}\n`);
}

if (!values.report) {
  buildCompiledBench((line) => process.stderr.write(`${line}\n`));
  await (values.soak ? soak() : bench());
}
writePerformanceDoc();
