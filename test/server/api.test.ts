// The /v1 API against the library called directly, on tiny models trained here: every endpoint's shapes and
// values, PNG in and out, and the OpenAPI description.
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anomalyScorer, detectAnomalies } from '../../src/apps/detect.js';
import { modelData } from '../../src/apps/model-data.js';
import { subset } from '../../src/data/dataset.js';
import { tf } from '../../src/engine/tf.js';
import { interpolateCodes, samplePrior } from '../../src/eval/generate.js';
import { type LoadedModel, loadModel } from '../../src/io/model-files.js';
import { decodePng } from '../../src/io/png.js';
import type { Autoencoder, GenerativeModel } from '../../src/models/family.js';
import { buildServer } from '../../src/server/app.js';
import { expectClose, useBackend } from '../helpers.js';
import { makeRunsDir, multipartBody, pngOf, tinyRun } from './helpers.js';

let runs: { dir: string; cleanup: () => Promise<void> };
let app: FastifyInstance;
let ae: LoadedModel;
let vae: LoadedModel;
/** Eight MNIST test digits, flat rows of 784 values. */
let inputs: number[][];
let x: Float32Array;

const rowsOf = (values: ArrayLike<number>, width: number) =>
  Array.from({ length: values.length / width }, (_, i) =>
    Array.from(values).slice(i * width, (i + 1) * width),
  );

async function post(url: string, body: unknown) {
  return app.inject({ method: 'POST', url, payload: body as Record<string, unknown> });
}

beforeAll(async () => {
  await useBackend('wasm');
  runs = await makeRunsDir();
  await tinyRun(runs.dir, 'ae', { kind: 'dense-ae', hidden: [32], latent: 4 });
  await tinyRun(runs.dir, 'vae', { kind: 'vae', hidden: [32], latent: 2 });
  await tinyRun(runs.dir, 'cvae', { kind: 'cvae', hidden: [16], latent: 2 });
  await tinyRun(runs.dir, 'gan', {
    kind: 'gan',
    latent: 4,
    generatorHidden: [16],
    discriminatorHidden: [16],
  });
  ae = await loadModel(join(runs.dir, 'ae', 'model'));
  vae = await loadModel(join(runs.dir, 'vae', 'model'));
  const test = subset((await modelData(ae)).test, [0, 1, 2, 3, 4, 5, 6, 7]);
  x = test.x;
  inputs = rowsOf(x, 784);
  app = await buildServer({ runsDir: runs.dir });
});

afterAll(async () => {
  await app?.close();
  ae?.model.dispose();
  vae?.model.dispose();
  await runs?.cleanup();
});

describe('runs', () => {
  it('lists runs with config, metrics and model', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/runs' });
    expect(res.statusCode).toBe(200);
    const { runs: listed } = res.json();
    expect(listed.map((r: { name: string }) => r.name)).toEqual(['ae', 'cvae', 'gan', 'vae']);
    expect(listed[0].config.model.kind).toBe('dense-ae');
    expect(listed[0].model.kind).toBe('dense-ae');
    expect(listed[0].model.context.sampleShape).toEqual([28, 28, 1]);
    expect(listed[0].epochsDone).toBe(1);
    expect(listed[0].lastEpoch.epoch).toBe(1);
    expect(listed[0].summary).toBeDefined();
  });

  it('describes one run: history and what its model can do', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/runs/vae' });
    expect(res.statusCode).toBe(200);
    const run = res.json();
    expect(run.history).toHaveLength(1);
    expect(run.capabilities).toMatchObject({ encode: true, sample: true, latentSize: 2, conditional: false });
    expect(run.capabilities.scores).toEqual(['mse', 'bce', 'elbo', 'mahalanobis', 'knn']);
    const plain = (await app.inject({ method: 'GET', url: '/v1/runs/ae' })).json();
    expect(plain.capabilities).toMatchObject({ encode: true, sample: false, latentSize: 4 });
    expect(plain.capabilities.scores).toEqual(['mse', 'bce', 'mahalanobis', 'knn']);
  });
});

