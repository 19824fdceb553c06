// Synthetic tables end to end: a tvae and a ctgan trained briefly on a small mixed CSV with gaps, `sample` as a CSV
// of the original columns and types, the encoded splits back as tables, and the evaluation report.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelData } from '../../src/apps/model-data.js';
import {
  evaluateSynthesis,
  sampleTableCsv,
  splitTable,
  synthesizeTable,
} from '../../src/apps/table-synthesis.js';
import { main } from '../../src/cli/main.js';
import { createRng } from '../../src/data/random.js';
import { isNumberColumn } from '../../src/data/table/table.js';
import type { Sampler } from '../../src/eval/code-prior.js';
import { type LoadedModel, loadModel } from '../../src/io/model-files.js';
import { parseModelConfig } from '../../src/models/registry.js';
import { trainRun } from '../../src/train/run.js';
import { expectNoLeakedTensors, useBackend } from '../helpers.js';

let dir: string;
let tvae: LoadedModel;
let ctgan: LoadedModel;

/** 300 rows: x bimodal (-5 or 5), kind follows x's mode 9 times in 10, size an integer, a tenth of size missing. */
async function writeMixedCsv(path: string): Promise<void> {
  const random = createRng(3);
  const lines = ['x,kind,size,good'];
  for (let i = 0; i < 300; i++) {
    const mode = random() < 0.5 ? 0 : 1;
    const x = (mode ? 5 : -5) + (random() - 0.5);
    const kind = (random() < 0.9 ? mode : 1 - mode) ? 'tall' : 'short';
    const size = random() < 0.1 ? '' : String(Math.round(10 + 5 * mode + 4 * random()));
    lines.push(`${x.toFixed(3)},${kind},${size},${x > 0 ? 'yes' : 'no'}`);
  }
  await writeFile(path, `${lines.join('\n')}\n`);
}

beforeAll(async () => {
  await useBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'latentlab-table-synthesis-'));
  const path = join(dir, 'mixed.csv');
  await writeMixedCsv(path);
  // No encodings stated: the table families' own (mode-specific numbers) apply.
  const data = { source: 'csv' as const, path };
  const train = { epochs: 3, batchSize: 50, previewCount: 0 };
  await trainRun({ model: { kind: 'tvae', hidden: [16], latent: 4 }, data, train }, join(dir, 'tvae'), {
    monitor: false,
  });
  await trainRun(
    { model: { kind: 'ctgan', latent: 4, generatorHidden: [16], discriminatorHidden: [16] }, data, train },
    join(dir, 'ctgan'),
    { monitor: false },
  );
  tvae = await loadModel(join(dir, 'tvae', 'model'));
  ctgan = await loadModel(join(dir, 'ctgan', 'model'));
}, 240_000);

