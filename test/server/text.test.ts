// The /v1 API on text runs: a tiny seq-vae and lm trained here on a file of patterned lines, then every route
// with strings in and out (encode's tokenizing report, decode/sample/reconstruct/interpolate as texts, decoding
// options), checked against the library called directly; then the limits and refusals with their statuses.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeText, rowsAsText, tokenAccuracy } from '../../src/data/text/vocabulary.js';
import { tf } from '../../src/engine/tf.js';
import { type LoadedModel, loadModel } from '../../src/io/model-files.js';
import type { Autoencoder } from '../../src/models/family.js';
import { buildServer } from '../../src/server/app.js';
import { trainRun } from '../../src/train/run.js';
import { useBackend } from '../helpers.js';
import { patternCorpus as corpus } from '../text-fixtures.js';
import { makeRunsDir, multipartBody, pngOf, tinyRun } from './helpers.js';

const SENTENCE = 'the red cat runs .';
const OTHER = 'the blue bird sings .';
const MAX_LENGTH = 8;

let runs: { dir: string; cleanup: () => Promise<void> };
let app: FastifyInstance;
let vae: LoadedModel;

async function post(url: string, body: unknown) {
  return app.inject({ method: 'POST', url, payload: body as Record<string, unknown> });
}

async function trainText(name: string, model: Record<string, unknown>, file: string, epochs: number) {
  const trained = await trainRun(
    {
      model: { embedding: 16, hidden: 32, ...model } as never,
      data: { source: 'text', path: file, minCount: 1, maxLength: MAX_LENGTH },
      train: { epochs, batchSize: 32, optimizer: { learningRate: 0.005 } },
    },
    join(runs.dir, name),
    { monitor: false },
  );
  trained.model.dispose();
}

beforeAll(async () => {
  await useBackend('wasm');
  runs = await makeRunsDir();
  const file = join(runs.dir, 'lines.txt');
  await writeFile(file, corpus(400));
  // Without word dropout and with the KL weight still near 0, the VAE memorises the 27 sentences.
  await trainText('vae', { kind: 'seq-vae', latent: 8, wordDropout: 0, klAnnealSteps: 100_000 }, file, 20);
  await trainText('lm', { kind: 'lm' }, file, 8);
  await tinyRun(runs.dir, 'ae', { kind: 'dense-ae', hidden: [8], latent: 2 });
  vae = await loadModel(join(runs.dir, 'vae', 'model'));
  app = await buildServer({ runsDir: runs.dir, limits: { maxBatch: 8, maxTextChars: 64 } });
}, 180_000);

afterAll(async () => {
  await app?.close();
  vae?.model.dispose();
  await runs?.cleanup();
});

