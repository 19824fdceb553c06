// Turns bench/results.json and bench/soak.json into the terminal table and docs/performance.md.
// Pure formatting: no TensorFlow.js, so the runner can regenerate the page after either mode.
import { INFERENCE_FAMILIES, INFERENCE_FAMILY_NAMES, type InferenceFamily } from './inference-families.js';
import { QUALITY_MODEL_NAMES, QUALITY_TARGETS, type QualityModel } from './quality-targets.js';
import { WORKLOAD_NAMES, WORKLOADS, type WorkloadName } from './workloads.js';

export type EngineKey =
  | 'latentlab'
  | 'latentlab-wasm'
  | 'latentlab-webgpu'
  | 'stock-wasm'
  | 'stock-cpu'
  | 'pytorch'
  | 'pytorch-1t'
  | 'numpy'
  | 'numpy-1t';

export const ENGINE_LABELS: Record<EngineKey, string> = {
  latentlab: 'latentlab (default backend)',
  'latentlab-wasm': 'latentlab wasm backend',
  'latentlab-webgpu': 'latentlab webgpu backend (GPU, through Dawn)',
  'stock-wasm': 'stock tfjs wasm',
  'stock-cpu': 'stock tfjs cpu',
  pytorch: 'PyTorch CPU, 2 threads',
  'pytorch-1t': 'PyTorch CPU, 1 thread',
  numpy: 'numpy + OpenBLAS, 2 threads (limit)',
  'numpy-1t': 'numpy + OpenBLAS, 1 thread',
};

export interface Row {
  workload: WorkloadName;
  engine: EngineKey;
  /** What actually ran, e.g. "backend: wasm (SIMD, ...)" or "PyTorch 1.13, 2 threads". */
  backend?: string;
  ok: boolean;
  steps: number;
  warmup: number;
  samplesPerSecond?: number;
  seconds?: number;
  /** samples/s of every round when the row was run more than once (the row is the median round). */
  rounds?: number[];
  /** CPU time of all threads per timed step (Node rows). */
  cpuMsPerStep?: number;
  /** Trainable parameters (TensorFlow.js and PyTorch rows). */
  params?: number;
  /** Training FLOPs per sample from the layer shapes (Node rows; bench/flops.ts): the same for every engine. */
  flopsPerSample?: number;
  peakRssMb?: number;
  liveBefore?: number;
  liveAfter?: number;
  bytesBefore?: number;
  bytesAfter?: number;
  rssStartMb?: number;
  rssEndMb?: number;
  rssTraceMb?: number[];
  /** JS heap in use (after a forced GC in soak runs). */
  heapStartMb?: number;
  heapEndMb?: number;
  heapTraceMb?: number[];
  gcBeforeSamples?: boolean;
  /** The wasm backend's heap, where its tensors live. */
  wasmHeapStartMb?: number;
  wasmHeapEndMb?: number;
  error?: string;
  /** Set on rows kept from an earlier run by `--only`: that run's date and command. */
  from?: { date: string; command: string };
}

export interface Machine {
  cores: number;
  cpu: string;
  node: string;
  os: string;
  loadAverage: number[];
  loadAverageEnd?: number[];
  /** `latentlab train` processes running at the start and at the end of the run. */
  backgroundTrainingJobs: { start: number; end: number };
  date: string;
  /** OPENBLAS_* and LATENTLAB_* variables set for the run (they change which kernels and threads run). */
  env?: Record<string, string>;
}

/** One sgemm timing of the machine's peak (bench/gemm-peak.ts, torch_bench.py --gemm-peak). */
export interface GemmPeak {
  ok: boolean;
  engine: 'latentlab' | 'pytorch';
  backend?: string;
  size: number;
  /** The fastest repetition. */
  gflops: number;
  error?: string;
  /** Every measurement of the run (start and end), when several were taken. */
  measures?: number[];
}

export interface Results {
  machine: Machine;
  command: string;
  totalSeconds: number;
  rows: Row[];
  /** Why peer rows are missing, when they are. */
  notes: string[];
  numpyCheck?: Record<string, unknown>;
  /** sgemm peak measured in the run: OpenBLAS through latentlab's native backend, and torch.mm as a cross-check. */
  gemmPeak?: { latentlab: GemmPeak; pytorch?: GemmPeak };
  /** Every workload's training FLOPs per sample, counted in the run (rows kept from earlier runs lack their own). */
  flopsPerSample?: Record<string, number>;
}

const fmt = (n: number | undefined, digits = 0) =>
  n === undefined
    ? '-'
    : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
/** Samples/s with enough digits for the slow rows (stock cpu manages well under 1 on W3). */
const fmtRate = (n: number | undefined) => fmt(n, n === undefined || n >= 100 ? 0 : n >= 10 ? 1 : 2);
const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && b > 0 ? `${(a / b).toFixed(2)}x` : '-';

function rate(rows: Row[], workload: WorkloadName, engine: EngineKey): Row | undefined {
  return rows.find((r) => r.workload === workload && r.engine === engine);
}

export function resultsTable(results: Results): string {
  const lines = [
    '| workload | engine | steps (warm-up + timed) | samples/s | vs latentlab | rounds (samples/s) | GFLOP/s | of sgemm peak | peak RSS (MB) | RSS vs PyTorch | live tensors before → after |',
    '| --- | --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- |',
  ];
  const peak = peakGflops(results);
  for (const name of WORKLOAD_NAMES) {
    const ours = rate(results.rows, name, 'latentlab')?.samplesPerSecond;
    const flops = flopsPerSample(results, name);
    const torchRss = rate(results.rows, name, 'pytorch')?.peakRssMb;
    for (const r of results.rows.filter((row) => row.workload === name)) {
      const live =
        r.liveBefore === undefined
          ? 'n/a'
          : r.warmup === 0 && r.steps === 1
            ? 'n/a (one step)'
            : `${r.liveBefore} → ${r.liveAfter}`;
      const steps = `${r.warmup} + ${r.steps}`;
      const gflops = achievedGflops(r, flops);
      const ofPeak = gflops !== undefined && peak ? (gflops / peak).toFixed(2) : '-';
      lines.push(
        r.ok
          ? `| ${name} | ${ENGINE_LABELS[r.engine]} | ${steps} | ${fmtRate(r.samplesPerSecond)} | ${r.engine === 'latentlab' ? '1.00' : (r.samplesPerSecond! / ours!).toFixed(3)} | ${r.rounds ? r.rounds.map((v) => fmtRate(v)).join(', ') : '1 round'} | ${fmt(gflops, 1)} | ${ofPeak} | ${fmt(r.peakRssMb)} | ${ratio(r.peakRssMb, torchRss)} | ${live} |`
          : `| ${name} | ${ENGINE_LABELS[r.engine]} | ${steps} | fails: ${r.error} | - | - | - | - | - | - | - |`,
      );
    }
  }
  return lines.join('\n');
}