describe('operations equal the library', () => {
  it('encode == model.encode', async () => {
    const res = await post('/v1/runs/ae/encode', { inputs });
    expect(res.statusCode).toBe(200);
    expect(res.headers['server-timing']).toMatch(/^queue;dur=[\d.]+, model;dur=[\d.]+, batch;desc="\d+"$/);
    const body = res.json();
    expect(body.latentSize).toBe(4);
    expect(body.codes).toHaveLength(8);
    const expected = (ae.model as Autoencoder).encode(tf.tensor(x, [8, 28, 28, 1]));
    expectClose(body.codes.flat(), expected.dataSync());
    expected.dispose();
  });

  it('decode == model.decode', async () => {
    const codes = [
      [0, 0, 0, 0],
      [1, -1, 0.5, 2],
    ];
    const body = (await post('/v1/runs/ae/decode', { codes })).json();
    expect(body.shape).toEqual([28, 28, 1]);
    expect(body.outputs).toHaveLength(2);
    const expected = (ae.model as Autoencoder).decode(tf.tensor2d(codes));
    expectClose(body.outputs.flat(), expected.dataSync());
    expected.dispose();
  });

  it('reconstruct == model.reconstruct, with the squared error per sample', async () => {
    const body = (await post('/v1/runs/ae/reconstruct', { inputs })).json();
    const expected = (ae.model as Autoencoder).reconstruct(tf.tensor(x, [8, 28, 28, 1]));
    const recon = expected.dataSync();
    expectClose(body.outputs.flat(), recon);
    const mse = Array.from({ length: 8 }, (_, i) => {
      let sum = 0;
      for (let p = 0; p < 784; p++) sum += (x[i * 784 + p] - recon[i * 784 + p]) ** 2;
      return sum / 784;
    });
    expectClose(body.mse, mse, 1e-4);
    expected.dispose();
  });

  it('sample == samplePrior with the same seed', async () => {
    const body = (await post('/v1/runs/vae/sample', { n: 5, seed: 3 })).json();
    expect(body.outputs).toHaveLength(5);
    const expected = samplePrior(vae.model as GenerativeModel, 5, 3);
    expectClose(body.outputs.flat(), expected.dataSync());
    expected.dispose();
  });

  it('interpolate == interpolateCodes, decoded (seeds, codes and inputs as ends)', async () => {
    const model = vae.model as GenerativeModel & Autoencoder;
    const body = (
      await post('/v1/runs/vae/interpolate', {
        from: { seed: 1 },
        to: { code: [2, -2] },
        steps: 4,
        slerp: true,
      })
    ).json();
    const a = model.samplePrior(1, 1);
    const path = interpolateCodes(a.dataSync() as Float32Array, Float32Array.from([2, -2]), 4, true);
    expectClose(body.codes.flat(), path);
    const expected = model.decode(tf.tensor2d(path, [4, 2]));
    expectClose(body.outputs.flat(), expected.dataSync());
    tf.dispose([a, expected]);

    const fromInput = (
      await post('/v1/runs/vae/interpolate', { from: { input: inputs[0] }, to: { seed: 0 } })
    ).json();
    const code = model.encode(tf.tensor(x.subarray(0, 784), [1, 28, 28, 1]));
    expectClose(fromInput.codes[0], code.dataSync());
    expect(fromInput.outputs).toHaveLength(10);
    code.dispose();
  });

  it('score: reconstruction error, ELBO, Mahalanobis and knn as anomalyScorer gives them', async () => {
    const test = subset((await modelData(vae)).test, [0, 1, 2, 3, 4, 5, 6, 7]);
    const mse = (await post('/v1/runs/ae/score', { inputs })).json();
    expect(mse.score).toBe('mse');
    expectClose(mse.scores, await (await anomalyScorer(ae.model, 'mse')).scores(test), 1e-5);

    const elbo = (
      await post('/v1/runs/vae/score', { inputs, score: 'elbo', seed: 4, elboSamples: 2 })
    ).json();
    const elboScorer = await anomalyScorer(vae.model, 'elbo', { seed: 4, elboSamples: 2 });
    expectClose(elbo.scores, await elboScorer.scores(test), 1e-5);

    const maha = (await post('/v1/runs/ae/score', { inputs, score: 'mahalanobis' })).json();
    const fit = (await modelData(ae)).train;
    expectClose(
      maha.scores,
      await (await anomalyScorer(ae.model, 'mahalanobis', { fit })).scores(test),
      1e-4,
    );

    const knn = (await post('/v1/runs/ae/score', { inputs, score: 'knn' })).json();
    expect(knn.score).toBe('knn');
    expectClose(knn.scores, await (await anomalyScorer(ae.model, 'knn', { fit })).scores(test), 1e-4);
  });
});

