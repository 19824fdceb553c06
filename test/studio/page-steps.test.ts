// Training in the page ("train here") on the GPU backends gives the cpu backend's steps: for each family the page
// trains, a few optimiser steps on one fixed batch from the same initial weights, on webgpu and on webgl against
// cpu, all in headless chromium (WebGPU and WebGL on SwiftShader, on the CPU) with the studio's own page code.
//
// Tolerances (measured on SwiftShader, docs in README "Train in the page"): webgpu computes in float32 and only
// sums in another order than cpu, so its losses agree to 2e-6 relative and its weights to 3e-5: 1e-4 relative is
// allowed. webgl's shaders approximate exp, log and pow and read values through textures, so its losses differ by
// up to 5e-3 relative: 2e-2 is allowed. Weights: Adam moves each by about the learning rate times sign(gradient)
// on the first steps, so a gradient near zero whose sign differs between backends moves a weight by up to 2 lr
// per step; the largest absolute difference must stay under WEIGHT_TOLERANCE = 2 lr · steps (both backends).
// Every family the page trains is compared with LATENTLAB_PAGE_STEPS=all (about 3 minutes on 2 cores); by
// default the dense and conv autoencoders, the VAE and beta-VAE, a dense GAN and the AE-GAN (conv discriminator).
// vq-vae is compared on webgpu only: its nearest-code choice flips where webgl's error reaches a tie between codes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PageBackend } from '../../src/engine/browser.js';
import { TINY_CONFIGS } from '../models/tiny-configs.js';
import { hasChromium, type Studio, startStudio } from './browser.js';
import type { StepCase, StepResult } from './page-steps/harness.js';

const STEPS = 3;
const LEARNING_RATE = 1e-3;
const LOSS_TOLERANCE: Record<'webgpu' | 'webgl', number> = { webgpu: 1e-4, webgl: 2e-2 };
const WEIGHT_TOLERANCE = 2 * LEARNING_RATE * STEPS;
const ALL = process.env.LATENTLAB_PAGE_STEPS === 'all';
const DEFAULT_KINDS = new Set(['dense-ae', 'conv-ae', 'vae', 'gan', 'aegan']);
const WEBGPU_ONLY = new Set(['vq-vae']);

/**
 * The families whose steps are compared: the first tiny config of each family the page trains (image, point and
 * plain-row families; text, audio and table-encoder families train on the server only), and the beta-VAE.
 */
const SERVER_ONLY = new Set([
  'seq-ae',
  'seq-vae',
  'lm',
  'wave-ae',
  'tvae',
  'ctgan',
  'table-ae',
  'table-vae',
  'gain',
]);
const CASES = Object.entries(TINY_CONFIGS)
  .filter(([kind]) => !SERVER_ONLY.has(kind) && (ALL || DEFAULT_KINDS.has(kind)))
  .flatMap(([kind, cases]) => {
    const chosen = [cases[0]];
    if (kind === 'vae') chosen.push(cases.find((c) => c.name.includes('beta'))!);
    return chosen;
  });

const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-6, Math.abs(b));

describe.skipIf(!hasChromium)('page training steps: webgpu and webgl against cpu', () => {
  let studio: Studio;
  const missing: Partial<Record<PageBackend, string>> = {};
  const worst: Record<string, string> = {};

  beforeAll(async () => {
    studio = await startStudio({ gpu: true, appRoot: 'test/studio/page-steps' });
    await studio.page.goto(studio.url);
    await studio.page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
    const support = await studio.page.evaluate(() => window.pageSteps.support());
    for (const name of ['webgpu', 'webgl'] as const)
      if (!support[name].available) missing[name] = support[name].reason;
  });
  afterAll(async () => {
    console.log(
      `max differences against cpu:\n${Object.entries(worst)
        .map(([k, v]) => `  ${k}: ${v}`)
        .join('\n')}`,
    );
    await studio?.close();
  });

  it('the served page is a secure context with the backends this machine should have', async () => {
    // Where the adapter is missing the comparisons below skip, naming why; the report says which.
    if (missing.webgpu) console.warn(`webgpu comparisons skipped: ${missing.webgpu}`);
    if (missing.webgl) console.warn(`webgl comparisons skipped: ${missing.webgl}`);
    expect(await studio.page.evaluate(() => window.isSecureContext)).toBe(true);
  });

  for (const tiny of CASES) {
    it(`${tiny.name}: ${STEPS} steps agree`, async (context) => {
      const kind = String(tiny.config.kind);
      const others = (['webgpu', 'webgl'] as const).filter(
        (b) => !missing[b] && (b === 'webgpu' || !WEBGPU_ONLY.has(kind)),
      );
      if (others.length === 0) context.skip(`no GPU backend in this chromium: ${JSON.stringify(missing)}`);
      const c: StepCase = { config: tiny.config, context: tiny.context, steps: STEPS, batchSize: 8 };
      const results = await studio.page.evaluate(({ c, others }) => window.pageSteps.compare(c, others), {
        c,
        others,
      });
      const cpu = results.cpu as StepResult;
      const seen: string[] = [];
      for (const backend of others) {
        const other = results[backend] as StepResult;
        let lossDiff = 0;
        cpu.losses.forEach((record, step) => {
          for (const [key, value] of Object.entries(record)) {
            expect(Number.isFinite(other.losses[step][key]), `${backend} ${key} at step ${step}`).toBe(true);
            lossDiff = Math.max(lossDiff, relative(other.losses[step][key], value));
          }
        });
        expect(other.weights.length).toBe(cpu.weights.length);
        const weightDiff = cpu.weights.reduce((m, w, i) => Math.max(m, Math.abs(w - other.weights[i])), 0);
        if (lossDiff >= LOSS_TOLERANCE[backend])
          console.log(backend, JSON.stringify({ cpu: cpu.losses, other: other.losses }));
        seen.push(
          `${backend} loss ${lossDiff.toExponential(1)} rel, weights ${weightDiff.toExponential(1)} abs`,
        );
        expect(lossDiff, `${backend}: largest relative loss difference`).toBeLessThan(
          LOSS_TOLERANCE[backend],
        );
        expect(weightDiff, `${backend}: largest weight difference`).toBeLessThan(WEIGHT_TOLERANCE);
      }
      worst[tiny.name] = seen.join('; ');
    });
  }
});