/** The run's sgemm peak in GFLOP/s: OpenBLAS through latentlab's native backend. */
function peakGflops(results: Results): number | undefined {
  const p = results.gemmPeak?.latentlab;
  return p?.ok ? p.gflops : undefined;
}

function flopsPerSample(results: Results, workload: WorkloadName): number | undefined {
  return (
    results.rows.find((r) => r.workload === workload && r.flopsPerSample)?.flopsPerSample ??
    results.flopsPerSample?.[workload]
  );
}

const achievedGflops = (r: Row, flops: number | undefined) =>
  r.ok && flops !== undefined && r.samplesPerSecond !== undefined
    ? (flops * r.samplesPerSecond) / 1e9
    : undefined;

/**
 * Each workload's distance to the machine's limit: achieved GFLOP/s over the sgemm peak measured in the same
 * run (issue 23: W1 at 0.7 or more), latentlab beside PyTorch 2 threads.
 */
export function peakTable(results: Results): string {
  const peak = peakGflops(results);
  const lines = [
    '| workload | training GFLOP per sample | latentlab GFLOP/s | latentlab of peak | PyTorch 2 threads GFLOP/s | PyTorch of peak | peak RSS latentlab / PyTorch (MB) | RSS ratio |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |',
  ];
  for (const name of WORKLOAD_NAMES) {
    const ours = rate(results.rows, name, 'latentlab');
    const torch = rate(results.rows, name, 'pytorch');
    if (!ours && !torch) continue;
    const flops = flopsPerSample(results, name);
    const cells = (r: Row | undefined) => {
      const g = r ? achievedGflops(r, flops) : undefined;
      return [fmt(g, 1), g !== undefined && peak ? (g / peak).toFixed(2) : '-'];
    };
    lines.push(
      `| ${name} | ${flops === undefined ? '-' : (flops / 1e9).toFixed(4)} | ${cells(ours).join(' | ')} | ${cells(torch).join(' | ')} | ${fmt(ours?.peakRssMb)} / ${fmt(torch?.peakRssMb)} | ${ratio(ours?.peakRssMb, torch?.peakRssMb)} |`,
    );
  }
  return lines.join('\n');
}

function peakLine(results: Results): string {
  const { latentlab, pytorch } = results.gemmPeak ?? {};
  if (!latentlab) return 'No sgemm peak was measured in this run.';
  const one = (p: GemmPeak, what: string) =>
    p.ok
      ? `${what} ${fmt(p.gflops, 1)} GFLOP/s (fastest of 10 products, at the start and the end of the run: ${(p.measures ?? [p.gflops]).map((v) => fmt(v, 1)).join(', ')}; ${p.backend})`
      : `${what} failed: ${p.error}`;
  return `Peak: a ${latentlab.size}x${latentlab.size} sgemm, ${one(latentlab, "OpenBLAS through latentlab's native backend")}${pytorch ? `; cross-check, ${one(pytorch, 'PyTorch torch.mm')}` : ''}.`;
}

export function ratioTable(results: Results): string {
  const lines = [
    '| workload | latentlab / latentlab wasm | latentlab / stock wasm | latentlab / stock cpu | latentlab / PyTorch 2 threads (1 thread) | latentlab / numpy limit 2 threads (1 thread) |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const name of WORKLOAD_NAMES) {
    const ours = rate(results.rows, name, 'latentlab');
    if (!ours?.ok) {
      lines.push(`| ${name} | ${ours ? `latentlab fails: ${ours.error}` : 'not run'} | | | | |`);
      continue;
    }
    const cell = (engine: EngineKey) => {
      const other = rate(results.rows, name, engine);
      if (!other) return engine.startsWith('numpy') && name !== 'W1' ? '' : 'not run';
      return other.ok ? ratio(ours.samplesPerSecond, other.samplesPerSecond) : 'fails';
    };
    const pair = (two: EngineKey, one: EngineKey) => (cell(two) === '' ? '' : `${cell(two)} (${cell(one)})`);
    lines.push(
      `| ${name} ${WORKLOADS[name].title} | ${cell('latentlab-wasm')} | ${cell('stock-wasm')} | ${cell('stock-cpu')} | ${pair('pytorch', 'pytorch-1t')} | ${pair('numpy', 'numpy-1t')} |`,
    );
  }
  return lines.join('\n');
}

/** The native backend's targets (issue 9), each against a peer measured in the same run. */
export function targetsTable(results: Results): string {
  /** The numpy limit: the faster of its 2-thread and 1-thread rows (2 threads collapse on a busy machine). */
  const numpyLimit = (): { row?: Row; label: string } => {
    const rows = (['numpy', 'numpy-1t'] as const)
      .map((e) => rate(results.rows, 'W1', e))
      .filter((r) => r?.ok);
    const best = rows.sort((a, b) => b!.samplesPerSecond! - a!.samplesPerSecond!)[0];
    return {
      row: best,
      label: best?.engine === 'numpy-1t' ? 'numpy, 1 thread (faster than 2 in this run)' : 'numpy, 2 threads',
    };
  };
  const limit = numpyLimit();
  const targets: { workload: WorkloadName; peer?: Row; min: number; strict: boolean; what: string }[] = [
    {
      workload: 'W1',
      peer: limit.row,
      min: 0.8,
      strict: false,
      what: `at least 0.8x the numpy limit (${limit.label})`,
    },
    {
      workload: 'W2',
      peer: rate(results.rows, 'W2', 'pytorch'),
      min: 1,
      strict: true,
      what: 'faster than PyTorch, 2 threads',
    },
    {
      workload: 'W3',
      peer: rate(results.rows, 'W3', 'pytorch'),
      min: 1,
      strict: true,
      what: 'faster than PyTorch, 2 threads',
    },
    {
      workload: 'W5',
      peer: rate(results.rows, 'W5', 'pytorch'),
      min: 1,
      strict: false,
      what: 'at least 1.0x PyTorch, 2 threads (issue 18)',
    },
    {
      workload: 'W6',
      peer: rate(results.rows, 'W6', 'pytorch'),
      min: 1.2,
      strict: false,
      what: 'at least 1.2x PyTorch, 2 threads (issue 19)',
    },
  ];
  const lines = [
    '| workload | target | latentlab samples/s | peer samples/s | ratio | met |',
    '| --- | --- | ---: | ---: | ---: | --- |',
  ];
  for (const t of targets) {
    const ours = rate(results.rows, t.workload, 'latentlab');
    const peer = t.peer;
    if (!ours?.ok || !peer?.ok) {
      lines.push(
        `| ${t.workload} | ${t.what} | ${fmtRate(ours?.samplesPerSecond)} | ${fmtRate(peer?.samplesPerSecond)} | - | not measured |`,
      );
      continue;
    }
    const r = ours.samplesPerSecond! / peer.samplesPerSecond!;
    const met = t.strict ? r > t.min : r >= t.min;
    lines.push(
      `| ${t.workload} | ${t.what} | ${fmtRate(ours.samplesPerSecond)} | ${fmtRate(peer.samplesPerSecond)} | ${r.toFixed(2)}x | ${met ? 'yes' : 'no'} |`,
    );
  }
  return lines.join('\n');
}