describe('text runs on /v1', () => {
  it('lists text runs with their tokenizer, vocabulary size and row length; capabilities say what each can do', async () => {
    const listing = (await app.inject('/v1/runs')).json().runs as Array<{ name: string; text?: unknown }>;
    const vocabularySize = vae.manifest.text!.tokens.length;
    // 9 pattern words, "the" and ".", after the four reserved ids.
    expect(vocabularySize).toBe(15);
    const text = { tokenizer: 'word', lowercase: true, vocabularySize, maxLength: MAX_LENGTH };
    expect(Object.fromEntries(listing.map((run) => [run.name, run.text]))).toEqual({
      ae: undefined,
      lm: text,
      vae: text,
    });
    const vaeInfo = (await app.inject('/v1/runs/vae')).json();
    expect(vaeInfo.capabilities).toMatchObject({
      encode: true,
      sample: true,
      interpolate: true,
      scores: ['elbo', 'nll', 'mahalanobis', 'knn'],
      latentSize: 8,
      text,
    });
    const lmInfo = (await app.inject('/v1/runs/lm')).json();
    expect(lmInfo.capabilities).toMatchObject({
      encode: false,
      decode: false,
      sample: true,
      interpolate: false,
      scores: ['nll'],
      text,
    });
    expect((await app.inject('/v1/runs/ae')).json().capabilities.text).toBeUndefined();
  });

  it('encodes texts with the saved vocabulary as the library does, reporting unknown tokens and truncation', async () => {
    const texts = [SENTENCE, 'The purple cat runs .', 'the red cat runs and runs and runs .'];
    const response = await post('/v1/runs/vae/encode', { texts });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(body.latentSize).toBe(8);
    expect(body.tokenized).toEqual([
      { tokens: 5, unknown: 0, truncated: false },
      { tokens: 5, unknown: 1, truncated: false }, // "purple" was never seen; "The" is lower-cased
      { tokens: 7, unknown: 2, truncated: true }, // 9 tokens cut to maxLength - 1, "and" twice among them
    ]);
    const x = encodeText(vae.manifest.text!, texts);
    const codes = tf.tidy(() =>
      (vae.model as Autoencoder).encode(tf.tensor2d(x, [3, MAX_LENGTH])).dataSync(),
    );
    body.codes.flat().forEach((v: number, i: number) => {
      expect(v).toBeCloseTo(codes[i], 6);
    });
  });

  it('decodes the code of a memorised sentence back to it: texts beside the token ids', async () => {
    const { codes } = (await post('/v1/runs/vae/encode', { texts: [SENTENCE, OTHER] })).json();
    const response = await post('/v1/runs/vae/decode', { codes });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(body.texts).toEqual([SENTENCE, OTHER]);
    expect(body.shape).toEqual([MAX_LENGTH]);
    // "the red cat runs ." is ids 4..8 then <eos> (3) and <pad> (0): the texts are the outputs read back.
    expect(body.outputs).toHaveLength(2);
    expect(rowsAsText(vae.manifest.text!, body.outputs.flat(), 2)).toEqual(body.texts);
    expect(body.outputs[0].slice(5)).toEqual([3, 0, 0]);
  });

  it('reconstructs texts: the inputs as read, the outputs, and the share of tokens right per text', async () => {
    const texts = [SENTENCE, 'the purple dog sleeps .'];
    const response = await post('/v1/runs/vae/reconstruct', { texts });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(body.inputTexts).toEqual([SENTENCE, 'the <unk> dog sleeps .']);
    expect(body.texts[0]).toBe(SENTENCE);
    expect(body.mse).toBeUndefined();
    expect(body.tokenized[1]).toEqual({ tokens: 5, unknown: 1, truncated: false });
    const x = encodeText(vae.manifest.text!, texts);
    body.tokenAccuracy.forEach((accuracy: number, i: number) => {
      const row = (a: ArrayLike<number>) => Array.from(a).slice(i * MAX_LENGTH, (i + 1) * MAX_LENGTH);
      expect(accuracy).toBeCloseTo(tokenAccuracy(row(x), row(body.outputs.flat())), 9);
    });
    expect(body.tokenAccuracy[0]).toBe(1);
  });

  it('samples sentences from the prior, and draws tokens with a temperature and top-k, seeded', async () => {
    const greedy = (await post('/v1/runs/vae/sample', { n: 4, seed: 3 })).json();
    expect(greedy.texts).toHaveLength(4);
    expect(greedy.outputs).toHaveLength(4);
    expect(rowsAsText(vae.manifest.text!, greedy.outputs.flat(), 4)).toEqual(greedy.texts);
    const drawn = { n: 4, seed: 3, temperature: 1.5 };
    const first = (await post('/v1/runs/vae/sample', drawn)).json();
    expect((await post('/v1/runs/vae/sample', drawn)).json().texts).toEqual(first.texts);
    // Among the top 1 only, a draw is the greedy choice.
    const topOne = (await post('/v1/runs/vae/sample', { ...drawn, topK: 1 })).json();
    expect(topOne.texts).toEqual(greedy.texts);
    // The cached model is back to greedy decoding after a request that drew.
    expect((await post('/v1/runs/vae/sample', { n: 4, seed: 3 })).json().texts).toEqual(greedy.texts);
  });

  it('lets a language model write sentences, but not encode', async () => {
    const written = await post('/v1/runs/lm/sample', { n: 2 });
    expect(written.statusCode, written.body).toBe(200);
    for (const text of written.json().texts) expect(text).toMatch(/^the \w+ \w+ \w+ \.$/);
    const encode = await post('/v1/runs/lm/encode', { texts: [SENTENCE] });
    expect(encode.statusCode).toBe(400);
    expect(encode.json()).toEqual({
      error: 'encode needs a model with an encoder and a decoder; "lm" has none',
      field: 'run',
    });
    const path = await post('/v1/runs/lm/interpolate', { from: { text: SENTENCE }, to: { text: OTHER } });
    expect(path.statusCode).toBe(400);
    expect(path.json().error).toBe('interpolate needs a latent space (an encoder or a prior); "lm" has none');
  });

  it('interpolates between two typed sentences: the homotopy as texts, ends included', async () => {
    const response = await post('/v1/runs/vae/interpolate', {
      from: { text: SENTENCE },
      to: { text: OTHER },
      steps: 5,
    });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(body.texts).toHaveLength(5);
    expect(body.texts[0]).toBe(SENTENCE);
    expect(body.texts[4]).toBe(OTHER);
    expect(body.codes).toHaveLength(5);
    // The ends are the texts' codes, as encode gives them.
    const { codes } = (await post('/v1/runs/vae/encode', { texts: [SENTENCE, OTHER] })).json();
    expect(body.codes[0]).toEqual(codes[0]);
    expect(body.codes[4]).toEqual(codes[1]);
  });

  it('scores texts by their ELBO, and refuses distances between token ids', async () => {
    const scored = await post('/v1/runs/vae/score', {
      texts: [SENTENCE, 'dog the . runs red'],
      score: 'elbo',
    });
    expect(scored.statusCode, scored.body).toBe(200);
    const [seen, scrambled] = scored.json().scores;
    expect(scrambled).toBeGreaterThan(seen);
    // The language model's NLL per sentence ranks them alike.
    const nll = await post('/v1/runs/lm/score', { texts: [SENTENCE, 'dog the . runs red'], score: 'nll' });
    expect(nll.statusCode, nll.body).toBe(200);
    const [lmSeen, lmScrambled] = nll.json().scores;
    expect(lmScrambled).toBeGreaterThan(lmSeen);
    const mse = await post('/v1/runs/vae/score', { texts: [SENTENCE] });
    expect(mse.statusCode).toBe(400);
    expect(mse.json()).toEqual({
      error:
        '"mse" measures distances between samples, which token ids have none: score text by elbo, nll, mahalanobis, knn',
      field: 'score',
    });
  });
});

