// The ONNX export in a browser: a saved conv VAE's encoder and decoder, exported with `exportOnnx`, run in headless
// chromium by onnxruntime-web (its wasm build, one thread: no cross-origin isolation on a plain page) on the same
// inputs as latentlab, outputs equal to 1e-5. The README's browser path is this test.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.js';
import { saveModel } from '../../src/io/model-files.js';
import { exportOnnx } from '../../src/io/onnx/export.js';
import type { Autoencoder } from '../../src/models/family.js';
import { parseModelConfig } from '../../src/models/registry.js';
import { randomValues, useBackend, withStaticServer, withTempDir } from '../helpers.js';
import { CHROMIUM, hasChromium } from '../studio/browser.js';

beforeAll(async () => {
  await useBackend('wasm');
});

const ORT_DIST = join(import.meta.dirname, '..', '..', 'node_modules', 'onnxruntime-web', 'dist');

describe.skipIf(!hasChromium)('ONNX export in the browser (onnxruntime-web)', () => {
  it("runs a conv VAE's encoder and decoder as latentlab does", async () => {
    await withTempDir(async (dir) => {
      const { family, config } = parseModelConfig({ kind: 'conv-vae', filters: [8, 16], latent: 4 });
      const model = family.build(config, { sampleShape: [28, 28, 1], seed: 3 }) as Autoencoder;
      const x = randomValues(2 * 784, 5);
      const z = randomValues(2 * 4, 6);
      let codes: Float32Array;
      let decoded: Float32Array;
      try {
        await saveModel(model, join(dir, 'model'), { data: { source: 'mnist' } });
        const input = tf.tensor(x, [2, 28, 28, 1]);
        const mean = model.encode(input);
        codes = (await mean.data()) as Float32Array;
        const zt = tf.tensor(z, [2, 4]);
        const out = model.networks.decoder.predict(zt) as tf.Tensor;
        decoded = (await out.data()) as Float32Array;
        tf.dispose([input, mean, zt, out]);
      } finally {
        model.dispose();
      }
      const site = join(dir, 'site');
      await mkdir(site);
      const index = await exportOnnx(join(dir, 'model'), join(site, 'onnx'));
      for (const file of ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'])
        await copyFile(join(ORT_DIST, file), join(site, file));
      // The page's module: onnxruntime-web from the served files, one thread, run by window.runOnnx.
      await writeFile(
        join(site, 'index.html'),
        `<!doctype html><title>ort</title><script type="module">
import * as ort from './ort.wasm.min.mjs';
ort.env.wasm.numThreads = 1;
ort.env.wasm.wasmPaths = location.origin + '/';
window.runOnnx = async (file, input, output, data, shape) => {
  const session = await ort.InferenceSession.create(location.origin + '/onnx/' + file, { executionProviders: ['wasm'] });
  const out = await session.run({ [input]: new ort.Tensor('float32', Float32Array.from(data), shape) });
  return Array.from(out[output].data);
};
window.ready = true;
</script>`,
      );
      const encoderIo = index.networks.encoder;
      const decoderIo = index.networks.decoder;
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
      try {
        const page = await browser.newPage();
        const results = await withStaticServer(site, async (base) => {
          await page.goto(`${base}/index.html`);
          await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
          type Run = (
            file: string,
            input: string,
            output: string,
            data: number[],
            shape: number[],
          ) => Promise<number[]>;
          const run = (io: typeof encoderIo, data: Float32Array, shape: number[]) =>
            page.evaluate(
              ([file, input, output, values, dims]) =>
                (window as unknown as { runOnnx: Run }).runOnnx(file, input, output, values, dims),
              [io.file, io.inputs[0].name, io.outputs[0].name, Array.from(data), shape] as const,
            );
          return {
            codes: await run(encoderIo, x, [2, 28, 28, 1]),
            decoded: await run(decoderIo, z, [2, 4]),
          };
        });
        expect(results.codes).toHaveLength(codes.length);
        for (const [i, v] of results.codes.entries()) expect(Math.abs(v - codes[i])).toBeLessThan(1e-5);
        expect(results.decoded).toHaveLength(decoded.length);
        for (const [i, v] of results.decoded.entries()) expect(Math.abs(v - decoded[i])).toBeLessThan(1e-5);
      } finally {
        await browser.close();
      }
    });
  });
});