export interface Soak {
  machine: Machine;
  command: string;
  rows: Row[];
}

/** Change from the first 10% mark to the end: past the start-up growth of heaps and caches. */
function lateGrowth(trace: number[] | undefined): number | undefined {
  return trace && trace.length > 2 ? trace[trace.length - 1] - trace[1] : undefined;
}

const signed = (n: number | undefined) => (n === undefined ? '-' : `${n >= 0 ? '+' : ''}${fmt(n, 1)}`);
const span = (a: number | undefined, b: number | undefined, digits = 0) =>
  `${fmt(a, digits)} → ${fmt(b, digits)}`;

export function soakTable(soak: Soak): string {
  const lines = [
    '| workload | steps | samples/s | live tensors before → after | tensor bytes before → after | wasm heap (MB) | JS heap after GC (MB) | RSS (MB) | RSS, 10% → end (MB) | JS heap, 10% → end (MB) |',
    '| --- | ---: | ---: | --- | --- | --- | --- | --- | ---: | ---: |',
  ];
  for (const r of soak.rows) {
    const leak = r.liveBefore === r.liveAfter && r.bytesBefore === r.bytesAfter ? '' : ' **leak**';
    lines.push(
      r.ok
        ? `| ${r.workload} | ${r.steps} | ${fmtRate(r.samplesPerSecond)} | ${r.liveBefore} → ${r.liveAfter}${leak} | ${fmt(r.bytesBefore)} → ${fmt(r.bytesAfter)} | ${span(r.wasmHeapStartMb, r.wasmHeapEndMb, 1)} | ${span(r.heapStartMb, r.heapEndMb, 1)} | ${span(r.rssStartMb, r.rssEndMb)} | ${signed(lateGrowth(r.rssTraceMb))} | ${signed(lateGrowth(r.heapTraceMb))} |`
        : `| ${r.workload} | ${r.steps} | fails: ${r.error} | - | - | - | - | - | - | - |`,
    );
  }
  return lines.join('\n');
}

/** The RSS and JS heap samples, one line per workload. */
function soakTraces(soak: Soak): string[] {
  return soak.rows
    .filter((r) => r.ok && r.rssTraceMb)
    .map(
      (r) =>
        `- ${r.workload}: RSS ${r.rssTraceMb!.map((v) => fmt(v)).join(', ')}; JS heap ${(r.heapTraceMb ?? []).map((v) => fmt(v)).join(', ')}`,
    );
}

/** Trainable parameter counts, TensorFlow.js against PyTorch: the architectures must agree. */
function paramsNote(rows: Row[]): string {
  const parts = WORKLOAD_NAMES.flatMap((name) => {
    const ours = rows.find((r) => r.workload === name && r.params !== undefined && r.engine !== 'pytorch');
    const torch = rate(rows, name, 'pytorch')?.params;
    if (!ours?.params) return [];
    if (torch === undefined) return [`${name} ${fmt(ours.params)} (no PyTorch count)`];
    return [
      ours.params === torch
        ? `${name} ${fmt(ours.params)}`
        : `**${name} differs: ${ours.params} vs ${torch}**`,
    ];
  });
  return `Trainable parameters, TensorFlow.js and PyTorch alike: ${parts.join(', ')}.`;
}

function machineLine(m: Machine): string {
  const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' / ');
  const end = m.loadAverageEnd ? `, at the end ${load(m.loadAverageEnd)}` : '';
  const env = Object.entries(m.env ?? {}).map(([k, v]) => `${k}=${v}`);
  const envPart = env.length ? `; environment ${env.join(', ')}` : '';
  return `${m.cores} cores, ${m.cpu}, ${m.os}, Node ${m.node}; load average (1/5/15 min) at the start ${load(m.loadAverage)}${end}${envPart}`;
}

function backgroundNote(m: Machine): string | undefined {
  const { start, end } = m.backgroundTrainingJobs;
  const loads = [m.loadAverage[0], ...(m.loadAverageEnd ? [m.loadAverageEnd[0]] : [])];
  if (start === 0 && end === 0 && Math.max(...loads) < 1.5) return undefined;
  const jobs =
    start || end
      ? `Background \`latentlab train\` jobs were running (${start} at the start of the run, ${end} at the end)`
      : 'No `latentlab train` job was running, but other processes shared the machine';
  const load = loads.map((l) => l.toFixed(1)).join(' at the start, ');
  return `${jobs}; 1-minute load average ${load}${loads.length > 1 ? ' at the end' : ' at the start'} on ${m.cores} cores. Figures are depressed accordingly, multi-threaded engines most: their threads wait on each other while the cores are shared.`;
}

/**
 * Where W5's step goes, measured by hand (not by the runner) with bench/profile.ts: the profile that chose what
 * to fuse (issue 18), before and after.
 */
