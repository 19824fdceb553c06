// `npm run bench`: each workload on each engine configuration, side by side in one run, each in a fresh
// process. Prints a table, writes bench/results.json. Ratios matter more than absolute figures here.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { WORKLOADS, type WorkloadName } from './workloads.js';

const { values } = parseArgs({
  options: { steps: { type: 'string', default: '30' }, quick: { type: 'boolean', default: false } },
});
const steps = values.quick ? '5' : values.steps;

const engines = [
  { label: 'latentlab wasm (fixed kernels)', backend: 'wasm', fixes: 'on' },
  { label: 'stock wasm', backend: 'wasm', fixes: 'off' },
  { label: 'stock cpu', backend: 'cpu', fixes: 'off' },
];

interface Row {
  workload: string;
  engine: string;
  ok: boolean;
  samplesPerSecond?: number;
  peakRssMb?: number;
  liveBefore?: number;
  liveAfter?: number;
  error?: string;
}

const rows: Row[] = [];
for (const name of Object.keys(WORKLOADS) as WorkloadName[]) {
  for (const engine of engines) {
    // The cpu backend is ~100x slower on convolutions: fewer steps keep the run short, samples/s stays comparable.
    const engineSteps =
      engine.backend === 'cpu' ? String(Math.max(2, Math.round(Number(steps) / 10))) : steps;
    const out = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(import.meta.dirname, 'workload.ts'),
        '--workload',
        name,
        '--backend',
        engine.backend,
        '--fixes',
        engine.fixes,
        '--steps',
        engineSteps,
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const parsed = JSON.parse(out.trim().split('\n').at(-1)!);
    rows.push({ workload: name, engine: engine.label, ...parsed });
    process.stderr.write(
      `${name} ${engine.label}: ${parsed.ok ? `${parsed.samplesPerSecond.toFixed(0)} samples/s` : parsed.error}\n`,
    );
  }
}

const lines = [
  '| workload | engine | samples/s | vs latentlab | peak RSS (MB) | live tensors before → after |',
  '| --- | --- | ---: | ---: | ---: | --- |',
];
for (const name of Object.keys(WORKLOADS) as WorkloadName[]) {
  const ours = rows.find((r) => r.workload === name && r.engine === engines[0].label)?.samplesPerSecond;
  for (const r of rows.filter((row) => row.workload === name)) {
    lines.push(
      r.ok
        ? `| ${name} ${WORKLOADS[name].title} | ${r.engine} | ${r.samplesPerSecond!.toFixed(0)} | ${ours ? (r.samplesPerSecond! / ours).toFixed(3) : '-'} | ${r.peakRssMb!.toFixed(0)} | ${r.liveBefore} → ${r.liveAfter} |`
        : `| ${name} ${WORKLOADS[name].title} | ${r.engine} | fails: ${r.error} | - | - | - |`,
    );
  }
}
const table = lines.join('\n');
process.stdout.write(`${table}\n`);
const machine = {
  cores: cpus().length,
  cpu: cpus()[0]?.model,
  node: process.version,
  date: new Date().toISOString(),
};
writeFileSync(
  join(import.meta.dirname, 'results.json'),
  `${JSON.stringify({ machine, command: `npm run bench${values.quick ? ' -- --quick' : ''}`, steps: Number(steps), rows }, null, 2)}\n`,
);
