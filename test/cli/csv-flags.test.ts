// --no-header, --skip-rows and --label-column by position on the commands that take csv data (issue 16, item 12):
// a headerless table is refused rather than losing its first row, and read whole with the flags.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInProcess } from '../apps/cli-helper.js';
import { withTempDir } from '../helpers.js';

/** 40 rows of 3 features and a 0/1 label, no header; line 1 is metadata when `meta`. */
function table(meta = false): string {
  const lines = meta ? ['40,3,normal,anomaly'] : [];
  for (let i = 0; i < 40; i++) lines.push([i / 40, (i % 7) / 7, ((i * 3) % 11) / 11, i % 2].join(','));
  return `${lines.join('\n')}\n`;
}

describe('csv flags on the command line', () => {
  it('train refuses a headerless table, naming file:line and --no-header; trains with the flags', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'plain.csv');
      await writeFile(file, table());
      const refused = await runInProcess(['train', '--data', `csv:${file}`, '--out', join(dir, 'r0')]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`${file}:1: the header row is all numbers (0, 0, 0, 0)`);
      expect(refused.stderr).toContain('--no-header');

      const meta = join(dir, 'meta.csv');
      await writeFile(meta, table(true));
      const run = join(dir, 'r1');
      const args = ['--no-header', '--skip-rows', '1', '--label-column', '#3'];
      const r = await runInProcess([
        'train',
        '--data',
        `csv:${meta}`,
        ...args,
        '--epochs',
        '1',
        '--out',
        run,
      ]);
      expect(r.code, r.stderr).toBe(0);
      const config = JSON.parse(await readFile(join(run, 'config.json'), 'utf8'));
      expect(config.data).toMatchObject({ source: 'csv', header: false, skipRows: 1, labelColumn: '#3' });
      const manifest = JSON.parse(await readFile(join(run, 'model', 'manifest.json'), 'utf8'));
      // The label is not a feature: three inputs, two classes, all 40 rows (none lost to a header).
      expect(manifest.context.sampleShape).toEqual([3]);
    });
  });

  it('decode --codes refuses a headerless codes CSV and reads it whole with --no-header', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'plain.csv');
      await writeFile(file, table().replace(/,\d\n/g, '\n'));
      const run = join(dir, 'run');
      const trained = await runInProcess([
        'train',
        '--data',
        `csv:${file}`,
        '--no-header',
        '--latent',
        '2',
        '--epochs',
        '1',
        '--out',
        run,
      ]);
      expect(trained.code).toBe(0);
      const codes = join(dir, 'codes.csv');
      await writeFile(codes, '0.5,0.25\n1,2\n-1,0\n');
      const refused = await runInProcess(['decode', run, '--codes', codes, '--out', join(dir, 'x.csv')]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`${codes}:1: the header row is all numbers`);
      const out = join(dir, 'x.csv');
      const r = await runInProcess(['decode', run, '--codes', codes, '--no-header', '--out', out]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('3 samples');
    });
  });
});