function w5Profile(): string[] {
  return [
    '### Where a W5 step goes (seq-vae, profiled)',
    '',
    '`npx tsx bench/profile.ts W5 3 40` runs the bench model under `tf.profile` and ranks its kernels (wall ms',
    'per step, native backend). Before: the branch point (commit a205f41: the same bench files, the engine and',
    '`losses.ts` as they were); after: this branch; both profiled back to back at a 1-minute load average of',
    '~3.5 on the 2 cores. About 11,500 kernel calls a step, almost all from the two GRUs, which tfjs-layers',
    'runs step by step.',
    '',
    '| kernels | before | after |',
    '| --- | ---: | ---: |',
    '| whole step, unprofiled | 3,915 ms, CPU 3,909 ms (16.3 samples/s) | 2,048 ms, CPU 2,052 ms (31.3 samples/s) |',
    '| softmax cross-entropy over 10,000 classes, forward and backward | 1,138 ms: Tile [64,40,1] → [64,40,10000] 576 (a copy per element), Exp ×2 370, Sum ×3 64, Multiply, Sub, Max, ArgMax, Cast 128 | 55 ms: the fused kernel 44, its gradient 11 |',
    '| output projection [2560, 512] · [512, 10000]: forward and both gradients (sgemm) | 791 ms | 842 ms |',
    '| GRU products, per step (encoder and decoder, forward and backward; sgemm) | 654 ms | 667 ms |',
    "| GRU recurrent kernel split into gates every step (SplitV), its gradient's Concat, kernel-gradient sums | 279 ms | 209 ms |",
    '| embedding lookups (GatherV2) and unstacking the inputs by step (Unpack) | 133 ms | 6 ms |',
    '| GRU gates and masking, elementwise on [64, 512] (Tanh, hard-sigmoid clip, Select, …) | ~200 ms | ~200 ms |',
    '',
    'What was changed, in the engine (docs/engine.md lists the kernels): a fused softmax cross-entropy with its',
    'argmax and gradient (`LatentlabSoftmaxCrossEntropy`, C on every core under native, JS on wasm and cpu),',
    "which the sequence families' `tokenNll` now uses instead of logSoftmax times a [n, T, V] one-hot; Tile of",
    'a single value as one fill; GatherV2, Unpack and SplitV as row copies; Transpose by the identity',
    'permutation sharing its buffer. Losses are unchanged beyond float rounding (test/engine/softmax-cross-',
    'entropy.test.ts: the kernels against the stock composition to 2e-6, forward and gradient; the Brown run',
    'below gives the same test figures to the printed digits).',
    '',
    'The GRU (src/models/seq/fast-gru.ts, 2026-12-07): `FastGru`, a subclass of the stock GRU layer that the',
    'networks now build, computes the same function (same weights, gates, hard-sigmoid recurrent activation,',
    'masking; test/models/fast-gru.test.ts checks outputs and gradients against the stock layer to 1e-5) and',
    "saves as a stock 'GRU', so stock tf.loadLayersModel reads the networks as before. It makes every step's input",
    'product in one [2560, e] · [e, 1536] matmul, splits the recurrent kernel once per call, folds the hard',
    "sigmoid's scale into the weights, and runs the recurrence as one op with a hand-written backward pass",
    '(kernel gradients as one product over all steps instead of one per step and a sum). Before: the stock GRU;',
    'after: FastGru; profiled back to back, at a 1-minute load average of ~7 on the 2 cores (busy: the',
    'unchanged output projection took 1,156 ms in the first run and 834 in the second).',
    '',
    '| kernels | stock GRU | FastGru |',
    '| --- | ---: | ---: |',
    '| whole step, unprofiled | 2,342 ms, CPU 2,360 ms | 2,159 ms, CPU 1,895 ms |',
    '| kernel calls a step | 11,560 | 3,347 |',
    '| GRU products (encoder and decoder, forward and backward; sgemm) | 947 ms, all per step | 597 ms: 304 per step (recurrent), 294 in ten products over all steps |',
    "| recurrent kernel split per step (SplitV), its gradient's Concat and the kernel-gradient sums (Add) | 191 ms | 6 ms |",
    '| hard-sigmoid clip gradient (GreaterEqual, LessEqual, LogicalAnd, Select, ZerosLike) | 93 ms | 8 ms (Step, Multiply, Sub) |',
    '',
    'Throughput above (`npm run bench -- --only W5 --engines latentlab,pytorch --rounds 5`, the stock GRU and',
    'FastGru back to back at a load average of ~7): with the stock GRU 31.1 samples/s against PyTorch 35.0',
    '(0.89x), with FastGru 40.6 against 36.4 (1.12x, the run shown; its rounds 39.4 to 42.2); peak RSS',
    '2,002 → 1,179 MB. Three-round pairs earlier: 0.89x → 1.10x, and one FastGru run at a load of 7 to 8',
    'gave 0.84x (30.6 against 36.5): on this shared machine a single run can land either side of 1.0x.',
    'What remains: the output projection, three 13-GFLOP sgemm calls that PyTorch makes too (same OpenBLAS),',
    'and the per-step recurrent products.',
    '',
    'The small Brown configuration (`node --import tsx src/cli/bin.ts train --model seq-vae --data brown',
    '--embedding 64 --hidden 128 --latent 16 --max-length 16 --max-vocab 2000 --limit 4096 --epochs 1`), main',
    'before these changes and this branch back to back (load average ~4 on 2 cores): 312 → 625 samples/s, the',
    'whole run 29.5 → 13.8 s (27.8 → 12.9 s of user CPU); test loss 244.0, NLL 69.29, NLL per token 5.013,',
    'accuracy 0.1845 and KL 174.7 both times. With FastGru (stock GRU and FastGru back to back, load average',
    '~6): 488 → 887 samples/s, the whole run 12.6 → 8.2 s (15.6 → 11.3 s of user CPU), the same test figures.',
    '',
  ];
}

/**
 * Where W1's and W4's steps go (issue 23, part 1), measured by hand with bench/profile.ts before and after the
 * changes of 2026-12-08: the fused reconstruction losses and the single pool for products and loops.
 */
