// `train --config FILE` (issue 16, item 14): a file that is not a JSON object is refused, naming the file, and
// sizes are bounded: a huge latent is refused naming the field, a huge network by its parameter count.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInProcess } from '../apps/cli-helper.js';
import { withTempDir } from '../helpers.js';

describe('train --config: the shape of the file', () => {
  for (const [text, what] of [
    ['[]', 'an array'],
    ['5', 'a number'],
    ['null', 'null'],
    ['"run"', 'a string'],
  ]) {
    it(`refuses ${text}, naming the file`, async () => {
      await withTempDir(async (dir) => {
        const file = join(dir, 'run.json');
        await writeFile(file, text);
        const r = await runInProcess(['train', '--config', file, '--out', join(dir, 'run')]);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(
          `${file}: expected a JSON object such as {"model": {...}, "data": {...}, "train": {...}}, got ${what}`,
        );
      });
    });
  }
});

describe('model sizes', () => {
  it('refuses latent 1e9 naming the field and the limit', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'run.json');
      await writeFile(file, JSON.stringify({ model: { kind: 'dense-ae', latent: 1e9 } }));
      const r = await runInProcess(['train', '--config', file, '--out', join(dir, 'run')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${file}#model.latent: expected at most 65,536 units`);
      expect(r.stderr).not.toContain('typed array');
    });
  });

  it('refuses a network too large to build, with its parameter count and the limit', async () => {
    await withTempDir(async (dir) => {
      const r = await runInProcess([
        'train',
        '--hidden',
        '60000,60000',
        '--epochs',
        '1',
        '--out',
        join(dir, 'run'),
      ]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/model: about [\d.]+e\+9 parameters; the limit is 100,000,000/);
    });
  });
});
