// `npm run bench:stream`: training on data larger than the memory the process is allowed.
//
// 1. Capped: a generated Parquet file `--ratio` (default 4) times larger, decoded, than `--cap-mib` (default 512)
//    is trained on for one epoch with --stream by the built CLI, in its own process. The cap is a memory cgroup
//    (v2 memory.max, or v1 memory.limit_in_bytes) where this machine lets us make one, so the kernel itself would
//    kill the process past it; elsewhere a watchdog kills it when its RSS passes the cap. RSS is sampled every
//    250 ms: the row reports its peak in each quarter of the run, which stays flat when nothing grows with the data.
// 2. Same curve: a file that fits is trained for 3 epochs in memory, streamed with a buffer holding every row, and
//    streamed with a buffer of 1/16 of the rows; the first two must agree exactly, the third closely.
//
// Writes bench/stream/results.json and the "Streaming" table of docs/streaming.md. Needs `npm run build` (the
// capped run is the CLI users run, bin/latentlab.js, not a tsx wrapper whose compiler would count against the cap).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeGeneratedParquet } from './generate.js';

const { values } = parseArgs({
  options: {
    'cap-mib': { type: 'string', default: '512' },
    ratio: { type: 'string', default: '4' },
    features: { type: 'string', default: '64' },
    backend: { type: 'string', default: 'native' },
    dir: { type: 'string', default: join(tmpdir(), 'latentlab-stream-bench') },
    /** Only the same-curve comparison (fast). */
    'curve-only': { type: 'boolean', default: false },
    /** Only rewrite docs/streaming.md's tables from bench/stream/results.json, running nothing. */
    report: { type: 'boolean', default: false },
  },
});

const root = join(import.meta.dirname, '..', '..');
const resultsFile = join(import.meta.dirname, 'results.json');
if (values.report) {
  writeDoc(JSON.parse(readFileSync(resultsFile, 'utf8')));
  process.exit(0);
}
const cli = join(root, 'bin', 'latentlab.js');
if (!existsSync(join(root, 'dist', 'cli', 'bin.js')))
  throw new Error('run `npm run build` first: the bench runs the built CLI');
const capMiB = Number(values['cap-mib']);
const ratio = Number(values.ratio);
const features = Number(values.features);
const dir = values.dir;
mkdirSync(dir, { recursive: true });
const MiB = 1024 * 1024;
const ROWS_PER_GROUP = 16_384;

async function generated(rows: number): Promise<string> {
  const path = join(dir, `generated-${rows}x${features}.parquet`);
  if (!existsSync(path)) {
    process.stderr.write(`writing ${path} (${((rows * features * 4) / MiB).toFixed(0)} MiB of float32)\n`);
    await writeGeneratedParquet(path, { rows, features, rowsPerGroup: ROWS_PER_GROUP, seed: 1 });
  }
  return path;
}

let groups = 0;

/** A memory cgroup holding `bytes`, when this machine lets us make one: the path to write a pid into. */
function memoryCgroup(bytes: number): { procs: string; how: string; remove(): void } | undefined {
  const name = `latentlab-bench-${process.pid}-${++groups}`;
  const tries = [
    { base: '/sys/fs/cgroup', limit: 'memory.max', how: 'cgroup v2 memory.max' },
    { base: '/sys/fs/cgroup/memory', limit: 'memory.limit_in_bytes', how: 'cgroup v1 memory.limit_in_bytes' },
  ];
  for (const t of tries) {
    const group = join(t.base, name);
    try {
      if (
        !existsSync(
          join(t.base, t.limit === 'memory.max' ? 'cgroup.subtree_control' : 'memory.limit_in_bytes'),
        )
      )
        continue;
      mkdirSync(group);
      writeFileSync(join(group, t.limit), String(bytes));
      // No swap to escape to (v1 needs the limit on memory+swap too, where the kernel accounts swap).
      const swap = join(group, t.limit === 'memory.max' ? 'memory.swap.max' : 'memory.memsw.limit_in_bytes');
      if (existsSync(swap)) writeFileSync(swap, t.limit === 'memory.max' ? '0' : String(bytes));
      return {
        procs: join(group, 'cgroup.procs'),
        how: t.how,
        // A cgroup goes with rmdir once its processes have exited.
        remove: () => rmdirSync(group),
      };
    } catch {
      if (existsSync(group)) rmdirSync(group);
    }
  }
  return undefined;
}