function denseProfile(): string[] {
  return [
    '### Where W1 and W4 steps go (issue 23, profiled)',
    '',
    '`npx tsx bench/profile.ts W1 30 60` and `... W4 30 60` (wall ms per step, native backend). Before: commit',
    '73d7a51 (its own addon build); after: this branch; profiled in turn, twice each, on the otherwise quiet 2-core',
    'machine (load average 0.7 at the start). "Unprofiled" is the plain step; the kernel rows come from',
    '`tf.profile`, which adds its own cost to every kernel; Adam is timed around `applyGradients` (the native',
    "backend's in-place update is no kernel the profiler sees); the rest of a step is tfjs-core's JavaScript around",
    'the kernels (tape, tidy, dispose).',
    '',
    '| W1 (dense AE, batch 256) | before | after |',
    '| --- | ---: | ---: |',
    '| whole step, unprofiled (two runs) | 13.3, 15.0 ms; CPU 20.9, 23.5 ms | 11.3, 10.0 ms; CPU 16.8, 15.4 ms |',
    '| kernel calls a step | 46 | 44 |',
    '| products: 4 fused forward, 7 backward (sgemm) | 7.9 ms | 7.4 ms |',
    '| MSE forward and backward | 0.9 ms: Mean, SquaredDifference, Multiply ×4, Sub, Tile, RealDiv | 0.23 ms: LatentlabRowLoss, its gradient |',
    '| activation gradients (relu, sigmoid) with the bias sums | 0.49 ms | 0.26 ms |',
    '| all kernels, under the profiler (run 2) | 9.5 ms | 8.4 ms |',
    '| Adam (in place, one addon call per variable) | 0.6 to 0.8 ms | 0.7 ms |',
    '',
    '| W4 (dense VAE, batch 128) | before | after |',
    '| --- | ---: | ---: |',
    '| whole step, unprofiled (two runs) | 25.6, 23.2 ms; CPU 39.7, 36.5 ms | 21.0, 19.4 ms; CPU 31.2, 31.1 ms |',
    '| kernel calls a step | 203 | 167 |',
    '| products: 7 fused forward, 13 backward (sgemm) | 13.7 ms | 10.9 ms |',
    '| Bernoulli likelihood forward and backward | Exp ×3 1.43 ms and Log1p 0.72 ms, with Relu, Neg, Step, Multiply, Add, Sum and Tile on [128, 784] | 0.67 ms: LatentlabRowLoss (with the reported MSE), its gradient |',
    '| all kernels, under the profiler (run 1) | 19.3 ms | 13.6 ms |',
    '| Adam | 1.2 to 1.3 ms | 1.3 to 1.4 ms |',
    '',
    'What changed (docs/engine.md lists the kernels): the mean squared error and the Bernoulli likelihood are one',
    'kernel each way (`LatentlabRowLoss`: C with vectorised exponential, log1p and sigmoid under native, JS on wasm',
    'and cpu, stock ops elsewhere), used by every family; the fused sigmoid epilogue of a dense layer is vectorised',
    "the same way; and OpenBLAS runs single-threaded inside latentlab's own pool, which splits each product into",
    "row blocks and spins briefly between jobs: before, OpenBLAS's two threads went to sleep after every product",
    '(they were set to, so as not to spin against the pool) and had to be woken for the next, about 20 times a W4',
    'step between single-threaded wasm kernels. The products themselves still run at 50 to 110 GFLOP/s against',
    '~145 for a 2048² product: at batch 128 to 256 they are small for two threads, and the same holds for PyTorch,',
    'which uses the same OpenBLAS. What is left between the products is tfjs-core: ~40 kernel calls a W1 step and',
    '~170 a W4 step at 10 to 50 µs of JavaScript each.',
    '',
    'Throughput against PyTorch moves more between runs of the same command than these changes move it: `npm run',
    'bench -- --only W1,W4 --engines latentlab,pytorch --rounds 5` at 00:40 on 2026-12-08 (the row-loss kernels,',
    "before the single pool) gave W1 1.01x and W4 0.96x (PyTorch's W1 rounds 18,815 to 22,177 samples/s); the full",
    "run above, 15 minutes later with the single pool, 0.78x and 0.88x (PyTorch's W1 rounds 25,598 to 33,160).",
    '',
  ];
}

/**
 * Tables (issue 20), measured by `npm run bench:tables` (whole commands, wall time and peak RSS): a table read
 * streamed, trained and scored at 50,000 x 100, and the numbers-only path at 100,000 x 50.
 */
function tablesAtScale(): string[] {
  return [
    '### Tables at scale (issue 20)',
    '',
    '`npm run bench:tables` writes a seeded table of 50,000 rows x 100 columns (80 numbers and 20 categories of 3',
    'to 8 levels drawn from 4 shared factors, 2% of cells empty; 36.4 MB of CSV), then runs `latentlab train',
    '--model table-ae --epochs 1` and `latentlab detect` on it through the CLI, each in a fresh process timed by',
    '`/usr/bin/time` (wall seconds, peak RSS). Train includes reading (streamed, column by column), typing the',
    'columns, fitting the encoders (190 encoded values a row), one epoch over the 36,000 training rows, the',
    'validation and test passes and saving the run; detect reads the whole file again with the saved encoders and',
    'scores every row. Run on 2026-12-07 on the 2-core machine, load average ~3.5:',
    '',
    '| table | command | wall s | rows/s | peak RSS MB |',
    '| --- | --- | ---: | ---: | ---: |',
    '| 50,000 x 100, mixed, 2% gaps | train table-ae, 1 epoch | 19.2 | 2,608 | 418 |',
    '| 50,000 x 100, mixed, 2% gaps | detect (every row) | 4.0 | 12,346 | 352 |',
    '| 100,000 x 50, numbers, no gaps | train dense-ae, 1 epoch | 4.6 | 21,834 | 312 |',
    '| 100,000 x 50, numbers, no gaps | detect (every row) | 3.3 | 30,030 | 300 |',
    '',
    'The last two rows are `npm run bench:tables -- --rows 100000 --numbers 50 --categories 0 --gaps 0 --model',
    'dense-ae`: a table of numbers only reads the plain way (one scaling). Issue 20 measured 474 MB for loading',
    'that table when the CSV was read whole into strings; streamed into typed columns the whole training command',
    "now peaks at 312 MB (of which ~92 MB is Node with latentlab's imports). Mode-specific encoding (tvae and",
    "ctgan's default) is the costly option at this width: a Dirichlet-process mixture per number column, about",
    "1 s a column here (scikit-learn's `BayesianGaussianMixture` takes 2.4 s a column on the same data).",
    '',
  ];
}

/**
 * W6 (issue 19), measured by hand with bench/profile.ts and the runner: what the workload is, where its step goes
 * and what the single-channel convolution kernels changed.
 */