describe('a conditional model', () => {
  it('takes one class per sample, checked against its classes', async () => {
    const cvae = await loadModel(join(runs.dir, 'cvae', 'model'));
    const model = cvae.model as Autoencoder & GenerativeModel;
    try {
      const labels = [7, 2, 1, 0, 4, 1, 4, 9];
      const res = (await post('/v1/runs/cvae/encode', { inputs, labels })).json();
      const y = tf.tensor1d(labels, 'int32');
      const expected = model.encode(tf.tensor(x, [8, 28, 28, 1]), y);
      expectClose(res.codes.flat(), expected.dataSync());
      const decoded = (await post('/v1/runs/cvae/decode', { codes: [[0, 0]], labels: [3] })).json();
      const image = model.decode(tf.tensor2d([[0, 0]]), tf.tensor1d([3], 'int32'));
      expectClose(decoded.outputs[0], image.dataSync());
      const sampled = (await post('/v1/runs/cvae/sample', { n: 4, seed: 2, class: 5 })).json();
      const samples = samplePrior(model, 4, 2, 5);
      expectClose(sampled.outputs.flat(), samples.dataSync());
      tf.dispose([y, expected, image, samples]);

      const missing = await post('/v1/runs/cvae/encode', { inputs });
      expect(missing.statusCode).toBe(400);
      expect(missing.json().field).toBe('labels');
      const outOfRange = await post('/v1/runs/cvae/encode', { inputs: inputs.slice(0, 2), labels: [1, 10] });
      expect(outOfRange.json()).toMatchObject({
        field: 'labels[1]',
        error: 'expected a class between 0 and 9, got 10',
      });
      const badClass = await post('/v1/runs/cvae/sample', { class: 12 });
      expect(badClass.json().field).toBe('class');
    } finally {
      cvae.model.dispose();
    }
  });
});

describe('a GAN', () => {
  it('samples and interpolates through its generator; has no encoder', async () => {
    const gan = await loadModel(join(runs.dir, 'gan', 'model'));
    const model = gan.model as GenerativeModel;
    try {
      const caps = (await app.inject({ method: 'GET', url: '/v1/runs/gan' })).json().capabilities;
      expect(caps).toMatchObject({ encode: false, sample: true, interpolate: true, scores: [] });
      const sampled = (await post('/v1/runs/gan/sample', { n: 3, seed: 5 })).json();
      const expected = samplePrior(model, 3, 5);
      expectClose(sampled.outputs.flat(), expected.dataSync());
      const path = (
        await post('/v1/runs/gan/interpolate', { from: { seed: 1 }, to: { seed: 2 }, steps: 3 })
      ).json();
      const a = model.samplePrior(1, 1);
      const b = model.samplePrior(1, 2);
      const codes = interpolateCodes(a.dataSync() as Float32Array, b.dataSync() as Float32Array, 3, false);
      const images = model.generate(tf.tensor2d(codes, [3, 4]));
      expectClose(path.outputs.flat(), images.dataSync());
      tf.dispose([expected, a, b, images]);
      const encode = await post('/v1/runs/gan/encode', { inputs });
      expect(encode.statusCode).toBe(400);
      expect(encode.json().field).toBe('run');
      const mixed = await post('/v1/runs/gan/interpolate', { from: { input: inputs[0] }, to: { seed: 2 } });
      expect(mixed.json().field).toBe('run');
      const plain = await post('/v1/runs/ae/interpolate', { from: { input: inputs[0] }, to: { seed: 2 } });
      expect(plain.json()).toMatchObject({ field: 'run' });
    } finally {
      gan.model.dispose();
    }
  });
});

describe('thresholds', () => {
  it('flags scores as latentlab detect does: threshold from the validation split', async () => {
    const splits = await modelData(ae);
    const data = subset(splits.test, [0, 1, 2, 3, 4, 5, 6, 7]);
    for (const rule of [{ quantile: 0.5 }, { contamination: 0.2 }]) {
      const res = (await post('/v1/runs/ae/score', { inputs, ...rule })).json();
      const expected = await detectAnomalies(ae.model, { data, calibration: splits.validation }, rule);
      expect(res.threshold.value).toBeCloseTo(expected.threshold.value, 5);
      expect(res.threshold.calibration).toBe(expected.threshold.calibration);
      expect(res.threshold.calibrationSamples).toBe(expected.threshold.calibrationSamples);
      expect(res.flags).toEqual(Array.from(expected.flags));
    }
  });
});