afterAll(async () => {
  tvae?.model.dispose();
  ctgan?.model.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('sample for table models', () => {
  it("trained on mode-specific numbers, the table families' default encoding", () => {
    for (const loaded of [tvae, ctgan])
      expect(loaded.manifest.table!.columns.map((c) => c.method)).toEqual([
        'mode',
        'onehot',
        'mode',
        'onehot',
      ]);
  });

  it('writes a CSV of the original columns and types: levels as written, numbers in the training range', async () => {
    for (const loaded of [tvae, ctgan]) {
      const out = join(dir, `${loaded.manifest.kind}.csv`);
      const table = await sampleTableCsv(loaded, out, { n: 200, seed: 1 });
      const lines = (await readFile(out, 'utf8')).trimEnd().split('\n');
      expect(lines[0]).toBe('x,kind,size,good');
      expect(lines.length).toBe(201);
      for (const line of lines.slice(1)) {
        const [x, kind, size, good] = line.split(',');
        expect(Number(x)).toBeGreaterThanOrEqual(-5.5);
        expect(Number(x)).toBeLessThanOrEqual(5.5);
        expect(['tall', 'short']).toContain(kind);
        // An integer column is written without decimals.
        expect(size).toMatch(/^\d+$/);
        expect(['yes', 'no']).toContain(good);
      }
      expect(table.columns.map((c) => c.type)).toEqual(['numeric', 'categorical', 'integer', 'boolean']);
    }
  });

  it('draws the same rows from the same seed, and leaves no tensors behind', () => {
    const encoding = ctgan.manifest.table!;
    expectNoLeakedTensors(() => {
      const a = synthesizeTable(ctgan.model, encoding, { n: 30, seed: 4 });
      const b = synthesizeTable(ctgan.model, encoding, { n: 30, seed: 4 });
      expect(a.columns).toEqual(b.columns);
    });
  });

  it('conditions ctgan rows on a level, and refuses a condition for tvae naming ctgan', () => {
    const rows = synthesizeTable(ctgan.model, ctgan.manifest.table!, {
      n: 20,
      seed: 2,
      condition: { column: 'kind', level: 'tall' },
    });
    expect(rows.rows).toBe(20);
    expect(() =>
      synthesizeTable(tvae.model, tvae.manifest.table!, {
        n: 5,
        seed: 1,
        condition: { column: 'kind', level: 'tall' },
      }),
    ).toThrow('tvae draws rows from its prior and cannot ask for kind = tall: ctgan can');
  });

  it('takes --condition COLUMN=LEVEL on the command line into the sampler, and refuses a malformed one', async () => {
    const run = async (...args: string[]) => {
      let said = '';
      const out = process.stdout.write;
      const err = process.stderr.write;
      process.stdout.write = (() => true) as typeof process.stdout.write;
      process.stderr.write = ((text: string) => {
        said += text;
        return true;
      }) as typeof process.stderr.write;
      try {
        return { code: await main(['node', 'latentlab', 'sample', ...args]), said };
      } finally {
        process.stdout.write = out;
        process.stderr.write = err;
      }
    };
    const out = join(dir, 'tall.csv');
    expect((await run(join(dir, 'ctgan'), '--n', '30', '--condition', 'kind=tall', '--out', out)).code).toBe(
      0,
    );
    expect((await readFile(out, 'utf8')).trimEnd().split('\n')).toHaveLength(31);
    // The condition reaches the model by name: ctgan checks the level, tvae says it cannot condition.
    const unknown = await run(join(dir, 'ctgan'), '--condition', 'kind=huge', '--out', join(dir, 'huge.csv'));
    expect(unknown.code).not.toBe(0);
    expect(unknown.said).toContain('"kind" has no level "huge": its levels are');
    const tvaeRun = await run(join(dir, 'tvae'), '--condition', 'kind=tall', '--out', join(dir, 'tv.csv'));
    expect(tvaeRun.said).toContain('cannot ask for kind = tall: ctgan can');
    const malformed = await run(join(dir, 'ctgan'), '--condition', 'kind');
    expect(malformed.code).toBe(2);
    expect(malformed.said).toContain('expected COLUMN=LEVEL for --condition');
  });
});

describe('sample for other models of a table', () => {
  it("decodes a given sampler's draws (a plain autoencoder's code prior), and says when there is none", () => {
    const { family, config } = parseModelConfig({ kind: 'dense-ae', hidden: [8], latent: 2 });
    const plain = family.build(config, tvae.model.context);
    expect(() => synthesizeTable(plain, tvae.manifest.table!, { n: 5, seed: 1 })).toThrow(
      '"dense-ae" cannot generate rows: it has no prior or generator',
    );
    // Any prior and decoder of the table's rows will do: here tvae's.
    const rows = synthesizeTable(plain, tvae.manifest.table!, {
      n: 5,
      seed: 1,
      sampler: tvae.model as unknown as Sampler,
    });
    expect(rows.rows).toBe(5);
    expect(rows.columns.map((c) => c.name)).toEqual(['x', 'kind', 'size', 'good']);
    plain.dispose();
  });
});

describe('evaluate for table models', () => {
  it('decodes an encoded split back to its table, the missing cells missing again', async () => {
    const splits = await modelData(tvae);
    const table = splitTable(splits.train, tvae.manifest.table!);
    const size = table.columns.find((c) => c.name === 'size')!;
    expect(isNumberColumn(size)).toBe(true);
    const missing = isNumberColumn(size) ? size.values.filter(Number.isNaN).length : 0;
    const masked = tvae.manifest.table!.columns.find((c) => c.name === 'size')!;
    // The same count the encoding saw in its training rows.
    expect(missing).toBe(masked.missing);
    expect(missing).toBeGreaterThan(0);
  });

  it('reports shapes, trends, efficacy against the held-out rows and privacy', async () => {
    const report = await evaluateSynthesis(tvae, { seed: 0, target: 'good', epochs: 2, privacyRows: 100 });
    expect(report.holdout).toBe('test');
    expect(report.rows.synthetic).toBe(report.rows.train);
    expect(report.columnShapes.map((s) => s.column)).toEqual(['x', 'kind', 'size', 'good']);
    for (const value of [report.scores.columnShapes, report.scores.pairTrends, report.scores.overall]) {
      expect(value).toBeGreaterThan(0);
      expect(value).toBeLessThanOrEqual(1);
    }
    expect(report.efficacy?.f1).toBe('binary');
    // Real rows separate good by x's sign perfectly.
    expect(report.efficacy!.classifiers[0].real.accuracy).toBeGreaterThan(0.95);
    expect(report.privacy.synthetic.rows).toBe(100);
    expect(Number.isFinite(report.privacy.holdout.median)).toBe(true);
  });
});