function w6Profile(): string[] {
  return [
    '### W6: the conv VAE on spectrograms (issue 19)',
    '',
    "W6 is the step of `latentlab train --data fsdd --model conv-vae` with the family's defaults on FSDD's",
    'default features: log-mel spectrograms [64 mel bands, 64 frames, 1] in [0, 1] (8 kHz, 8,192 samples,',
    'nFft 256, hop 128); filters [32, 64], kernel 3, latent 32, Bernoulli likelihood, batch 64; 1,626,881',
    'trainable parameters in both engines. Its inputs are synthetic: uniform noise of that shape from a fixed',
    'LCG (`syntheticSpectrograms` in bench/workloads.ts), the same samples for both engines (PyTorch reads them',
    "from the runner's data file). A convolution costs the same whatever the values, and the benchmark then needs",
    "no FSDD mirror. The PyTorch peer (`conv_vae` in bench/peers/torch_bench.py) pads and crops as TensorFlow.js's",
    "'same' does, soft-clamps the log-variance to ±10, sums the Bernoulli NLL over the 64x64 entries and",
    "computes the step's mse as latentlab's step does.",
    '',
    '`npx tsx bench/profile.ts W6 10 40` (wall ms per step, native backend), the addon built from main (before)',
    'and from this branch (after), back to back at a 1-minute load average of ~3.5 on the 2 cores; 223 kernel',
    'calls a step either way:',
    '',
    '| kernels | before | after |',
    '| --- | ---: | ---: |',
    '| whole step, unprofiled | 114 ms | 75 ms |',
    '| kernels (the rest is JS between them) | 76.5 ms | 67.6 ms |',
    '| the single-channel layers: encoder conv 1 (forward, filter gradient), output deconv (forward, both gradients) | 16.3 ms | 8.7 ms |',
    '| the 32 ↔ 64-channel layers: encoder conv 2 and decoder deconv 1, forward and both gradients (im2col or col2im + sgemm) | 34.4 ms | 33.7 ms |',
    '| dense layers: the two heads [64, 16384] · [16384, 32] and the decoder input [64, 32] · [32, 16384], forward and gradients | 10.0 ms | 9.9 ms |',
    '| elementwise on wasm: Bernoulli NLL (Exp, Log1p, Abs, Neg), KL, Add, Multiply, Sum, Step, Relu … | ~13 ms | ~13 ms |',
    '',
    'What was changed, in native/src/conv.c: a convolution with one input channel (a spectrogram, a grey image)',
    'made im2col rows only fh·fw = 9 floats wide, with a memcpy call per float, and a product with K = 9, a',
    'shape OpenBLAS handles poorly. Those layers now run direct loops: the forward pass (up to 64 taps) with 16',
    'output channels accumulated in one register over the taps; the filter gradient over 16 fixed blocks of',
    'positions summed at the end (the result does not depend on the thread count); the transposed convolution',
    "(up to 16 taps) with every tap's sum in one register, from the filter transposed to [outC, 16]. In a C",
    "harness on W6's shapes, one thread: forward 2.9 → 1.3 ms, filter gradient 3.3 → 1.6 ms, transposed",
    '2.6 → 2.2 ms. test/engine/native.test.ts checks them against stock cpu to 1e-4, values and gradients, on',
    'six geometries (odd sizes, 1x3 to 9x9 kernels, strides 1 to 3, 1 to 32 output channels), a dilated one and',
    "W6's own shapes. The addon must be rebuilt for them (`npm run build:native`); an addon built before runs",
    'these layers through im2col as it did, with the same results.',
    '',
    'Throughput, the run above (`npm run bench -- --only W6 --engines latentlab,pytorch --rounds 3`, the addon',
    'with the direct loops, on a quiet machine: 1-minute load average 0.9 at the start): 946 samples/s against',
    "PyTorch 2 threads' 550, **1.72x** (rounds 946, 952, 891 against 525, 550, 600). Under load the ratio moved",
    'between 1.42x and 2.05x in earlier runs (344 against 168 at a load average of 5 to 9 with four trainings',
    'beside it; 445 against 315 with the addon before the direct loops at a load of ~2): always above the 1.2x bar.',
    '',
  ];
}

/** One inference row (bench/inference-worker.ts, bench/peers/torch_inference.py), the median of its rounds. */
export interface InferenceRow {
  family: InferenceFamily;
  engine: 'latentlab' | 'pytorch';
  backend?: string;
  ok: boolean;
  batchSize?: number;
  images?: number;
  seconds?: number;
  imagesPerSecond?: number;
  rounds?: number[];
  peakRssMb?: number;
  error?: string;
}

export interface InferenceResults {
  machine: Machine;
  command: string;
  totalSeconds: number;
  rows: InferenceRow[];
  notes: string[];
}

/** One time-to-quality run (bench/quality-worker.ts, bench/peers/torch_quality.py). */
export interface QualityRow {
  model: QualityModel;
  engine: 'latentlab' | 'pytorch';
  backend?: string;
  ok: boolean;
  targetMse?: number;
  reached?: boolean;
  epochs?: number;
  /** Optimiser steps only, summed over the epochs run. */
  trainSeconds?: number;
  /** latentlab: the whole trainLoop (validation passes, metrics, checkpoints) less the test evaluations. */
  loopSeconds?: number;
  finalTestMse?: number;
  testMse?: number[];
  trainSamples?: number;
  peakRssMb?: number;
  error?: string;
}

export interface QualityResults {
  machine: Machine;
  command: string;
  totalSeconds: number;
  rows: QualityRow[];
  notes: string[];
}

export function inferenceTable(results: InferenceResults): string {
  const lines = [
    '| family | what | batch | latentlab images/s | PyTorch images/s | latentlab / PyTorch | rounds, latentlab; PyTorch | peak RSS latentlab / PyTorch (MB) |',
    '| --- | --- | ---: | ---: | ---: | ---: | --- | --- |',
  ];
  for (const family of INFERENCE_FAMILY_NAMES) {
    const find = (engine: InferenceRow['engine']) =>
      results.rows.find((r) => r.family === family && r.engine === engine);
    const ours = find('latentlab');
    const torch = find('pytorch');
    if (!ours && !torch) continue;
    const cell = (r: InferenceRow | undefined) =>
      !r ? 'not run' : r.ok ? fmt(r.imagesPerSecond) : `fails: ${r.error}`;
    const rounds = (r: InferenceRow | undefined) => r?.rounds?.map((v) => fmt(v)).join(', ') ?? '-';
    const { workload, what } = INFERENCE_FAMILIES[family];
    lines.push(
      `| ${family} (${workload}'s networks) | ${what} | ${ours?.batchSize ?? torch?.batchSize ?? '-'} | ${cell(ours)} | ${cell(torch)} | ${ours?.ok && torch?.ok ? ratio(ours.imagesPerSecond, torch.imagesPerSecond) : '-'} | ${rounds(ours)}; ${rounds(torch)} | ${fmt(ours?.peakRssMb)} / ${fmt(torch?.peakRssMb)} |`,
    );
  }
  return lines.join('\n');
}

