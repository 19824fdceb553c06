// The /v1 API on audio runs: a tiny VAE trained here on the committed FSDD recordings (log-mel spectrograms), then
// every route with WAV in (one audio/wav body, multipart files, base64 in JSON) and WAV out (Accept: audio/wav,
// format=wav, base64 beside spectrogram PNGs), checked against the library called directly; then the refusals:
// not a WAV, truncated, too long, an image run given audio, an audio run given an image.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clipFeatures, featureShape } from '../../src/data/audio/features.js';
import { clipFromWav } from '../../src/data/audio/sources.js';
import { encodeWav, readWav } from '../../src/data/audio/wav.js';
import { tf } from '../../src/engine/tf.js';
import { type LoadedModel, loadModel } from '../../src/io/model-files.js';
import type { Autoencoder } from '../../src/models/family.js';
import { buildServer } from '../../src/server/app.js';
import { checkIterations, checkWavLength, wavHeader } from '../../src/server/audio.js';
import { trainRun } from '../../src/train/run.js';
import { useBackend } from '../helpers.js';
import { makeRunsDir, pngOf, tinyRun } from './helpers.js';

const RECORDINGS = 'test/fixtures/fsdd-sample/recordings';
const RATE = 8000;
const SAMPLES = 8192;

let runs: { dir: string; cleanup: () => Promise<void> };
let app: FastifyInstance;
let vae: LoadedModel;
let digit: Buffer;
let other: Buffer;

/** A multipart body of WAV files (and text fields). */
function multipartWavs(
  files: Array<{ name: string; bytes: Buffer; type?: string }>,
  fields: Record<string, string> = {},
) {
  const boundary = '----latentlab-audio-boundary';
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields))
    parts.push(
      Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
    );
  files.forEach(({ name, bytes, type }, i) => {
    parts.push(
      Buffer.from(
        `--${boundary}\r\ncontent-disposition: form-data; name="${name}"; filename="${i}.wav"\r\ncontent-type: ${type ?? 'audio/wav'}\r\n\r\n`,
      ),
      bytes,
      Buffer.from('\r\n'),
    );
  });
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    payload: Buffer.concat(parts),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

/** A sine tone as a 16-bit WAV. */
function tone(seconds: number, rate = RATE, hz = 440): Buffer {
  const wave = Float32Array.from(
    { length: Math.round(seconds * rate) },
    (_, i) => 0.5 * Math.sin((2 * Math.PI * hz * i) / rate),
  );
  return Buffer.from(encodeWav(wave, rate));
}

const b64 = (bytes: Buffer) => bytes.toString('base64');

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url, payload: body as Record<string, unknown>, headers });
}

/** The model's features of a WAV file, as the library reads it. */
async function featuresOf(bytes: Buffer): Promise<Float32Array> {
  const features = vae.manifest.audio!;
  return clipFeatures((await clipFromWav(bytes, features, 'x')).wave, features);
}

/** A returned WAV read back: the model's rate and clip length. */
function expectClip(bytes: Uint8Array) {
  const wav = readWav(bytes, 'answer');
  expect(wav.sampleRate).toBe(RATE);
  expect(wav.samples.length).toBe(SAMPLES);
  expect(wav.encoding).toBe('PCM 16-bit');
  return wav;
}

function expectSpectrogramPng(url: string) {
  expect(url.startsWith('data:image/png;base64,')).toBe(true);
  const png = PNG.sync.read(Buffer.from(url.slice('data:image/png;base64,'.length), 'base64'));
  // 64 mel bands x 64 frames, each cell 2 pixels.
  expect([png.height, png.width]).toEqual([128, 128]);
}

