// `latentlab compare` on text: a language model and a sentence VAE trained alike on a file of lines, judged by
// NLL per token (exact for the lm, the IWAE bound for the VAE), perplexity, the gap to the lm, KL and active
// units; families that do not model the data are refused before anything trains.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareFamilies, defaultFamilies, parseCompareOptions } from '../../src/apps/compare.js';
import { DataSpec } from '../../src/data/spec.js';
import { withTempDir } from '../helpers.js';
import { patternCorpus as corpus } from '../text-fixtures.js';
import { runInProcess } from './cli-helper.js';

const small = { embedding: 16, hidden: 32 };

describe('compare on text', () => {
  it('picks the text families for text data and refuses image families there (and text ones on images)', async () => {
    expect(defaultFamilies(DataSpec.parse({ source: 'brown' }))).toEqual(['lm', 'seq-vae']);
    expect(defaultFamilies(DataSpec.parse({ source: 'mnist' }))).not.toContain('lm');
    const base = { latent: 4, epochs: 1, out: '/tmp/never-written' };
    expect(parseCompareOptions({ ...base, data: { source: 'brown' } }).families).toEqual(['lm', 'seq-vae']);
    expect(() =>
      parseCompareOptions({ ...base, data: { source: 'brown' }, families: ['lm', 'vae'] }, (f) => `--${f}`),
    ).toThrow(/--families: vae: image families, and brown is text; on text compare lm, seq-ae, seq-vae/);
    expect(() => parseCompareOptions({ ...base, data: { source: 'mnist' }, families: ['seq-vae'] })).toThrow(
      /seq-vae: text families, and mnist is not text/,
    );
    // The lm has no code: a latent size set for it by --config is refused before anything trains, naming the file.
    await expect(
      compareFamilies({
        ...base,
        data: { source: 'brown' },
        overrides: { lm: { latent: 8 } },
        overridesSource: 'c.json',
      }),
    ).rejects.toThrow(/c\.json#lm\.latent: "lm" has no code, so no latent size/);
  });

  it('trains an lm and a seq-vae alike and judges them by NLL per token, the gap to the lm and KL', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'lines.txt');
      await writeFile(file, corpus(300));
      const out = join(dir, 'cmp');
      const result = await compareFamilies({
        data: { source: 'text', path: file, minCount: 1, maxLength: 8 },
        families: ['lm', 'seq-vae'],
        latent: 4,
        epochs: 4,
        batchSize: 32,
        k: 5,
        out,
        overrides: { lm: small, 'seq-vae': { ...small, klAnnealSteps: 20 } },
        command: 'latentlab compare --data text:lines.txt --families lm,seq-vae',
      });
      expect(result.aborted).toBe(false);
      const [lm, vae] = result.families;
      expect(lm.kind).toBe('lm');
      expect(vae.kind).toBe('seq-vae');
      // Both scored on the same test sentences (the same split and tokenizer) ...
      expect(lm.text?.sentences).toBe(vae.text?.sentences);
      expect(lm.text?.tokens).toBe(vae.text?.tokens);
      // ... which are 5 words and <eos> each.
      expect(lm.text?.tokens).toBe(6 * (lm.text?.sentences ?? 0));
      for (const f of [lm, vae]) {
        expect(f.text?.perplexity).toBeCloseTo(Math.exp(f.text?.nllPerToken ?? Number.NaN), 6);
        // Far better than uniform over the 15 tokens a model can choose (13 words, <unk>, <eos>).
        expect(f.text?.nllPerToken).toBeLessThan(Math.log(15));
        expect(f.sentences).toHaveLength(5);
      }
      expect(lm.text?.kl).toBeUndefined();
      expect(vae.text?.k).toBe(5);
      expect(vae.text?.kl).toBeGreaterThanOrEqual(0);
      expect(vae.text?.activeUnits).toBeLessThanOrEqual(4);

      // The table's gap column is the VAE's relative distance to the lm's NLL per token.
      const row = result.table.split('\n').find((l) => l.startsWith('| seq-vae'));
      const gap =
        (100 * ((vae.text?.nllPerToken ?? 0) - (lm.text?.nllPerToken ?? 0))) / (lm.text?.nllPerToken ?? 1);
      expect(row).toContain(`${gap >= 0 ? '+' : ''}${gap.toFixed(2)}%`);
      expect(result.table.split('\n')[0]).toContain('NLL/token');
      const markdown = await readFile(join(out, 'comparison.md'), 'utf8');
      expect(markdown).toContain('IWAE bound with k = 5');
      expect(markdown).toContain('lm (from <bos>, greedy):');
      const json = JSON.parse(await readFile(join(out, 'comparison.json'), 'utf8'));
      expect(json.k).toBe(5);
      expect(json.families[1].text.nllPerToken).toBeCloseTo(vae.text?.nllPerToken ?? 0, 10);
      expect(existsSync(join(out, 'comparison.png'))).toBe(false);

      // A second run reuses both finished runs and gives the same figures for the lm (exact NLL).
      const again = await compareFamilies({
        data: { source: 'text', path: file, minCount: 1, maxLength: 8 },
        families: ['lm'],
        latent: 4,
        epochs: 4,
        batchSize: 32,
        k: 5,
        out,
        overrides: { lm: small },
      });
      expect(again.families[0].action).toBe('reused');
      expect(again.families[0].text?.nllPerToken).toBeCloseTo(lm.text?.nllPerToken ?? 0, 6);
    });
  });

  it('runs from the CLI with the text flags; image families on text exit 2 naming --families', async () => {
    const refused = await runInProcess([
      'compare',
      '--data',
      'brown',
      '--families',
      'ae,lm',
      '--out',
      '/tmp/x',
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--families');
    expect(refused.stderr).toContain('ae: image families');
    const help = await runInProcess(['compare', '--help']);
    for (const flag of ['--k <n>', '--max-length', '--tokenizer', 'brown'])
      expect(help.stdout).toContain(flag);
  });
});