export function qualityTable(results: QualityResults): string {
  const lines = [
    '| model | target test MSE | engine | reached | epochs | train seconds (optimiser steps) | whole loop seconds | test MSE per epoch | PyTorch / latentlab train time |',
    '| --- | ---: | --- | --- | ---: | ---: | ---: | --- | ---: |',
  ];
  for (const model of QUALITY_MODEL_NAMES) {
    const rows = results.rows.filter((r) => r.model === model);
    const torch = rows.find((r) => r.engine === 'pytorch');
    for (const r of rows) {
      const { title, targetMse } = QUALITY_TARGETS[model];
      const speedup =
        r.engine === 'latentlab' && r.ok && torch?.ok ? ratio(torch.trainSeconds, r.trainSeconds) : '';
      lines.push(
        r.ok
          ? `| ${model}: ${title} | ${targetMse} | ${r.engine === 'latentlab' ? ENGINE_LABELS.latentlab : ENGINE_LABELS.pytorch} | ${r.reached ? 'yes' : `no (cap ${QUALITY_TARGETS[model].maxEpochs} epochs)`} | ${r.epochs} | ${fmt(r.trainSeconds, 1)} | ${fmt(r.loopSeconds, 1)} | ${(r.testMse ?? []).map((v) => v.toFixed(5)).join(', ')} | ${speedup} |`
          : `| ${model}: ${title} | ${targetMse} | ${r.engine} | fails: ${r.error} | - | - | - | - | - |`,
      );
    }
  }
  return lines.join('\n');
}

function inferenceSection(inference: InferenceResults | undefined): string[] {
  if (!inference) return ['## Inference (issue 23)', '', 'Not run yet: `npm run bench:inference`.', ''];
  const backends = [...new Set(inference.rows.map((r) => `${r.engine}: ${r.backend}`))];
  return [
    '## Inference (issue 23)',
    '',
    `Run on ${inference.machine.date.slice(0, 10)} (${inference.machine.date}) with \`${inference.command}\` in ${Math.round(inference.totalSeconds / 60)} min. Machine: ${machineLine(inference.machine)}.`,
    '',
    'Each family encodes and decodes the 10,000 Fashion-MNIST test images in batches (the DCGAN generator draws',
    "10,000 prior samples and generates them), reading every batch's output back as a caller would; latentlab on",
    "its default backend through the family's own `encode`/`decode`/`generate` (bench/inference-worker.ts),",
    "PyTorch in `eval()` mode under `torch.no_grad()` with torch_bench.py's networks split the same way",
    '(bench/peers/torch_inference.py, 2 threads). Weights are untrained: a forward pass costs the same whatever',
    'their values. One warm-up batch, then the 10,000 timed; each row is the median of the rounds, interleaved.',
    '',
    inferenceTable(inference),
    '',
    ...[
      ...(backgroundNote(inference.machine) ? [backgroundNote(inference.machine)!] : []),
      ...inference.notes,
      `Engines as run: ${backends.join('; ')}.`,
    ].map((n) => `- ${n}`),
    '',
  ];
}

function qualitySection(quality: QualityResults | undefined): string[] {
  if (!quality) return ['## Time to quality (issue 23)', '', 'Not run yet: `npm run bench:quality`.', ''];
  const backends = [...new Set(quality.rows.map((r) => `${r.engine}: ${r.backend}`))];
  return [
    '## Time to quality (issue 23)',
    '',
    `Run on ${quality.machine.date.slice(0, 10)} (${quality.machine.date}) with \`${quality.command}\` in ${Math.round(quality.totalSeconds / 60)} min. Machine: ${machineLine(quality.machine)}.`,
    '',
    'Wall time to reach a test MSE (per pixel, on the 10,000 Fashion-MNIST test images) with the same model and',
    "schedule: batch 128, Adam 1e-3 (TensorFlow.js's epsilon 1e-7 on both sides), shuffled epochs over the same",
    "training split (latentlab's seeded split: 54,000 images, 6,000 held out for validation). latentlab trains",
    'through `trainLoop`, the path of `latentlab train` (bench/quality-worker.ts); PyTorch through',
    'bench/peers/torch_quality.py (2 threads). The test MSE is measured after every epoch and stops the run at the',
    'target; that evaluation is not timed. "train seconds" counts the optimiser steps only, on both sides;',
    '"whole loop" adds what latentlab\'s loop does after each epoch (a validation pass, metrics and a checkpoint',
    "written). The last column is PyTorch's train seconds over latentlab's (above 1: latentlab is faster).",
    '',
    qualityTable(quality),
    '',
    ...[
      ...(backgroundNote(quality.machine) ? [backgroundNote(quality.machine)!] : []),
      ...quality.notes,
      `Engines as run: ${backends.join('; ')}.`,
    ].map((n) => `- ${n}`),
    '',
  ];
}