beforeAll(async () => {
  await useBackend('wasm');
  runs = await makeRunsDir();
  const trained = await trainRun(
    {
      model: { kind: 'vae', hidden: [64], latent: 8 } as never,
      data: {
        source: 'audio',
        dir: RECORDINGS,
        labelPattern: '^(\\d)_',
        sampleRate: RATE,
        duration: 1.024,
        representation: 'mel',
        mels: 64,
        fMin: 0,
        minDb: -100,
        maxDb: 0,
      } as never,
      train: { epochs: 2, batchSize: 16 },
    },
    join(runs.dir, 'speech'),
    { monitor: false },
  );
  trained.model.dispose();
  const waveform = await trainRun(
    {
      model: { kind: 'wave-ae', filters: [4, 8], kernelSize: 5, latent: 4, spectralWeight: 0 } as never,
      data: {
        source: 'audio',
        dir: RECORDINGS,
        sampleRate: RATE,
        duration: 1.024,
        representation: 'waveform',
        mels: 64,
        fMin: 0,
        minDb: -100,
        maxDb: 0,
      } as never,
      train: { epochs: 1, batchSize: 16 },
    },
    join(runs.dir, 'waves'),
    { monitor: false },
  );
  waveform.model.dispose();
  await tinyRun(runs.dir, 'digits', { kind: 'dense-ae', hidden: [8], latent: 2 });
  vae = await loadModel(join(runs.dir, 'speech', 'model'));
  digit = await readFile(join(RECORDINGS, '3_jackson_0.wav'));
  other = await readFile(join(RECORDINGS, '7_theo_0.wav'));
  app = await buildServer({ runsDir: runs.dir, limits: { maxBatch: 8, maxAudioSeconds: 5 } });
}, 180_000);

afterAll(async () => {
  await app?.close();
  vae?.model.dispose();
  await runs?.cleanup();
});

