// Bad audio through `latentlab train`, as a user meets it: the exit code, one error line naming the file and
// saying what was expected, no run written; and what a corpus with silent and over-long files trains with.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess } from '../apps/cli-helper.js';
import { handWav, tone, wavBytes, writeFiles } from './audio-files.js';

let root: string;
let serial = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'latentlab-audio-bad-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** Three good 0.256 s tones (the clip length below) plus `extra` (name → bytes) in a fresh folder. */
async function corpus(extra: Record<string, Uint8Array>): Promise<string> {
  const dir = join(root, `corpus-${serial++}`);
  const good = Object.fromEntries(
    [300, 500, 700].map((hz) => [join(dir, `tone-${hz}.wav`), wavBytes(tone(hz, 8000, 2048), 8000)]),
  );
  const bad = Object.fromEntries(Object.entries(extra).map(([name, bytes]) => [join(dir, name), bytes]));
  await writeFiles({ ...good, ...bad });
  return dir;
}

const small = ['--sample-rate', '8000', '--duration', '0.256', '--epochs', '1', '--batch-size', '4'];

/** `latentlab train` on `dir` with `args`: exit code, the error lines, and whether a run folder was written. */
async function train(dir: string, args: string[] = []) {
  const out = join(root, `run-${serial++}`);
  const r = await runInProcess(['train', '--data', `audio:${dir}`, ...small, ...args, '--out', out]);
  const errors = r.stderr.split('\n').filter((line) => line.startsWith('latentlab: error:'));
  return { ...r, errors, wroteRun: existsSync(out) };
}

