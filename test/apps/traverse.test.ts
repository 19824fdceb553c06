// Latent traversals: the grid's layout, the codes decoded (only the swept dimension moves, by the stated unit),
// the base column, models without an encoder, and the errors; `latentlab traverse` end to end.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import {
  BaseFlag,
  DimsFlag,
  RangeFlag,
  type TraverseRequest,
  traversalPng,
  traverse,
} from '../../src/apps/traverse.js';
import { makeDataset } from '../../src/data/dataset.js';
import { tf } from '../../src/engine/tf.js';
import { ConfigError, parseOrThrow, UsageError } from '../../src/errors.js';
import { fitGaussian } from '../../src/eval/code-prior.js';
import {
  type Autoencoder,
  type GenerativeModel,
  isAutoencoder,
  isGenerative,
  type TrainableModel,
} from '../../src/models/family.js';
import { parseModelConfig } from '../../src/models/registry.js';
import { expectClose, expectNoLeakedTensors, randomValues, useBackend, withTempDir } from '../helpers.js';
import { TINY_CONFIGS } from '../models/tiny-configs.js';
import { runInProcess, trainTinyRun } from './cli-helper.js';

beforeAll(async () => {
  await useBackend('wasm');
});

const SHAPE = [8, 8, 1];
const PER = 64;
function build(spec: Record<string, unknown>, sampleShape = SHAPE): TrainableModel {
  const { family, config } = parseModelConfig(spec);
  return family.build(config, { sampleShape, numClasses: 3, seed: 0 });
}
const items = makeDataset(
  'test',
  SHAPE,
  randomValues(16 * PER, 7).map((v) => Math.abs(v) % 1),
  Int32Array.from({ length: 16 }, (_, i) => i % 3),
);

/** The codes of `items` and their Gaussian, as the CLI fits it to the training codes. */
function sources(model: Autoencoder, data = items) {
  const codes = tf.tidy(() =>
    model.encode(
      tf.tensor(data.x, [data.size, ...data.sampleShape]),
      model.conditional ? tf.tensor1d(data.labels ?? [], 'int32') : undefined,
    ),
  );
  const values = codes.dataSync() as Float32Array;
  codes.dispose();
  const fit = fitGaussian({ rows: data.size, cols: model.latentSize, data: values });
  return { items: async () => data, codeFit: async () => fit, codes: values };
}