describe('audio runs on /v1', () => {
  it('says what an audio run takes: its features in the capabilities', async () => {
    const details = (await app.inject('/v1/runs/speech')).json();
    expect(details.capabilities).toMatchObject({
      encode: true,
      sample: true,
      latentSize: 8,
      audio: { sampleRate: RATE, samples: SAMPLES, representation: 'mel', mels: 64, nFft: 256, hop: 128 },
    });
    expect(featureShape(vae.manifest.audio!)).toEqual([64, 64, 1]);
    expect((await app.inject('/v1/runs/waves')).json().capabilities.audio.representation).toBe('waveform');
    expect((await app.inject('/v1/runs/digits')).json().capabilities.audio).toBeUndefined();
  });

  it('encodes a raw audio/wav body, multipart WAV files and base64 JSON alike, as the library does', async () => {
    const heard = await featuresOf(digit);
    const expected = tf.tidy(() =>
      (vae.model as Autoencoder).encode(tf.tensor4d(heard, [1, 64, 64, 1])).dataSync(),
    );
    const raw = await post('/v1/runs/speech/encode', digit, { 'content-type': 'audio/wav' });
    expect(raw.statusCode, raw.body).toBe(200);
    const multipart = await app.inject({
      method: 'POST',
      url: '/v1/runs/speech/encode',
      ...multipartWavs([
        { name: 'audio', bytes: digit },
        { name: 'audio', bytes: other },
      ]),
    });
    expect(multipart.statusCode, multipart.body).toBe(200);
    const json = await post('/v1/runs/speech/encode', { audio: [b64(digit), b64(other)] });
    expect(json.statusCode, json.body).toBe(200);
    for (const codes of [raw.json().codes[0], multipart.json().codes[0], json.json().codes[0]])
      codes.forEach((v: number, i: number) => {
        expect(v).toBeCloseTo(expected[i], 5);
      });
    expect(multipart.json().codes).toEqual(json.json().codes);
    // The FSDD recordings are 8 kHz and shorter than the clip: padded, not resampled.
    expect(json.json().clips[0]).toEqual({
      cut: false,
      padded: true,
      clipped: false,
      resampled: false,
      silent: false,
    });
  });

  it('reconstructs WAV files: JSON carries base64 WAVs and spectrogram PNGs; Accept: audio/wav answers one WAV', async () => {
    const response = await post('/v1/runs/speech/reconstruct', {
      audio: [b64(digit), b64(other)],
      iterations: 8,
    });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(body.shape).toEqual([64, 64, 1]);
    expect(body.wavs).toHaveLength(2);
    for (const wav of body.wavs) expectClip(Buffer.from(wav, 'base64'));
    for (const url of [...body.spectrograms, ...body.inputSpectrograms]) expectSpectrogramPng(url);
    // The error is the mean squared difference between the features heard and the reconstruction.
    const heard = await featuresOf(digit);
    const mse =
      body.outputs[0].reduce((sum: number, v: number, i: number) => sum + (v - heard[i]) ** 2, 0) /
      heard.length;
    expect(body.mse[0]).toBeCloseTo(mse, 5);

    const wav = await post('/v1/runs/speech/reconstruct', digit, {
      'content-type': 'audio/wav',
      accept: 'audio/wav',
    });
    expect(wav.statusCode, wav.body).toBe(200);
    expect(wav.headers['content-type']).toBe('audio/wav');
    expectClip(wav.rawPayload);
    const query = await app.inject({
      method: 'POST',
      url: '/v1/runs/speech/reconstruct?format=wav&iterations=4',
      ...multipartWavs([{ name: 'audio', bytes: digit }]),
    });
    expect(query.statusCode, query.body).toBe(200);
    expectClip(query.rawPayload);
    // One WAV holds one clip.
    const two = await post('/v1/runs/speech/reconstruct', { audio: [b64(digit), b64(other)], format: 'wav' });
    expect(two.statusCode).toBe(406);
    expect(two.json()).toEqual({
      error:
        'a WAV answer holds one clip and this one has 2: ask for one (n=1, one input, one code) or for JSON (base64 WAVs)',
      field: 'format',
    });
  });

  it('samples, decodes and interpolates as WAV; PNG answers are spectrogram grids', async () => {
    const sampled = await post('/v1/runs/speech/sample', { n: 3, seed: 2, iterations: 4 });
    expect(sampled.statusCode, sampled.body).toBe(200);
    expect(sampled.json().wavs).toHaveLength(3);
    for (const w of sampled.json().wavs) expectClip(Buffer.from(w, 'base64'));
    const one = await app.inject({
      method: 'POST',
      url: '/v1/runs/speech/sample',
      payload: { n: 1 },
      headers: { accept: 'audio/wav' },
    });
    expect(one.headers['content-type']).toBe('audio/wav');
    expectClip(one.rawPayload);

    const { codes } = (await post('/v1/runs/speech/encode', { audio: [b64(digit)] })).json();
    const decoded = await post('/v1/runs/speech/decode?format=wav', { codes });
    expect(decoded.statusCode, decoded.body).toBe(200);
    expectClip(decoded.rawPayload);

    const path = await app.inject({
      method: 'POST',
      url: '/v1/runs/speech/interpolate',
      ...multipartWavs(
        [
          { name: 'from', bytes: digit },
          { name: 'to', bytes: other },
        ],
        { steps: '4', iterations: '2' },
      ),
    });
    expect(path.statusCode, path.body).toBe(200);
    const body = path.json();
    expect(body.wavs).toHaveLength(4);
    expect(body.codes[0]).toEqual(codes[0].map((v: number) => expect.closeTo(v, 5)));
    const json = await post('/v1/runs/speech/interpolate', {
      from: { audio: b64(digit) },
      to: { seed: 1 },
      steps: 2,
      iterations: 2,
    });
    expect(json.statusCode, json.body).toBe(200);

    const grid = await post('/v1/runs/speech/sample', { n: 4, format: 'png' });
    expect(grid.headers['content-type']).toBe('image/png');
    const png = PNG.sync.read(grid.rawPayload);
    // A 2 x 2 grid of 64 x 64 spectrograms at scale 2 (with padding), in colour (the inferno map).
    expect(png.width).toBe(png.height);
    expect(png.width).toBeGreaterThanOrEqual(2 * 2 * 64);
    let coloured = 0;
    for (let p = 0; p < png.data.length; p += 4) if (png.data[p] !== png.data[p + 2]) coloured++;
    expect(coloured).toBeGreaterThan(png.width * png.height * 0.5);
  });

  it('answers a waveform run with its outputs as the sound (no Griffin-Lim), clamped to [-1, 1]', async () => {
    const response = await post('/v1/runs/waves/reconstruct', { audio: [b64(digit)], iterations: 64 });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(body.shape).toEqual([SAMPLES, 1]);
    const wav = expectClip(Buffer.from(body.wavs[0], 'base64'));
    // The WAV is the output itself, at 16 bits.
    body.outputs[0].slice(0, 512).forEach((v: number, i: number) => {
      expect(wav.samples[i]).toBeCloseTo(Math.max(-1, Math.min(1, v)), 4);
    });
    expectSpectrogramPng(body.spectrograms[0]);
    const raw = await post('/v1/runs/waves/reconstruct', digit, {
      'content-type': 'audio/wav',
      accept: 'audio/wav',
    });
    expect(raw.headers['content-type']).toBe('audio/wav');
    expectClip(raw.rawPayload);
    // Its PNG form is a spectrogram grid too, although its samples are no images.
    const png = await post('/v1/runs/waves/reconstruct', { audio: [b64(digit)], format: 'png' });
    expect(png.statusCode, png.body).toBe(200);
    expect(png.headers['content-type']).toBe('image/png');
  });

  it('describes the WAV forms in the OpenAPI document', async () => {
    const doc = (await app.inject('/v1/openapi.json')).json();
    const reconstruct = doc.paths['/v1/runs/{run}/reconstruct'].post;
    expect(Object.keys(reconstruct.requestBody.content)).toContain('audio/wav');
    expect(Object.keys(reconstruct.responses['200'].content)).toEqual([
      'application/json',
      'image/png',
      'audio/wav',
    ]);
    expect(Object.keys(doc.paths['/v1/runs/{run}/score'].post.responses['200'].content)).toEqual([
      'application/json',
      'image/png',
    ]);
  });

  it('scores WAV files (detect) as the scorer does on their features', async () => {
    const response = await post('/v1/runs/speech/score', { audio: [b64(digit), b64(tone(1))] });
    expect(response.statusCode, response.body).toBe(200);
    const { scores, clips } = response.json();
    expect(scores).toHaveLength(2);
    const heard = await featuresOf(digit);
    const recon = tf.tidy(() =>
      (vae.model as Autoencoder).reconstruct(tf.tensor4d(heard, [1, 64, 64, 1])).dataSync(),
    );
    const mse = heard.reduce((sum, v, i) => sum + (v - recon[i]) ** 2, 0) / heard.length;
    expect(scores[0]).toBeCloseTo(mse, 5);
    expect(clips[1]).toMatchObject({ padded: true, resampled: false });
    const raw = await post('/v1/runs/speech/score?score=mse', tone(2, 16_000), {
      'content-type': 'audio/x-wav',
    });
    expect(raw.statusCode, raw.body).toBe(200);
    expect(raw.json().clips[0]).toEqual({
      cut: true,
      padded: false,
      clipped: false,
      resampled: true,
      silent: false,
    });
  });
});