const rssOf = (pid: number): number | undefined => {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status);
    return kb ? Number(kb[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
};

interface CappedRun {
  seconds: number;
  exitCode: number | null;
  /** Peak RSS (bytes) in each quarter of the run's time. */
  quarterPeaks: number[];
  peak: number;
  samples: number;
  log: string;
}

/** Runs the CLI with `args`, capped, sampling its RSS. */
async function runCapped(args: string[], capBytes?: number): Promise<CappedRun & { cap: string }> {
  const group = capBytes === undefined ? undefined : memoryCgroup(capBytes);
  // The shell joins the cgroup, then becomes node: nothing runs outside the cap.
  const command = group
    ? `echo $$ > ${group.procs} && exec node ${cli} ${args.map((a) => `'${a}'`).join(' ')}`
    : `exec node ${cli} ${args.map((a) => `'${a}'`).join(' ')}`;
  const started = performance.now();
  const child: ChildProcess = spawn('sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.on('data', (d) => {
    log += d;
  });
  child.stderr?.on('data', (d) => {
    log += d;
  });
  const samples: Array<{ t: number; rss: number }> = [];
  const timer = setInterval(() => {
    const rss = child.pid ? rssOf(child.pid) : undefined;
    if (rss === undefined) return;
    samples.push({ t: performance.now() - started, rss });
    // The watchdog, where no cgroup could be made.
    if (!group && capBytes !== undefined && rss > capBytes) child.kill('SIGKILL');
  }, 250);
  const exitCode = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  clearInterval(timer);
  group?.remove();
  const seconds = (performance.now() - started) / 1000;
  const quarterPeaks = [0, 1, 2, 3].map((q) =>
    Math.max(
      0,
      ...samples
        .filter((s) => s.t >= (q * seconds * 1000) / 4 && s.t < ((q + 1) * seconds * 1000) / 4)
        .map((s) => s.rss),
    ),
  );
  return {
    seconds,
    exitCode,
    quarterPeaks,
    peak: Math.max(0, ...samples.map((s) => s.rss)),
    samples: samples.length,
    log,
    cap: group
      ? group.how
      : 'watchdog (RSS sampled every 250 ms, SIGKILL past the cap): no memory cgroup could be made here',
  };
}

function metrics(runDir: string): Array<{ train: number; validation: number }> {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))
    .map((r) => ({ train: r.train.loss, validation: r.validation.loss }));
}

async function train(args: string[], runDir: string): Promise<Array<{ train: number; validation: number }>> {
  rmSync(runDir, { recursive: true, force: true });
  const run = await runCapped([...args, '--out', runDir]);
  if (run.exitCode !== 0) throw new Error(`train failed (${run.exitCode}):\n${run.log}`);
  return metrics(runDir);
}