/** Each column's variance over rows [n, d] (unbiased, as the fit's covariance). */
function columnVariance(data: Float32Array, d: number, j: number): number {
  const n = data.length / d;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += data[i * d + j] / n;
  let s = 0;
  for (let i = 0; i < n; i++) s += (data[i * d + j] - mean) ** 2;
  return s / (n - 1);
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe('traverse', () => {
  it('lays out one row per dimension and one column per step, in the PNG too', async () => {
    const ae = build({ kind: 'dense-ae', hidden: [16], latent: 4 }) as Autoencoder;
    const t = await traverse(ae, { dims: [2, 0, 3], steps: 5 }, sources(ae));
    expect(t.dims).toEqual([2, 0, 3]);
    expect(t.codes).toHaveLength(3 * 5 * 4);
    expect(t.images).toHaveLength(3 * 5 * PER);
    const png = PNG.sync.read(traversalPng(t, { scale: 2 }));
    // 5 tiles of 16 px and 6 gaps of 2 across; 3 tiles and 4 gaps down.
    expect([png.width, png.height]).toEqual([5 * 16 + 6 * 2, 3 * 16 + 4 * 2]);
    const labelled = PNG.sync.read(traversalPng(t, { scale: 2, labels: true }));
    expect(labelled.width).toBeGreaterThan(png.width);
    expect(labelled.height).toBeGreaterThan(png.height);
    ae.dispose();
  });

  it('decodes codes where only the swept dimension moves, by offsets x the std of the training codes', async () => {
    const ae = build({ kind: 'dense-ae', hidden: [16], latent: 3 }) as Autoencoder;
    const given = sources(ae);
    const decoded: Float32Array[] = [];
    const decode = ae.decode.bind(ae);
    const spy = vi.spyOn(ae, 'decode').mockImplementation((z, labels) => {
      decoded.push(z.dataSync() as Float32Array);
      return decode(z, labels);
    });
    const t = await traverse(ae, { from: { item: 5 }, range: [-2, 2], steps: 5 }, given);
    spy.mockRestore();
    const z = Float32Array.from(decoded.flatMap((batch) => Array.from(batch)));
    expect(z).toEqual(t.codes);
    const base = given.codes.slice(5 * 3, 6 * 3);
    expectClose(t.base, base);
    expect(t.unitName).toBe('standard deviations of the training codes');
    const offsets = [-2, -1, 0, 1, 2];
    expect(t.offsets).toEqual(offsets);
    for (const [r, d] of t.dims.entries()) {
      const std = Math.sqrt(columnVariance(given.codes, 3, d));
      expect(t.unit[d]).toBeCloseTo(std, 5);
      for (let s = 0; s < 5; s++) {
        const code = z.slice((r * 5 + s) * 3, (r * 5 + s + 1) * 3);
        for (let j = 0; j < 3; j++) {
          if (j === d) expect(code[j]).toBeCloseTo(base[j] + offsets[s] * std, 5);
          else expect(code[j]).toBe(t.base[j]);
        }
      }
    }
    ae.dispose();
  });

  it("puts the base's reconstruction in the middle column of every row (symmetric range, odd steps)", async () => {
    const ae = build({ kind: 'conv-ae', filters: [4], latent: 3 }) as Autoencoder;
    const t = await traverse(ae, { from: { item: 2 }, range: [-3, 3], steps: 7 }, sources(ae));
    const x = tf.tensor(items.x.slice(2 * PER, 3 * PER), [1, ...SHAPE]);
    const reconstruction = tf.tidy(() => ae.reconstruct(x).dataSync() as Float32Array);
    x.dispose();
    for (let r = 0; r < 3; r++) {
      const middle = (r * 7 + 3) * PER;
      expectClose(t.images.slice(middle, middle + PER), reconstruction, 1e-5);
    }
    ae.dispose();
  });

  it('sweeps a VAE in prior standard deviations, from the prior mean, and ranks top:K by the code variance', async () => {
    const vae = build({ kind: 'vae', hidden: [16], latent: 4 }) as Autoencoder & GenerativeModel;
    const given = sources(vae);
    const t = await traverse(vae, { from: 'mean', dims: { top: 2 } }, given);
    expect(t.unitName).toBe('prior standard deviations');
    // 10,000 draws of N(0, 1): the estimates are within a few hundredths of 0 and 1.
    for (let j = 0; j < 4; j++) {
      expect(Math.abs(t.base[j])).toBeLessThan(0.05);
      expect(Math.abs(t.unit[j] - 1)).toBeLessThan(0.05);
    }
    const variance = [0, 1, 2, 3].map((j) => columnVariance(given.codes, 4, j));
    const ranked = [0, 1, 2, 3].sort((a, b) => variance[b] - variance[a]);
    expect(t.dims).toEqual(ranked.slice(0, 2));
    expectClose(t.variance ?? [], variance, 1e-6);
    // A seed is a prior draw, decoded by the generator.
    const seeded = await traverse(vae, { from: { seed: 3 }, dims: [1], steps: 3 }, given);
    expect(seeded.decoder).toBe('generator');
    expectClose(
      seeded.base,
      tf.tidy(() => vae.samplePrior(1, 3).dataSync() as Float32Array),
    );
    vae.dispose();
  });

  it('sweeps a vq-vae in the spread of its training codes, not of 10,000 autoregressive prior draws', async () => {
    const vq = build({
      kind: 'vq-vae',
      filters: [4],
      codebookSize: 4,
      embeddingDim: 2,
      priorFilters: 4,
      priorLayers: 1,
    }) as Autoencoder & GenerativeModel;
    const spy = vi.spyOn(vq, 'samplePrior');
    const given = sources(vq);
    const t = await traverse(vq, { from: { item: 0 }, dims: [0, 5], steps: 3 }, given);
    expect(spy).not.toHaveBeenCalled();
    expect(t.unitName).toBe('standard deviations of the training codes');
    for (const d of [0, 5])
      expect(t.unit[d]).toBeCloseTo(Math.sqrt(columnVariance(given.codes, vq.latentSize, d)), 5);
    vq.dispose();
  });

  it('decodes a conditional model with the class asked for, else the base item’s', async () => {
    const cvae = build({ kind: 'cvae', hidden: [16], latent: 2 }) as Autoencoder;
    const seen: number[] = [];
    const decode = cvae.decode.bind(cvae);
    const spy = vi.spyOn(cvae, 'decode').mockImplementation((z, labels) => {
      seen.push(...(labels?.dataSync() ?? []));
      return decode(z, labels);
    });
    const given = sources(cvae);
    expect((await traverse(cvae, { from: { item: 4 }, steps: 3 }, given)).label).toBe(1); // item 4: 4 % 3
    expect((await traverse(cvae, { from: { item: 4 }, steps: 3, label: 2 }, given)).label).toBe(2);
    spy.mockRestore();
    expect(seen).toEqual([...new Array(6).fill(1), ...new Array(6).fill(2)]);
    const error = await rejection(traverse(cvae, { label: 3 }, given));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe('--label: expected a class from 0 to 2, got 3');
    cvae.dispose();
  });

  it('traverses a GAN’s noise from a seed; an item or top:K needs an encoder', async () => {
    const gan = build({
      kind: 'gan',
      generatorHidden: [8],
      discriminatorHidden: [8],
      latent: 3,
    }) as GenerativeModel;
    const t = await traverse(gan, { from: { seed: 1 }, steps: 3 });
    expect(t.decoder).toBe('generator');
    // Without an encoder the base defaults to the prior's mean (estimated: 10,000 draws of N(0, 1)).
    const unasked = await traverse(gan, { steps: 3 });
    for (const v of unasked.base) expect(Math.abs(v)).toBeLessThan(0.05);
    // The prior's spread is measured on seeded draws: the same units every time.
    expect((await traverse(gan, { steps: 3 })).unit).toEqual(unasked.unit);
    expect(t.images).toHaveLength(3 * 3 * PER);
    expect(t.variance).toBeUndefined();
    expect((await rejection(traverse(gan, { from: { item: 0 } }))).message).toBe(
      `--from: an item's code needs a model with an encoder; "gan" has none: give seed:N or mean`,
    );
    expect((await rejection(traverse(gan, { from: 'mean', dims: { top: 2 } }))).message).toMatch(
      /top:K ranks dimensions by the variance of the training codes, so it needs a model with an encoder/,
    );
    gan.dispose();
  });

  it('names the latent size for dimensions out of range, and refuses models of other data', async () => {
    const ae = build({ kind: 'dense-ae', hidden: [16], latent: 4 }) as Autoencoder;
    const given = sources(ae);
    const out = await rejection(traverse(ae, { dims: [1, 9] }, given));
    expect(out).toBeInstanceOf(ConfigError);
    expect(out.message).toBe('--dims: dimension 9 is out of range: the latent size is 4 (dimensions 0 to 3)');
    expect((out as ConfigError).path).toBe('--dims');
    expect((await rejection(traverse(ae, { dims: { top: 5 } }, given))).message).toBe(
      '--dims: top:5 asks for more dimensions than there are: the latent size is 4 (dimensions 0 to 3)',
    );
    const wide = build({ kind: 'dense-ae', hidden: [8], latent: 300 }) as Autoencoder;
    expect((await rejection(traverse(wide, {}, sources(wide)))).message).toBe(
      '--dims: 300 rows is more than one grid draws (at most 256): the latent size is 300 (dimensions 0 to 299); pick top:K or a list of dimensions',
    );
    wide.dispose();
    expect((await rejection(traverse(ae, { from: { item: 16 } }, given))).message).toBe(
      '--from: item 16 is past the end of the test split (16 items)',
    );
    const table = build({ kind: 'dense-ae', hidden: [4], latent: 2 }, [6]);
    const refused = await rejection(traverse(table, {}));
    expect(refused).toBeInstanceOf(UsageError);
    expect(refused.message).toMatch(/traverse draws images: .* samples of shape \[6\]/);
    ae.dispose();
    table.dispose();
  });

  it('traverses every registered family of images through its interfaces, leaking no tensors', async () => {
    const traversed: string[] = [];
    for (const [kind, cases] of Object.entries(TINY_CONFIGS)) {
      const tiny = cases.find((c) => c.context.sampleShape.length === 3);
      if (!tiny) continue;
      const { family, config } = parseModelConfig(tiny.config);
      const model = family.build(config, tiny.context);
      const shape = tiny.context.sampleShape;
      const per = shape.reduce((a, b) => a * b, 1);
      const data = makeDataset(
        'test',
        shape,
        randomValues(6 * per, 3).map((v) => Math.abs(v) % 1),
        Int32Array.from({ length: 6 }, (_, i) => i % (tiny.context.numClasses ?? 1)),
      );
      const given = isAutoencoder(model) ? sources(model, data) : {};
      const from = isAutoencoder(model) ? { item: 1 } : { seed: 1 };
      if (!isAutoencoder(model) && !isGenerative(model)) {
        await expect(traverse(model, { from })).rejects.toThrow(/has neither/);
        model.dispose();
        continue;
      }
      await expectNoLeakedTensors(async () => {
        const t = await traverse(model, { from, dims: [0, 1], steps: 3 }, given, { variance: true });
        expect(t.images, kind).toHaveLength(2 * 3 * per);
        expect(t.images.every(Number.isFinite), kind).toBe(true);
      }, kind);
      traversed.push(kind);
      model.dispose();
    }
    expect(traversed).toEqual(expect.arrayContaining(['dense-ae', 'conv-ae', 'vae', 'cvae', 'aae', 'gan']));
  });

  it('reads the flags: --from, --dims and --range, with errors that name the flag', () => {
    const read = (raw: Record<string, string>) =>
      parseOrThrow(
        ({ from: BaseFlag, dims: DimsFlag, range: RangeFlag } as const)[
          Object.keys(raw)[0] as 'from' | 'dims' | 'range'
        ],
        Object.values(raw)[0],
        `--${Object.keys(raw)[0]}`,
      );
    expect(read({ from: '12' })).toEqual({ item: 12 });
    expect(read({ from: 'seed:5' })).toEqual({ seed: 5 });
    expect(read({ from: 'mean' })).toBe('mean');
    expect(read({ dims: '0, 3,7' })).toEqual([0, 3, 7]);
    expect(read({ dims: 'top:4' })).toEqual({ top: 4 });
    expect(read({ range: '2.5' })).toEqual([-2.5, 2.5]);
    expect(read({ range: '-1,4' })).toEqual([-1, 4]);
    expect(() => read({ dims: 'first' })).toThrow(
      'expected all, a list of dimensions such as 0,3,7, or top:K',
    );
    expect(() => read({ from: 'item:3' })).toThrow('expected an item index (e.g. 0), seed:N or mean');
    const request: TraverseRequest = { range: [2, 1] };
    const ae = build({ kind: 'dense-ae', hidden: [4], latent: 2 }) as Autoencoder;
    return rejection(traverse(ae, request, sources(ae))).then((error) => {
      expect(error.message).toMatch(/expected a range LO < HI/);
      ae.dispose();
    });
  });
});

describe('latentlab traverse', () => {
  it('writes the grid of a trained run, ranks top:K, and names the latent size for a bad --dims', async () => {
    await withTempDir(async (dir) => {
      const run = join(dir, 'ae');
      await trainTinyRun('dense-ae', run);
      const out = join(dir, 'grid.png');
      const done = await runInProcess([
        'traverse',
        run,
        '--dims',
        'top:2',
        '--steps',
        '5',
        '--labels',
        '--out',
        out,
      ]);
      expect(done.code, done.stderr).toBe(0);
      expect(done.stdout).toMatch(
        /^2 dimensions x 5 steps, from -3 to 3 standard deviations of the training codes/,
      );
      expect(existsSync(join(run, 'code-prior.json'))).toBe(true);
      const png = PNG.sync.read(await readFile(out));
      expect(png.height).toBeGreaterThan(2 * 56);
      const bad = await runInProcess(['traverse', run, '--dims', '0,7']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain(
        '--dims: dimension 7 is out of range: the latent size is 3 (dimensions 0 to 2)',
      );
      const steps = await runInProcess(['traverse', run, '--steps', '1']);
      expect(steps.code).toBe(2);
      expect(steps.stderr).toContain('--steps');
      expect(existsSync(join(run, 'traverse.png'))).toBe(false);
    });
  }, 60_000);
});
