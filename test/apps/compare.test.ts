// `latentlab compare`: a quick comparison of ae, vae and gan on MNIST (files, table columns, which figures each
// family gets), reuse and resumption of the runs, validation errors naming the flag or file, and the CLI shell.
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type CompareOptionsInput,
  compareFamilies,
  FAMILY_DEFAULTS,
  firstDifference,
  parseCompareOptions,
  ZOO_FAMILIES,
} from '../../src/apps/compare.js';
import { encodeTitledPanels, textWidth } from '../../src/io/plot.js';
import { decodePng, encodeImageGrid } from '../../src/io/png.js';
import { useBackend, withTempDir } from '../helpers.js';
import { cliInProcess, ROOT } from './cli-helper.js';

const quick = (out: string): CompareOptionsInput => ({
  data: { source: 'mnist' },
  families: ['ae', 'vae', 'gan'],
  latent: 8,
  epochs: 1,
  limit: 500,
  samples: 200,
  permutations: 50,
  nllK: 20,
  nllImages: 100,
  out,
  command: 'latentlab compare --families ae,vae,gan --latent 8 --epochs 1 --limit 500 --samples 200',
});

beforeAll(async () => {
  await useBackend('wasm');
});

describe('compare', () => {
  it('trains ae, vae and gan on MNIST, judges them alike, and reuses or resumes the runs', async () => {
    await withTempDir(async (dir) => {
      const lines: string[] = [];
      const first = await compareFamilies(quick(dir), {
        log: (line) => lines.push(line),
        run: { monitor: false },
      });
      expect(first.aborted).toBe(false);
      expect(first.families.map((f) => [f.family, f.kind, f.action])).toEqual([
        ['ae', 'dense-ae', 'trained'],
        ['vae', 'vae', 'trained'],
        ['gan', 'gan', 'trained'],
      ]);
      const [ae, vae, gan] = first.families;
      // Autoencoders: reconstruction and probe; the plain AE samples from a Gaussian fitted to its codes.
      for (const f of [ae, vae]) {
        expect(f.testMse).toBeGreaterThan(0);
        expect(f.probe?.accuracy).toBeGreaterThan(0.3);
        expect(f.probe?.trainSamples).toBe(500);
      }
      expect(ae.sampler).toBe('gaussian fit to codes');
      expect(vae.sampler).toBe('prior');
      // Only the VAE's prior is over its codes; the GAN has no encoder.
      expect(ae.codesVsPrior).toBeUndefined();
      expect(vae.codesVsPrior?.permutations).toBe(50);
      expect(vae.codesVsPrior?.sizes).toEqual([1000, 1000]);
      expect(gan.testMse).toBeUndefined();
      expect(gan.probe).toBeUndefined();
      // Only the VAE has a likelihood: its NLL column is the IWAE bound, below its -ELBO.
      expect(vae.nll?.k).toBe(20);
      expect(vae.nll?.images).toBe(100);
      expect(vae.nll?.iwae).toBeGreaterThan(50);
      expect(vae.nll?.iwae).toBeLessThan(vae.nll?.negElbo ?? 0);
      expect(ae.nll).toBeUndefined();
      expect(gan.nll).toBeUndefined();
      expect(first.nll).toEqual({ k: 20, images: 100 });
      for (const f of first.families) {
        expect(f.quality?.fakeSamples).toBe(200);
        expect(f.quality?.featureSpace).toBe('latentlab mnist classifier');
        expect(f.trainSeconds).toBeGreaterThan(0);
        expect(f.samplesPerSecond).toBeGreaterThan(0);
        expect(f.epochs).toBe(1);
      }
      expect(first.fdName).toBe('FD (latentlab mnist classifier)');
      expect(first.floorFrechetDistance).toBeGreaterThan(0);

      const markdown = await readFile(join(dir, 'comparison.md'), 'utf8');
      const header = markdown.split('\n').find((l) => l.startsWith('| family'));
      for (const column of [
        'test MSE',
        'NLL',
        'FD (latentlab mnist classifier)',
        'KID',
        'precision',
        'recall',
        'classes',
        'KL from uniform',
        'probe accuracy',
        'MMD² codes vs prior',
        'p',
        'train s',
        'samples/s',
      ])
        expect(header).toContain(` ${column} `);
      expect(markdown).toMatch(/^\| ae\* +\| dense-ae /m);
      expect(markdown).toMatch(/^\| gan +\| gan +\| — /m);
      expect(markdown).toContain(quick(dir).command);
      expect(first.table).toBe(
        markdown
          .split('\n')
          .filter((l) => l.startsWith('|'))
          .join('\n'),
      );
      const json = JSON.parse(await readFile(join(dir, 'comparison.json'), 'utf8'));
      expect(json.families).toHaveLength(3);
      expect(json.command).toBe(quick(dir).command);
      const png = decodePng(await readFile(join(dir, 'comparison.png')));
      // Three 8x8 grids of 28x28 images at scale 2 (466 px square) side by side, titles above.
      expect(png.width).toBeGreaterThan(3 * 466);
      expect(png.height).toBeGreaterThan(466);

      // Run again: every run is reused, nothing trains; also one saved before an option existed (it is read
      // through the schema, so the missing option counts as its default).
      const stored = JSON.parse(await readFile(join(dir, 'vae', 'config.json'), 'utf8'));
      delete stored.model.freeBits;
      await writeFile(join(dir, 'vae', 'config.json'), JSON.stringify(stored));
      const metrics = await readFile(join(dir, 'vae', 'metrics.jsonl'), 'utf8');
      const again = await compareFamilies({ ...quick(dir), families: ['vae'] }, { run: { monitor: false } });
      expect(again.families.map((f) => f.action)).toEqual(['reused']);
      expect(again.families[0].testMse).toBeCloseTo(vae.testMse ?? Number.NaN, 6);
      expect(await readFile(join(dir, 'vae', 'metrics.jsonl'), 'utf8')).toBe(metrics);

      // A run without its model and summary (killed at the end) is resumed, not retrained.
      await rm(join(dir, 'ae', 'summary.json'));
      await rm(join(dir, 'ae', 'model'), { recursive: true });
      const resumed = await compareFamilies({ ...quick(dir), families: ['ae'] }, { run: { monitor: false } });
      expect(resumed.families[0].action).toBe('resumed');
      expect(existsSync(join(dir, 'ae', 'model', 'manifest.json'))).toBe(true);

      // A run made with other settings is not silently reused.
      await expect(compareFamilies({ ...quick(dir), latent: 4, families: ['vae'] })).rejects.toThrow(
        `${join(dir, 'vae')}: holds a run with model.latent 8, not 4 as asked`,
      );
    });
  });

  it('compares the VAE zoo under its kinds: an NLL for the likelihood models, code-fitted samples for the RAE', async () => {
    const { listFamilies } = await import('../../src/models/registry.js');
    const kinds = new Set(listFamilies().map((f) => f.kind));
    for (const family of ZOO_FAMILIES) expect(kinds.has(FAMILY_DEFAULTS[family].model.kind)).toBe(true);
    await withTempDir(async (dir) => {
      const result = await compareFamilies(
        {
          ...quick(dir),
          families: ['iwae', 'rae-l2'],
          latent: 4,
          limit: 256,
          samples: 0,
          nllK: 5,
          nllImages: 50,
          command: undefined,
        },
        { run: { monitor: false } },
      );
      const [iwae, rae] = result.families;
      expect([iwae.kind, rae.kind]).toEqual(['iwae', 'rae-l2']);
      expect(iwae.nll?.k).toBe(5);
      expect(iwae.nll?.iwae).toBeGreaterThan(0);
      expect(iwae.codesVsPrior).toBeDefined();
      expect(rae.nll).toBeUndefined();
      expect(rae.sampler).toBe('gaussian fit to codes');
      expect(rae.codesVsPrior).toBeUndefined();
      expect(result.table).toMatch(/^\| rae-l2\* +\| rae-l2 +\| [\d.]+ +\| — /m);
    });
  });

  it('rejects bad options naming the flag or the config file, before anything is written', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'out');
      const flag = (f: string) => (f === 'batchSize' ? '--batch-size' : `--${f}`);
      expect(() => parseCompareOptions({ ...quick(out), families: ['ae', 'foo'] }, flag)).toThrow(
        '--families: unknown family "foo": expected one of ae, vae, gan, aae, vaegan, latentgan, aegan',
      );
      expect(() => parseCompareOptions({ ...quick(out), families: ['ae', 'ae'] }, flag)).toThrow(
        '--families: a family is listed twice',
      );
      expect(() => parseCompareOptions({ ...quick(out), latent: 0 }, flag)).toThrow('--latent:');
      const source = { overridesSource: 'cmp.json' };
      expect(() => parseCompareOptions({ ...quick(out), ...source, overrides: { vea: {} } })).toThrow(
        'cmp.json: unknown family "vea"',
      );
      await expect(
        compareFamilies({ ...quick(out), ...source, overrides: { vae: { betta: 2 } } }),
      ).rejects.toThrow('cmp.json#vae.betta: "vae" has no option "betta"');
      await expect(
        compareFamilies({ ...quick(out), ...source, overrides: { vae: { beta: 'x' } } }),
      ).rejects.toThrow('cmp.json#vae.beta:');
      await expect(
        compareFamilies({ ...quick(out), ...source, overrides: { ae: { latent: 3 } } }),
      ).rejects.toThrow(
        'cmp.json#ae.latent: the latent size is the same for every family: set it with --latent',
      );
      // A family whose model kind nobody has registered yet.
      const saved = FAMILY_DEFAULTS.aegan;
      FAMILY_DEFAULTS.aegan = { ...saved, model: { kind: 'not-yet-written' } };
      try {
        await expect(compareFamilies({ ...quick(out), families: ['ae', 'aegan'] })).rejects.toThrow(
          '--families: family "aegan" needs model kind "not-yet-written", which is not available',
        );
      } finally {
        FAMILY_DEFAULTS.aegan = saved;
      }
      expect(existsSync(out)).toBe(false);
    });
  });

  it('finds the first differing field between a stored and a wanted config', () => {
    expect(firstDifference({ a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [1, 2] } })).toBeUndefined();
    expect(firstDifference({ a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [1, 3] } })).toEqual({
      path: 'b.c',
      stored: [1, 2],
      wanted: [1, 3],
    });
    expect(firstDifference({ a: 1 }, { a: 1, d: false })).toEqual({ path: 'd', stored: null, wanted: false });
  });

  it('draws titled panels side by side', () => {
    const grid = encodeImageGrid(new Float32Array(4 * 4).fill(1), [4, 4, 1], { rows: 1, cols: 1 });
    const one = decodePng(grid);
    const png = decodePng(
      encodeTitledPanels(
        [
          { title: 'ae', png: grid },
          { title: 'latentgan', png: grid },
        ],
        { gap: 5, textScale: 2 },
      ),
    );
    // Each column is as wide as its grid or its title, whichever is wider; the title row is 5 rows of glyphs at scale 2 plus gaps.
    expect(png.width).toBe(5 + Math.max(one.width, textWidth('ae', 2)) + 5 + textWidth('latentgan', 2) + 5);
    expect(png.height).toBe(5 * 2 + 2 * 5 + one.height + 5);
    // Some black title pixels above the first grid, none inside it.
    const black = (x: number, y: number) => png.rgba[(y * png.width + x) * 4] === 0;
    let inTitle = 0;
    for (let y = 5; y < 15; y++) for (let x = 0; x < 5 + one.width + 5; x++) if (black(x, y)) inTitle++;
    expect(inTitle).toBeGreaterThan(0);
  });

  it('runs from the CLI: help lists the flags, a bad family exits 2 naming --families', async () => {
    const help = await cliInProcess(['compare', '--help']);
    expect(help.code).toBe(0);
    for (const flag of [
      '--data',
      '--families',
      '--latent',
      '--epochs',
      '--out',
      '--batch-size',
      '--samples',
      '--limit',
      '--config',
    ])
      expect(help.stdout).toContain(flag);
    const bad = await cliInProcess(['compare', '--families', 'ae,gann', '--out', join(ROOT, 'no-such-dir')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('latentlab: error: --families: unknown family "gann"');
    expect(existsSync(join(ROOT, 'no-such-dir'))).toBe(false);
  });
});