const common = [
  'train',
  '--model',
  'dense-ae',
  '--label-column',
  'label',
  '--backend',
  values.backend,
  '--batch-size',
  '256',
];
const result: Record<string, unknown> = {
  command: `npm run bench:stream${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  date: new Date().toISOString(),
  cpus: `${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`,
  backend: values.backend,
};

// 2. The same curve on data that fits.
{
  const rows = 65_536;
  const path = await generated(rows);
  const data = ['--data', `parquet:${path}`, '--epochs', '3'];
  const inMemory = await train([...common, ...data], join(dir, 'curve-memory'));
  const streamed = await train([...common, ...data, '--stream'], join(dir, 'curve-stream'));
  const small = await train(
    [...common, ...data, '--stream', '--shuffle-buffer', String(rows / 16)],
    join(dir, 'curve-stream-small'),
  );
  result.curve = {
    rows,
    features,
    epochs: 3,
    inMemory,
    streamed,
    streamedSmallBuffer: { shuffleBuffer: rows / 16, epochs: small },
    identical: JSON.stringify(inMemory) === JSON.stringify(streamed),
  };
}

// 1. Larger than the cap.
if (!values['curve-only']) {
  const capBytes = capMiB * MiB;
  const rows = Math.ceil((ratio * capBytes) / (features * 4) / ROWS_PER_GROUP) * ROWS_PER_GROUP;
  const path = await generated(rows);
  const runDir = join(dir, 'capped');
  rmSync(runDir, { recursive: true, force: true });
  const args = [
    ...common,
    '--data',
    `parquet:${path}`,
    '--stream',
    '--shuffle-buffer',
    '65536',
    '--epochs',
    '1',
    '--out',
    runDir,
  ];
  process.stderr.write(`training on ${rows} rows streamed, capped at ${capMiB} MiB\n`);
  const run = await runCapped(args, capBytes);
  if (run.exitCode !== 0) throw new Error(`the capped run failed (${run.exitCode}):\n${run.log}`);
  const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));
  result.capped = {
    capMiB,
    cap: run.cap,
    rows,
    features,
    dataMiB: Math.round((rows * features * 4) / MiB),
    ratio: (rows * features * 4) / capBytes,
    seconds: Math.round(run.seconds),
    samplesPerSecond: Math.round(summary.meanSamplesPerSecond),
    peakRssMiB: Math.round(run.peak / MiB),
    quarterPeakRssMiB: run.quarterPeaks.map((b) => Math.round(b / MiB)),
    rssSamples: run.samples,
    epoch: metrics(runDir)[0],
    test: summary.test,
  };
}

writeFileSync(resultsFile, `${JSON.stringify(result, null, 2)}\n`);
writeDoc(result);
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);

type Losses = Array<{ train: number; validation: number }>;
interface CappedRow {
  capMiB: number;
  cap: string;
  rows: number;
  features: number;
  dataMiB: number;
  ratio: number;
  seconds: number;
  samplesPerSecond: number;
  peakRssMiB: number;
  quarterPeakRssMiB: number[];
  epoch: { train: number; validation: number };
}
interface CurveRow {
  rows: number;
  features: number;
  epochs: number;
  inMemory: Losses;
  streamed: Losses;
  streamedSmallBuffer: { shuffleBuffer: number; epochs: Losses };
  identical: boolean;
}

/** The bench's tables in docs/streaming.md, between its two markers (the rest of the page is prose). */
function writeDoc(r: Record<string, unknown>): void {
  const doc = join(root, 'docs', 'streaming.md');
  const start = '<!-- bench:stream -->';
  const end = '<!-- /bench:stream -->';
  const text = readFileSync(doc, 'utf8');
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < 0) throw new Error(`${doc} lacks the ${start} ... ${end} markers`);
  const lines = [`Measured by \`${r.command}\` on ${r.date} (${r.cpus}, backend ${r.backend}).`, ''];
  const capped = r.capped as CappedRow | undefined;
  if (capped) {
    lines.push(
      '| data | allowed | cap | peak RSS | peak RSS by quarter of the run | samples/s | epoch train loss | validation loss | seconds |',
      '| --- | ---: | --- | ---: | --- | ---: | ---: | ---: | ---: |',
      `| ${capped.rows.toLocaleString('en')} rows x ${capped.features} float32 = ${capped.dataMiB} MiB (${capped.ratio.toFixed(1)}x the cap) | ${capped.capMiB} MiB | ${capped.cap} | ${capped.peakRssMiB} MiB | ${capped.quarterPeakRssMiB.join(' / ')} MiB | ${capped.samplesPerSecond.toLocaleString('en')} | ${capped.epoch.train.toPrecision(4)} | ${capped.epoch.validation.toPrecision(4)} | ${capped.seconds} |`,
      '',
    );
  }
  const curve = r.curve as CurveRow;
  const row = (name: string, epochs: Array<{ train: number; validation: number }>) =>
    `| ${name} | ${epochs.map((e) => `${e.train.toPrecision(6)} / ${e.validation.toPrecision(6)}`).join(' | ')} |`;
  lines.push(
    `The same file's loss curve, in memory and streamed (${curve.rows.toLocaleString('en')} rows x ${curve.features}, ${curve.epochs} epochs; train / validation loss per epoch):`,
    '',
    `| path | ${Array.from({ length: curve.epochs }, (_, i) => `epoch ${i + 1}`).join(' | ')} |`,
    `| --- | ${Array.from({ length: curve.epochs }, () => '---:').join(' | ')} |`,
    row('in memory', curve.inMemory),
    row('streamed, the buffer holds every row', curve.streamed),
    row(
      `streamed, a buffer of ${curve.streamedSmallBuffer.shuffleBuffer.toLocaleString('en')} rows`,
      curve.streamedSmallBuffer.epochs,
    ),
    '',
    curve.identical
      ? 'The first two rows are identical (their full values in bench/stream/results.json are equal): with the whole training split in its buffer, streaming gives the in-memory batches in the in-memory order.'
      : 'The first two rows differ: streaming no longer reproduces the in-memory order (a bug: test/data/stream.test.ts should catch it).',
  );
  writeFileSync(doc, `${text.slice(0, from + start.length)}\n${lines.join('\n')}\n${text.slice(to)}`);
}
