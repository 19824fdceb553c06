// `npm run bench:tables`: training and scoring a table of 50,000 rows x 100 columns (80 numbers, 20 categories,
// 2% of cells missing; --rows, --numbers, --categories, --gaps and --model change it) through the CLI, each
// command in a fresh process timed by /usr/bin/time (wall seconds and peak RSS), beside reading the same file
// with pandas when Python has it. The CSV is generated, seeded, into a temporary folder; nothing is downloaded.
// Prints a Markdown table for docs/performance.md.
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRng } from '../src/data/random.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '50000' },
    numbers: { type: 'string', default: '80' },
    categories: { type: 'string', default: '20' },
    epochs: { type: 'string', default: '1' },
    /** Share of cells left empty (missing); 0 with --categories 0 gives a table of numbers read the plain way. */
    gaps: { type: 'string', default: '0.02' },
    model: { type: 'string', default: 'table-ae' },
    keep: { type: 'boolean', default: false },
  },
});
const rows = Number(values.rows);
const numbers = Number(values.numbers);
const categories = Number(values.categories);
const gaps = Number(values.gaps);
const root = join(import.meta.dirname, '..');
const cli = join(root, 'bin', 'latentlab.js');
if (!existsSync(join(root, 'dist')))
  throw new Error('build first: npm run build (bench runs bin/latentlab.js)');

/** Rows drawn from 4 latent factors, so the columns are correlated and an autoencoder has something to learn. */
async function writeTable(path: string): Promise<void> {
  const random = createRng(20);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const loadings = Array.from({ length: numbers + categories }, () => Array.from({ length: 4 }, gauss));
  const out = createWriteStream(path);
  const header = [
    ...Array.from({ length: numbers }, (_, j) => `x${j}`),
    ...Array.from({ length: categories }, (_, j) => `c${j}`),
  ];
  out.write(`${header.join(',')}\n`);
  for (let i = 0; i < rows; i++) {
    const factors = [gauss(), gauss(), gauss(), gauss()];
    const cells = loadings.map((load, j) => {
      if (gaps > 0 && random() < gaps) return '';
      const value = load.reduce((sum, l, k) => sum + l * factors[k], 0) + 0.3 * gauss();
      if (j < numbers) return value.toFixed(4);
      // 3 to 8 levels, cut from the value.
      const levels = 3 + (j % 6);
      const level = Math.min(levels - 1, Math.max(0, Math.floor((value / 4 + 0.5) * levels)));
      return `level${level}`;
    });
    if (!out.write(`${cells.join(',')}\n`))
      await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
}

interface Timed {
  what: string;
  command: string;
  seconds: number;
  peakMb: number;
  output: string;
}

function timed(what: string, args: string[]): Timed {
  const result = spawnSync('/usr/bin/time', ['-f', '%e %M', ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const last = result.stderr.trim().split('\n').at(-1) ?? '';
  const [seconds, kb] = last.split(' ').map(Number);
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed:\n${result.stderr}\n${result.stdout}`);
  return { what, command: args.join(' '), seconds, peakMb: kb / 1024, output: result.stdout };
}

const dir = mkdtempSync(join(tmpdir(), 'latentlab-tables-'));
const csv = join(dir, 'table.csv');
const run = join(dir, 'run');
try {
  console.log(`writing ${rows} x ${numbers + categories} to ${csv}`);
  await writeTable(csv);
  const mb = statSync(csv).size / 1e6;
  const results: Timed[] = [];
  results.push(
    timed('train 1 epoch', [
      process.execPath,
      cli,
      'train',
      '--data',
      `csv:${csv}`,
      '--model',
      values.model as string,
      '--epochs',
      values.epochs as string,
      '--out',
      run,
    ]),
  );
  results.push(
    timed('score every row (detect)', [
      process.execPath,
      cli,
      'detect',
      run,
      '--data',
      `csv:${csv}`,
      '--out',
      join(dir, 'detect'),
    ]),
  );
  const python = spawnSync('python3', ['-c', 'import pandas'], { encoding: 'utf8' });
  if (python.status === 0)
    results.push(
      timed('pandas.read_csv (reference)', [
        'python3',
        '-c',
        `import pandas; pandas.read_csv(${JSON.stringify(csv)})`,
      ]),
    );
  console.log(
    `\n${rows} rows x ${numbers + categories} columns, ${mb.toFixed(1)} MB CSV, model ${values.model}\n`,
  );
  console.log('| step | wall s | rows/s | peak RSS MB |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const r of results)
    console.log(
      `| ${r.what} | ${r.seconds.toFixed(1)} | ${Math.round(rows / r.seconds).toLocaleString('en')} | ${Math.round(r.peakMb)} |`,
    );
} finally {
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
}