describe('text limits and refusals', () => {
  it.each([
    [
      'texts to an image model',
      '/v1/runs/ae/encode',
      { texts: ['a b'] },
      'texts',
      '"dense-ae" was not trained on text',
    ],
    [
      'a text end to an image model',
      '/v1/runs/ae/interpolate',
      { from: { text: 'a' }, to: { seed: 1 } },
      'from.text',
      'was not trained on text',
    ],
    [
      'rows to a text model',
      '/v1/runs/vae/reconstruct',
      { inputs: [[4, 5, 3]] },
      'inputs',
      '"seq-vae" reads text: give "texts"',
    ],
    [
      'a row end to a text model',
      '/v1/runs/vae/interpolate',
      { from: { input: [4] }, to: { text: 'a' } },
      'from.input',
      'reads text',
    ],
    [
      'both inputs and texts',
      '/v1/runs/vae/encode',
      { inputs: [[1]], texts: ['a'] },
      'inputs',
      'give inputs (samples as arrays or images) or texts',
    ],
    ['more texts than the batch limit', '/v1/runs/vae/encode', { texts: Array(9).fill('a') }, 'texts', '8'],
    [
      'a text over the character limit',
      '/v1/runs/vae/encode',
      { texts: ['ok', 'x'.repeat(65)] },
      'texts[1]',
      'expected a text of at most 64 characters',
    ],
    ['an empty list of texts', '/v1/runs/vae/reconstruct', { texts: [] }, 'texts', ''],
    [
      'a temperature for an image model',
      '/v1/runs/ae/decode',
      { codes: [[0, 0]], temperature: 1 },
      'temperature',
      'chooses the tokens of text models (seq-ae, seq-vae, lm); "dense-ae" has none',
    ],
    [
      'top-k without a temperature',
      '/v1/runs/vae/sample',
      { topK: 3 },
      'topK',
      'needs a temperature above 0',
    ],
    ['a negative temperature', '/v1/runs/vae/sample', { temperature: -1 }, 'temperature', ''],
  ])('refuses %s with a 400 naming the field', async (_what, url, body, field, message) => {
    const response = await post(url, body);
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json().field).toBe(field);
    expect(response.json().error).toContain(message);
  });

  it('refuses an image upload to a text model before decoding it', async () => {
    const upload = multipartBody([{ name: 'inputs', bytes: pngOf(new Float32Array(16), 4, 4) }]);
    const response = await app.inject({ method: 'POST', url: '/v1/runs/vae/encode', ...upload });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: '"seq-vae" reads text: send JSON with "texts" (strings), not images',
      field: 'inputs',
    });
  });

  it('has no picture of text: format=png is a 406', async () => {
    const response = await post('/v1/runs/vae/sample?format=png', { n: 2 });
    expect(response.statusCode).toBe(406);
    expect(response.json().error).toContain('not images: ask for JSON');
    const rec = await post('/v1/runs/vae/reconstruct', { texts: [SENTENCE], format: 'png' });
    expect(rec.statusCode).toBe(406);
  });

  it('documents texts in the OpenAPI description', async () => {
    const spec = (await app.inject('/v1/openapi.json')).json();
    const encode = spec.paths['/v1/runs/{run}/encode'].post;
    const schema = encode.requestBody.content['application/json'].schema;
    expect(schema.properties.texts.maxItems).toBe(8);
    expect(schema.properties.texts.items.maxLength).toBe(64);
    const sample =
      spec.paths['/v1/runs/{run}/sample'].post.responses['200'].content['application/json'].schema;
    expect(sample.properties.texts.description).toContain('text models');
  });
});