describe('train refuses bad audio with one line naming the file', () => {
  it('not a WAV: exit 1', async () => {
    const dir = await corpus({ 'notes.wav': new TextEncoder().encode('ID3 this is an mp3 renamed') });
    const r = await train(dir);
    expect(r.code).toBe(1);
    expect(r.errors).toEqual([
      `latentlab: error: ${join(dir, 'notes.wav')}: is not a WAV file (expected a RIFF/RIFX/RF64 header with format WAVE)`,
    ]);
    expect(r.wroteRun).toBe(false);
  });

  it('a truncated WAV: exit 1 with the sizes', async () => {
    const cut = handWav({ format: 1, bits: 16, data: new Uint8Array(100), declared: 64_000 });
    const dir = await corpus({ 'cut.wav': cut });
    const r = await train(dir);
    expect(r.code).toBe(1);
    expect(r.errors).toEqual([
      `latentlab: error: ${join(dir, 'cut.wav')}: is truncated: its header declares 64000 bytes of audio, the file holds 100`,
    ]);
    expect(r.wroteRun).toBe(false);
  });

  it('an encoding it does not read, named: exit 1', async () => {
    const dir = await corpus({ 'adpcm.wav': handWav({ format: 2, bits: 4, data: new Uint8Array(256) }) });
    const r = await train(dir);
    expect(r.code).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toContain(
      `${join(dir, 'adpcm.wav')}: is encoded as Microsoft ADPCM (WAVE format 2), which is not read: expected PCM`,
    );
  });

  it('a 0-byte file: exit 1', async () => {
    const dir = await corpus({ 'empty.wav': new Uint8Array(0) });
    const r = await train(dir);
    expect(r.code).toBe(1);
    expect(r.errors).toEqual([
      `latentlab: error: ${join(dir, 'empty.wav')}: is empty (0 bytes), expected a WAV file`,
    ]);
  });

  it('a folder with no audio: exit 1', async () => {
    const dir = join(root, 'no-audio');
    await writeFiles({ [join(dir, 'readme.txt')]: new TextEncoder().encode('nothing here') });
    const r = await train(dir);
    expect(r.code).toBe(1);
    expect(r.errors).toEqual([
      `latentlab: error: ${dir}: no audio: expected .wav files here or in class subfolders`,
    ]);
  });

  it('a label pattern that misses a file (exit 1) or is not a regular expression (exit 2)', async () => {
    const dir = await corpus({});
    const miss = await train(dir, ['--label-pattern', '^(\\d)_']);
    expect(miss.code).toBe(1);
    expect(miss.errors[0]).toContain(
      `${join(dir, 'tone-300.wav')}: file name does not match the label pattern ^(\\d)_ (expected a match with a first group, the label)`,
    );
    const bad = await train(dir, ['--label-pattern', '(']);
    expect(bad.code).toBe(2);
    expect(bad.errors[0]).toMatch(/^latentlab: error: data\.labelPattern: not a regular expression: /);
  });

  it('feature settings that cannot work (an FFT size not a power of two): exit 2 naming the field', async () => {
    const dir = await corpus({});
    const r = await train(dir, ['--n-fft', '300']);
    expect(r.code).toBe(2);
    expect(r.errors).toEqual(['latentlab: error: data.nFft: audio features: nFft: expected a power of two']);
  });

  it('a clip too short for the features: exit 2, in seconds and samples', async () => {
    const dir = await corpus({});
    const r = await train(dir, ['--duration', '0.001']);
    expect(r.code).toBe(2);
    expect(r.errors).toEqual([
      'latentlab: error: data.duration: audio features: duration: 0.001 s at 8000 Hz is 8 samples per clip: expected at least 16 samples',
    ]);
  });

  it('audio flags given with data they do not apply to: exit 2 before any loading', async () => {
    const dir = await corpus({});
    const pattern = await runInProcess([
      'train',
      '--data',
      'fsdd',
      '--label-pattern',
      '^(\\d)_',
      '--out',
      join(root, 'x'),
    ]);
    expect(pattern.code).toBe(2);
    expect(pattern.stderr).toContain(
      'latentlab: error: --label-pattern: applies to audio:DIR only, not to fsdd',
    );
    const by = await train(dir, ['--label-by', 'speaker']);
    expect(by.code).toBe(2);
    expect(by.errors).toEqual([`latentlab: error: --label-by: applies to fsdd only, not to audio:${dir}`]);
    const hop = await runInProcess(['train', '--data', 'mnist', '--hop', '64', '--out', join(root, 'y')]);
    expect(hop.code).toBe(2);
    expect(hop.stderr).toContain(
      'latentlab: error: --hop: applies to audio data (audio:DIR, fsdd) only, not to mnist',
    );
  });

  it('an image model given waveforms: exit 2 naming the representation and what to use', async () => {
    const dir = await corpus({});
    const r = await train(dir, ['--model', 'conv-ae', '--representation', 'waveform']);
    expect(r.code).toBe(2);
    expect(r.errors).toEqual([
      `latentlab: error: model.kind: model "conv-ae" does not take waveforms, but audio:${dir} is audio as waveforms: use --representation mel (spectrogram images) for it, or the 1-D model wave-ae`,
    ]);
    expect(r.wroteRun).toBe(false);
  });
});

describe('train states what it did to silent and over-long recordings', () => {
  it('leaves a silent file out by name and cuts a 30 s file to --duration, counted', async () => {
    const dir = await corpus({
      'quiet.wav': wavBytes(new Float32Array(2000), 8000),
      'speech-30s.wav': wavBytes(tone(440, 8000, 30 * 8000), 8000),
    });
    const r = await train(dir, ['--model', 'dense-ae', '--hidden', '8', '--latent', '2']);
    expect(r.code).toBe(0);
    const said = r.stdout + r.stderr;
    expect(said).toContain(
      'data: 4 recordings as 0.256 s clips at 8000 Hz; 1 cut to 0.256 s (first 0.256 s kept); 0 padded with silence at the end; 0 with clipped samples (at full scale); 1 silent in the kept 0.256 s, left out (quiet.wav)',
    );
    expect(r.wroteRun).toBe(true);
  }, 60_000);
});