describe('PNG in and out', () => {
  // PNG pixels are 8-bit: the model sees the quantised values.
  const quantised = () => inputs.map((row) => row.map((v) => Math.round(v * 255) / 255));

  it('encodes uploaded PNGs (multipart files, and one image/png body) as their pixel values', async () => {
    const q = quantised();
    const files = q.slice(0, 3).map((row) => ({ name: 'image', bytes: pngOf(row, 28, 28) }));
    const multipart = multipartBody(files);
    const res = await app.inject({ method: 'POST', url: '/v1/runs/ae/encode', ...multipart });
    expect(res.statusCode).toBe(200);
    const json = (await post('/v1/runs/ae/encode', { inputs: q.slice(0, 3) })).json();
    expectClose(res.json().codes.flat(), json.codes.flat(), 1e-4);

    const single = await app.inject({
      method: 'POST',
      url: '/v1/runs/ae/encode',
      headers: { 'content-type': 'image/png' },
      payload: pngOf(q[0], 28, 28),
    });
    expect(single.statusCode).toBe(200);
    expectClose(single.json().codes[0], json.codes[0], 1e-4);
  });

  it('resizes other sizes to the model (a 56x56 upload)', async () => {
    const big = new Float32Array(56 * 56).fill(0.5);
    const res = await app.inject({
      method: 'POST',
      url: '/v1/runs/ae/score?score=mse',
      headers: { 'content-type': 'image/png' },
      payload: pngOf(big, 56, 56),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().scores).toHaveLength(1);
  });

  it('form fields and files together; interpolation ends as files', async () => {
    const q = quantised();
    const multipart = multipartBody(
      [
        { name: 'from', bytes: pngOf(q[0], 28, 28) },
        { name: 'to', bytes: pngOf(q[1], 28, 28) },
      ],
      { steps: '3', format: 'png' },
    );
    const res = await app.inject({ method: 'POST', url: '/v1/runs/ae/interpolate', ...multipart });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    const png = decodePng(res.rawPayload);
    // One row of 3 tiles, 28 px at scale 2 with 2 px padding.
    expect([png.width, png.height]).toEqual([3 * 56 + 4 * 2, 56 + 2 * 2]);
  });

  it('answers PNG grids on format=png or Accept: image/png', async () => {
    const decoded = await post('/v1/runs/ae/decode', { codes: [[0, 0, 0, 0]], format: 'png' });
    expect(decoded.headers['content-type']).toBe('image/png');
    expect(decodePng(decoded.rawPayload).width).toBe(56 + 4);

    const sampled = await app.inject({
      method: 'POST',
      url: '/v1/runs/vae/sample',
      headers: { accept: 'image/png' },
      payload: { n: 4 },
    });
    expect(sampled.headers['content-type']).toBe('image/png');
    expect(decodePng(sampled.rawPayload).width).toBe(2 * 56 + 3 * 2);

    const recon = await post('/v1/runs/ae/reconstruct?format=png', { inputs: inputs.slice(0, 3) });
    const grid = decodePng(recon.rawPayload);
    expect([grid.width, grid.height]).toEqual([3 * 56 + 4 * 2, 2 * 56 + 3 * 2]);

    const heat = await post('/v1/runs/ae/score', { inputs: inputs.slice(0, 2), format: 'png' });
    expect(heat.headers['content-type']).toBe('image/png');
    // Rows of original | reconstruction | error map, scale 3.
    expect(decodePng(heat.rawPayload).height).toBe(2 * 84 + 3 * 2);
  });

  it('refuses PNG where there is no picture: codes', async () => {
    const res = await post('/v1/runs/ae/encode?format=png', { inputs });
    expect(res.statusCode).toBe(406);
    expect(res.json().field).toBe('format');
  });
});

describe('OpenAPI', () => {
  it('describes every endpoint from the zod schemas', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    for (const op of ['encode', 'decode', 'reconstruct', 'sample', 'interpolate', 'score'])
      expect(doc.paths[`/v1/runs/{run}/${op}`]?.post, op).toBeDefined();
    const encode = doc.paths['/v1/runs/{run}/encode'].post;
    const schema = encode.requestBody.content['application/json'].schema;
    expect(schema.properties.inputs.maxItems).toBe(256);
    expect(doc.paths['/v1/runs'].get).toBeDefined();
  });
});
