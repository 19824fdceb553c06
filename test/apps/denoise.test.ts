// `latentlab denoise`: a small denoising autoencoder trained on MNIST beats the noisy input; the figures agree with
// PSNR/SSIM recomputed from the kept images; filters are picked from their grids; the CLI writes images out.
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { denoiseDataset, denoiseGrid, formatDenoiseReport, parseNoiseSpec } from '../../src/apps/denoise.js';
import { type Dataset, head } from '../../src/data/dataset.js';
import { gaussianBlur, medianFilter } from '../../src/eval/image-filters.js';
import { imageQuality } from '../../src/eval/image-quality.js';
import { decodePng, encodeImage } from '../../src/io/png.js';
import type { Autoencoder } from '../../src/models/family.js';
import { trainRun } from '../../src/train/run.js';
import { useBackend, withTempDir } from '../helpers.js';
import { cliInProcess } from './cli-helper.js';

let dir: string;
let run: string;
let model: Autoencoder;
let test: Dataset;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  await useBackend('wasm');
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  dir = await mkdtemp(join(tmpdir(), 'latentlab-denoise-'));
  cleanup = () => rm(dir, { recursive: true, force: true });
  run = join(dir, 'run');
  const result = await trainRun(
    {
      model: { kind: 'dense-ae', hidden: [256], latent: 32, noise: { type: 'gaussian', level: 0.3 } },
      data: { source: 'mnist' },
      train: { epochs: 6, limit: 4000, batchSize: 64, previewCount: 0 },
    },
    run,
    { monitor: false },
  );
  model = result.model as Autoencoder;
  test = head(result.splits!.test, 64);
});

afterAll(async () => {
  await cleanup?.();
});

describe('denoise', () => {
  it('parses noise specs and refuses bad ones naming the flag', () => {
    expect(parseNoiseSpec('gaussian:0.3')).toEqual({ type: 'gaussian', level: 0.3 });
    expect(parseNoiseSpec('salt-and-pepper:0.2')).toEqual({ type: 'salt-and-pepper', level: 0.2 });
    expect(parseNoiseSpec('masking')).toEqual({ type: 'masking', level: 0.3 });
    for (const bad of ['speckle:0.1', 'gaussian:', 'masking:1.5', 'none:0.1', 'gaussian:0.1:2']) {
      expect(() => parseNoiseSpec(bad)).toThrow(
        `--noise: expected gaussian, masking, salt-and-pepper with a level`,
      );
    }
  });

  it('beats the noisy input at gaussian 0.3, and its figures match PSNR/SSIM recomputed from the images', async () => {
    const result = await denoiseDataset(model, test, {
      noise: { type: 'gaussian', level: 0.3 },
      seed: 1,
      batchSize: 32,
      preview: 64,
      keepOutputs: true,
    });
    const { report, preview } = result;
    expect(report.images).toBe(64);
    expect(report.selection.images).toBe(32);
    expect(report.selection.median.tried.map((t) => t.size)).toEqual([3, 5]);
    expect(report.selection.blur.tried.map((t) => t.sigma)).toEqual([0.5, 0.75, 1, 1.5, 2]);
    const best = report.selection.blur.tried.reduce((a, b) => (b.psnr > a.psnr ? b : a));
    expect(report.blur.sigma).toBe(best.sigma);
    expect(report.denoised.psnr).toBeGreaterThan(report.noisy.psnr + 2);
    // Everything was kept (preview = all 64), so each figure can be recomputed from the images themselves.
    const shape = test.sampleShape;
    expect(imageQuality(preview.clean, preview.noisy, shape)).toEqual(report.noisy);
    expect(imageQuality(preview.clean, preview.denoised, shape)).toEqual(report.denoised);
    const { psnr, ssim } = imageQuality(preview.clean, preview.median, shape);
    expect({ psnr, ssim }).toEqual({ psnr: report.median.psnr, ssim: report.median.ssim });
    expect(preview.median).toEqual(medianFilter(preview.noisy, shape, report.median.size));
    expect(preview.blur).toEqual(gaussianBlur(preview.noisy, shape, report.blur.sigma));
    expect(result.denoised).toEqual(preview.denoised);
    // Noisy images were clipped, and the noise is seeded.
    expect(Math.min(...preview.noisy)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...preview.noisy)).toBeLessThanOrEqual(1);
    const again = await denoiseDataset(model, test, {
      noise: { type: 'gaussian', level: 0.3 },
      seed: 1,
      batchSize: 32,
    });
    expect(again.report).toEqual(report);
    const other = await denoiseDataset(model, test, {
      noise: { type: 'gaussian', level: 0.3 },
      seed: 2,
      batchSize: 32,
    });
    expect(other.report.noisy.psnr).not.toBe(report.noisy.psnr);
    expect(formatDenoiseReport(report)).toContain('gain over the noisy input');
    const grid = decodePng(denoiseGrid(result, shape));
    expect(grid.width).toBeGreaterThan(5 * 8 * 56);
  });

  it('masks and salts: masking leaves zero pixels alone, salt-and-pepper is best undone by a median filter', async () => {
    const masked = await denoiseDataset(model, test, { noise: { type: 'masking', level: 0.5 }, preview: 64 });
    for (let i = 0; i < masked.preview.clean.length; i++) {
      const noisy = masked.preview.noisy[i];
      expect(noisy === 0 || noisy === masked.preview.clean[i]).toBe(true);
    }
    const salted = await denoiseDataset(model, test, { noise: { type: 'salt-and-pepper', level: 0.2 } });
    expect(salted.report.median.psnr).toBeGreaterThan(salted.report.blur.psnr);
    expect(salted.report.median.psnr).toBeGreaterThan(salted.report.noisy.psnr);
  });

  it('CLI: denoises a folder of PNGs into --out under the same names, with the picture', async () => {
    await withTempDir(async (tmp) => {
      const images = join(tmp, 'in');
      await mkdir(join(images, 'shirts'), { recursive: true });
      await mkdir(join(images, 'shoes'), { recursive: true });
      for (let i = 0; i < 4; i++) {
        const pixels = test.x.subarray(i * 784, (i + 1) * 784);
        await writeFile(
          join(images, i < 2 ? 'shirts' : 'shoes', `img${i}.png`),
          encodeImage(pixels, [28, 28, 1]),
        );
      }
      const out = join(tmp, 'out');
      const r = await cliInProcess([
        'denoise',
        run,
        '--images',
        images,
        '--noise',
        'salt-and-pepper:0.2',
        '--out',
        out,
        '--n',
        '4',
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('4 images, salt-and-pepper noise at 0.2');
      expect(r.stdout).toContain('denoised (model)');
      expect(r.stdout).toMatch(/median filter [35]x[35]/);
      expect((await readdir(join(out, 'shirts'))).sort()).toEqual(['img0.png', 'img1.png']);
      expect((await readdir(join(out, 'shoes'))).sort()).toEqual(['img2.png', 'img3.png']);
      expect(existsSync(join(out, 'grid.png'))).toBe(true);

      const bad = await cliInProcess(['denoise', run, '--noise', 'speckle:0.1']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--noise: expected gaussian, masking, salt-and-pepper with a level');
      const missing = await cliInProcess(['denoise', run, '--images', join(tmp, 'nowhere')]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain(`${join(tmp, 'nowhere')}: directory not found`);
    });
  });
});