export function performanceDoc(
  results: Results | undefined,
  soak: Soak | undefined,
  more: { inference?: InferenceResults; quality?: QualityResults } = {},
): string {
  const out: string[] = [
    '# Performance',
    '',
    '<!-- Generated by bench/run.ts (`npm run bench`, `npm run bench -- --soak`); edit that file, not this one. -->',
    '',
    'Training throughput of latentlab (its default backend, which is `native` when the addon is built, and its',
    '`wasm` backend) against the stock TensorFlow.js backends and against PyTorch and numpy',
    'on the same machine, shapes and batch sizes. Every row is a fresh process that trains on real MNIST',
    'batches (W5: synthetic sentences, W6: synthetic spectrograms, the same for every engine) for a fixed',
    'number of steps after warm-up.',
    'The machine is shared and noisy: read the ratios, which compare rows of one run, rather than the',
    'absolute figures.',
    '',
    'Workloads:',
    '',
  ];
  for (const name of WORKLOAD_NAMES) {
    out.push(`- **${name}**: ${WORKLOADS[name].title}. ${WORKLOADS[name].detail}.`);
  }
  out.push(
    '',
    'Each workload trains a latentlab family (`dense-ae`, `conv-ae`, `gan` with the DCGAN architecture, `vae`,',
    '`seq-vae`, `conv-vae`) through its own `trainStep`, with the optimisers `latentlab train` would make for it',
    '(`bench/models.ts`). `bench/peers/torch_bench.py` implements all six with the same architectures,',
    'initialisation, Adam settings and batch sizes (W5 with `nn.GRU`, its second bias frozen at zero so the',
    'trainable parameters are the same: its gates are sigmoids where tfjs-layers uses hard sigmoids, and its',
    'reset gate applies after the recurrent product, not before; the products are the same);',
    '`bench/peers/numpy_w1.py` is W1 by hand in numpy (forward, hand-written backward, Adam), the practical',
    'limit of this machine for that workload.',
    '',
  );
  if (results) {
    const m = results.machine;
    out.push(
      '## Throughput',
      '',
      `Run on ${m.date.slice(0, 10)} (${m.date}) with \`${results.command}\` in ${Math.round(results.totalSeconds / 60)} min.`,
      '',
      `Machine: ${machineLine(m)}.`,
      '',
      resultsTable(results),
      '',
      ...(results.rows.some((r) => r.rounds)
        ? [
            'Every row but stock cpu ran in several rounds, interleaved (the engines of a workload one after the',
            'other, then again); samples/s is the median round, the rounds column lists them all in the order run.',
          ]
        : []),
      '"vs latentlab" is the row\'s samples/s divided by latentlab\'s for the same workload (above 1: faster',
      'than latentlab). Peak RSS is the whole process (Node running latentlab compiled, as installed, with the MNIST arrays; or Python).',
      'Live tensors are counted after warm-up (after the first step when there is none) and after the timed',
      'steps; n/a for the Python peers.',
      '',
      "### Ratios (latentlab samples/s ÷ other engine's; above 1: latentlab is faster)",
      '',
      ratioTable(results),
      '',
      "### Distance to the machine's limit (issue 23)",
      '',
      peakLine(results),
      '',
      peakTable(results),
      '',
      'GFLOP/s = training FLOPs per sample × samples/s. FLOPs are counted from the layer shapes of the networks',
      'the bench trains (bench/flops.ts): a multiply-add is 2; only matrix products and convolutions count (Dense,',
      "Conv2D, Conv2DTranspose, the GRU's products at every timestep); a backward pass counts 2x its forward, so",
      "a network run forward and back costs 3 forward passes; W3's DCGAN step runs the generator 4 and the",
      'discriminator 9 forward-pass equivalents per sample. Elementwise work, losses and Adam count 0, so the',
      'fraction is what the products achieve against a large sgemm, the best case of the same OpenBLAS. RSS ratio:',
      "latentlab's peak RSS over PyTorch 2 threads' (issue 23's bar: 1.25x or less).",
      '',
      '### Targets of the native backend',
      '',
      targetsTable(results),
      '',
      'The native backend (docs/engine.md) computes matrix products, convolutions and their gradients and Adam',
      "steps with OpenBLAS and C loops on the wasm backend's memory, and leaves the other kernels to the wasm",
      "backend. Its arrangement of threads: OpenBLAS and the addon's loops on every core, wasm kernels on one",
      "thread (with 2 wasm threads, XNNPack's idle workers spun against OpenBLAS: 15-25% more CPU per step).",
      'Trained the same way, it reaches the same test error as wasm: the dense autoencoder of',
      '[docs/results.md](results.md) (`npx latentlab train --data fashion-mnist --model dense-ae --hidden 512,256',
      '--latent 32 --epochs 20 --batch-size 128 --lr 1e-3`) gave test MSE 0.008110 with `--backend native`',
      '(64 s for the 20 epochs) and 0.008114 with `--backend wasm` (0.00814 in results.md), with the fused',
      'dense gradients and in-place Adam of 2026-11-22.',
      '',
      ...w5Profile(),
      ...w6Profile(),
      ...denseProfile(),
      ...tablesAtScale(),
      '### Notes',
      '',
    );
    const notes = [...results.notes];
    const bg = backgroundNote(m);
    if (bg) notes.unshift(bg);
    const backends = [
      ...new Set(
        results.rows.filter((r) => r.backend).map((r) => `${ENGINE_LABELS[r.engine]}: ${r.backend}`),
      ),
    ];
    notes.push(`Engines as run: ${backends.join('; ')}.`);
    notes.push(
      'Stock tfjs cpu is orders of magnitude slower on convolutions, so it runs fewer steps (see the steps column); samples/s stays comparable.',
      "Stock tfjs wasm has no Conv2DBackpropFilter kernel, so W2, W3 and W6 fail there, and no UnsortedSegmentSum (an embedding's gradient), so W5 fails there; the failure text is reported as is.",
      'OpenBLAS-based engines (latentlab native, numpy, PyTorch) all inherit the environment of the run, OPENBLAS_CORETYPE included when it is set (see the machine line).',
      "PyTorch and numpy run with OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and MKL_NUM_THREADS set to their thread count (Debian's torch does its matrix products in OpenBLAS, whose pool torch.set_num_threads does not size) and OMP_WAIT_POLICY=PASSIVE: with the default spin-waiting, 2-thread PyTorch ran 10-25x slower than 1-thread PyTorch whenever anything else used the cores. OpenBLAS has no such switch, so its 2-thread rows can still fall below the 1-thread ones on a busy machine. The 2-thread rows are the comparison asked for; the 1-thread rows show what the second thread buys, or on a busy machine costs.",
      paramsNote(results.rows),
    );
    if (results.numpyCheck)
      notes.push(
        `numpy W1 gradient check (\`numpy_w1.py --check\`): \`${JSON.stringify(results.numpyCheck)}\``,
      );
    for (const n of notes) out.push(`- ${n}`);
    out.push('');
  } else {
    out.push('## Throughput', '', 'Not run yet: `npm run bench`.', '');
  }
  out.push(...inferenceSection(more.inference), ...qualitySection(more.quality));
  out.push('## Memory over a long run (soak)', '');
  if (soak) {
    out.push(
      `Run on ${soak.machine.date.slice(0, 10)} with \`${soak.command}\`: ${fmt(soak.rows[0]?.steps)} timed steps of each workload on latentlab's`,
      `default backend after 3 warm-up steps. Machine: ${machineLine(soak.machine)}.`,
      '',
      soakTable(soak),
      '',
      `Backend as run: ${[...new Set(soak.rows.map((r) => r.backend).filter(Boolean))].join('; ')}.`,
      '',
    );
    const leakFree = soak.rows.every(
      (r) => r.ok && r.liveBefore === r.liveAfter && r.bytesBefore === r.bytesAfter,
    );
    out.push(
      leakFree
        ? 'Live tensors and tensor bytes are identical before and after every soak: no tensor leaks.'
        : '**Some soak rows leaked tensors or failed; see the table.**',
      'Memory is sampled after warm-up, at every 10% of the run and at the end' +
        (soak.rows.some((r) => r.gcBeforeSamples)
          ? ', each time after a forced full GC (`--expose-gc`), so the JS heap column counts retained objects only.'
          : '.') +
        ' The 10% → end columns leave out start-up growth. RSS also holds freed memory the allocator has not returned, so it drifts more than the heaps do.',
      '',
      'Samples (MB), start to end:',
      '',
      ...soakTraces(soak),
      '',
    );
    const bg = backgroundNote(soak.machine);
    if (bg) out.push(`- ${bg}`, '');
  } else {
    out.push('Not run yet: `npm run bench -- --soak`.', '');
  }
  return out.join('\n');
}