describe('audio refusals', () => {
  it('refuses a file that is not a WAV, a truncated WAV and an encoding it does not read, naming the part', async () => {
    const notWav = await post('/v1/runs/speech/encode', {
      audio: [b64(Buffer.from('hello, this is not audio'))],
    });
    expect(notWav.statusCode).toBe(400);
    expect(notWav.json()).toEqual({
      error: 'is not a WAV file (expected a RIFF/RIFX/RF64 header with format WAVE)',
      field: 'audio[0]',
    });
    const truncated = await app.inject({
      method: 'POST',
      url: '/v1/runs/speech/reconstruct',
      ...multipartWavs([
        { name: 'audio', bytes: digit },
        { name: 'audio', bytes: digit.subarray(0, 1000) },
      ]),
    });
    expect(truncated.statusCode).toBe(400);
    expect(truncated.json().field).toBe('audio[1]');
    expect(truncated.json().error).toMatch(
      /^is truncated: its header declares \d+ bytes of audio, the file holds 956$/,
    );
    // An IMA ADPCM header (format 17): named, not read.
    const adpcm = Buffer.from(digit);
    adpcm.writeUInt16LE(17, 20);
    const encoded = await post('/v1/runs/speech/encode', adpcm, { 'content-type': 'audio/wav' });
    expect(encoded.statusCode).toBe(400);
    expect(encoded.json().field).toBe('audio[0]');
    expect(encoded.json().error).toMatch(/^is encoded as IMA ADPCM \(WAVE format 17\), which is not read/);
    const empty = await post('/v1/runs/speech/encode', Buffer.alloc(0), { 'content-type': 'audio/wav' });
    expect(empty.statusCode).toBe(400);
  });

  it('refuses a recording longer than --max-audio-seconds from its header, before reading the rest', async () => {
    const long = tone(6);
    expect(wavHeader(long.subarray(0, 44))).toEqual({ sampleRate: RATE, frames: 6 * RATE });
    expect(wavHeader(long.subarray(0, 30))).toBe('more');
    expect(() => checkWavLength(long.subarray(0, 44), { maxAudioSeconds: 5 }, 'audio[0]')).toThrow(
      'the WAV file declares 6.0 s of audio; the limit is 5 s (--max-audio-seconds)',
    );
    const expected = {
      error: 'the WAV file declares 6.0 s of audio; the limit is 5 s (--max-audio-seconds)',
    };
    // The header alone, with a body that never comes: refused all the same.
    const raw = await post('/v1/runs/speech/encode', long.subarray(0, 44), { 'content-type': 'audio/wav' });
    expect(raw.statusCode).toBe(413);
    expect(raw.json()).toEqual({ ...expected, field: 'audio[0]' });
    const multipart = await app.inject({
      method: 'POST',
      url: '/v1/runs/speech/encode',
      ...multipartWavs([
        { name: 'audio', bytes: digit },
        { name: 'audio', bytes: long },
      ]),
    });
    expect(multipart.statusCode).toBe(413);
    expect(multipart.json()).toEqual({ ...expected, field: 'audio[1]' });
    const json = await post('/v1/runs/speech/interpolate', {
      from: { audio: b64(digit) },
      to: { audio: b64(long) },
    });
    expect(json.statusCode).toBe(413);
    expect(json.json()).toEqual({ ...expected, field: 'to.audio' });
    // Within the limit, a long recording is cut to the clip.
    expect((await post('/v1/runs/speech/encode', { audio: [b64(tone(4.9))] })).json().clips[0].cut).toBe(
      true,
    );
  });

  it('refuses audio for an image run and images for an audio run, saying what each takes', async () => {
    const image = pngOf(new Float32Array(28 * 28).fill(0.5), 28, 28);
    const wavToImages = await post('/v1/runs/digits/encode', digit, { 'content-type': 'audio/wav' });
    expect(wavToImages.statusCode).toBe(400);
    expect(wavToImages.json()).toEqual({
      error:
        '"dense-ae" was not trained on audio: it takes samples of shape [28,28,1] (PNG images or arrays), not WAV',
      field: 'audio[0]',
    });
    const multipartToImages = await app.inject({
      method: 'POST',
      url: '/v1/runs/digits/reconstruct',
      ...multipartWavs([{ name: 'inputs', bytes: digit, type: 'application/octet-stream' }]),
    });
    expect(multipartToImages.statusCode).toBe(400);
    expect(multipartToImages.json().field).toBe('inputs[0]');
    const jsonToImages = await post('/v1/runs/digits/score', { audio: [b64(digit)] });
    expect(jsonToImages.statusCode).toBe(400);
    expect(jsonToImages.json()).toEqual({
      error:
        '"dense-ae" was not trained on audio: it takes samples of shape [28,28,1] (arrays or PNG images), not WAV',
      field: 'audio',
    });
    const expected = {
      error:
        '"vae" was trained on audio (log-mel spectrograms of 64 bands x 64 frames at 8000 Hz, 1.024 s clips): send WAV files (audio/wav, multipart, or base64 in "audio"), not images',
    };
    const pngToAudio = await post('/v1/runs/speech/encode', image, { 'content-type': 'image/png' });
    expect(pngToAudio.statusCode).toBe(400);
    expect(pngToAudio.json()).toEqual({ ...expected, field: 'inputs[0]' });
    const multipartPng = await app.inject({
      method: 'POST',
      url: '/v1/runs/speech/reconstruct',
      ...multipartWavs([{ name: 'audio', bytes: image, type: 'image/png' }]),
    });
    expect(multipartPng.statusCode).toBe(400);
    expect(multipartPng.json()).toEqual({ ...expected, field: 'audio[0]' });
    // An image run has no sound to answer with.
    const noSound = await post('/v1/runs/digits/decode', { codes: [[0, 0]], format: 'wav' });
    expect(noSound.statusCode).toBe(406);
    expect(noSound.json().error).toBe('"dense-ae" was not trained on audio: ask for JSON or PNG');
  });

  it('bounds the Griffin-Lim work of a request', async () => {
    const response = await post('/v1/runs/speech/sample', { n: 8, iterations: 1025 });
    expect(response.statusCode).toBe(400);
    expect(response.json().field).toBe('iterations');
    // This server takes 8 clips a request; at the default limit of 256, 256 clips x 64 iterations is too much.
    const cached = { manifest: vae.manifest, model: vae.model } as never;
    expect(checkIterations(cached, 256, 32)).toBe(32);
    expect(() => checkIterations(cached, 256, 64)).toThrow(
      '256 clips × 64 Griffin-Lim iterations is more than the 8192 a request may take: ask for fewer of either',
    );
    expect(checkIterations(cached, 3, undefined)).toBe(32);
  });
});
