// The audio sources: audio:DIR (class subfolders, a label pattern, unlabelled), what loading does to each
// recording and says it did, the committed FSDD fixture, and the full fsdd source when the shared mirror is here.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resample } from '../../src/data/audio/resample.js';
import { audioFeatures, describeAudioReport, loadAudioClips } from '../../src/data/audio/sources.js';
import { readWav } from '../../src/data/audio/wav.js';
import { loadData } from '../../src/data/load.js';
import { type AudioDataSpec, DataSpec } from '../../src/data/spec.js';
import { ConfigError, DataError } from '../../src/errors.js';
import { tone, wavBytes, writeFiles } from './audio-files.js';

const ROOT = join(import.meta.dirname, '..', '..');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'fsdd-sample', 'recordings');
const SHARED_DATA = join(ROOT, '..', 'shared', 'data');
const hasMirror = existsSync(join(SHARED_DATA, 'fsdd', 'recordings'));

let root: string;
let serial = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'latentlab-audio-sources-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** A fresh folder holding `files` (relative path → bytes). */
async function folder(files: Record<string, Uint8Array>): Promise<string> {
  const dir = join(root, `case-${serial++}`);
  await writeFiles(
    Object.fromEntries(Object.entries(files).map(([name, bytes]) => [join(dir, name), bytes])),
  );
  return dir;
}

const spec = (fields: Record<string, unknown>) =>
  DataSpec.parse({ source: 'audio', ...fields }) as AudioDataSpec;
/** A 0.1 s clip at 8 kHz, 800 samples: small and quick. */
const short = { sampleRate: 8000, duration: 0.1 };
const beep = (hz = 440, seconds = 0.1, rate = 8000, amplitude = 0.5) =>
  wavBytes(tone(hz, rate, Math.round(seconds * rate), amplitude), rate);

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  if (!error) throw new Error('expected a refusal, it loaded');
  return error;
}

describe('audioFeatures: the defaults a spec leaves out', () => {
  it('takes the FFT size nearest 32 ms, hop half of it, mels up to half the rate', () => {
    expect(audioFeatures(DataSpec.parse({ source: 'fsdd' }) as AudioDataSpec)).toEqual({
      sampleRate: 8000,
      samples: 8192,
      representation: 'mel',
      nFft: 256,
      hop: 128,
      mels: 64,
      fMin: 0,
      fMax: 4000,
      minDb: -100,
      maxDb: 0,
    });
    // 32 ms is 512 samples at 16 kHz and 1,411 at 44.1 kHz (nearest power of two: 1,024).
    expect(audioFeatures(spec({ dir: 'x' }))).toMatchObject({
      sampleRate: 16_000,
      samples: 16_384,
      nFft: 512,
      hop: 256,
    });
    expect(audioFeatures(spec({ dir: 'x', sampleRate: 44_100 }))).toMatchObject({ nFft: 1024, fMax: 22_050 });
  });

  it('refuses settings that cannot make features, naming the spec field', () => {
    expect(() => audioFeatures(spec({ dir: 'x', nFft: 300 }))).toThrow(
      new ConfigError('audio features: nFft: expected a power of two', { path: 'data.nFft' }),
    );
    expect(() => audioFeatures(spec({ dir: 'x', sampleRate: 8000, fMax: 5000 }))).toThrow(
      'data.fMax: audio features: fMax: expected at most half the sample rate (4000 Hz)',
    );
    expect(() => audioFeatures(spec({ dir: 'x', minDb: 0, maxDb: -10 }))).toThrow(
      'data.minDb: audio features: minDb: expected below maxDb (-10 dB)',
    );
  });
});

describe('audio:DIR labels', () => {
  it('labels by class subfolder, sorted, with ids relative to the folder', async () => {
    const dir = await folder({
      'dog/b.wav': beep(300),
      'cat/a.wav': beep(500),
      'dog/a.wav': beep(400),
      'notes.txt': new TextEncoder().encode('not audio'),
    });
    const clips = await loadAudioClips(spec({ dir, ...short }));
    expect(clips.classNames).toEqual(['cat', 'dog']);
    expect(clips.ids).toEqual(['cat/a.wav', 'dog/a.wav', 'dog/b.wav']);
    expect(Array.from(clips.labels ?? [])).toEqual([0, 1, 1]);
    expect(clips.waves.map((w) => w.length)).toEqual([800, 800, 800]);
    expect(clips.features).toMatchObject({ sampleRate: 8000, samples: 800, nFft: 256, hop: 128, mels: 64 });
  });

  it('sorts numeric class names as numbers (1, 2, 10), from subfolders and from a label pattern', async () => {
    const nested = await folder({ '10/x.wav': beep(), '2/y.wav': beep(), '1/z.wav': beep() });
    const byFolder = await loadAudioClips(spec({ dir: nested, ...short }));
    expect(byFolder.classNames).toEqual(['1', '2', '10']);
    expect(byFolder.ids).toEqual(['1/z.wav', '10/x.wav', '2/y.wav']);
    expect(Array.from(byFolder.labels ?? [])).toEqual([0, 2, 1]);
    const flat = await folder({
      '10_a.wav': beep(),
      '2_b.wav': beep(),
      '1_c.wav': beep(),
      '2_d.WAV': beep(),
    });
    const byName = await loadAudioClips(spec({ dir: flat, labelPattern: '^(\\d+)_', ...short }));
    expect(byName.classNames).toEqual(['1', '2', '10']);
    expect(byName.ids).toEqual(['10_a.wav', '1_c.wav', '2_b.wav', '2_d.WAV']);
    expect(Array.from(byName.labels ?? [])).toEqual([2, 0, 1, 1]);
  });

  it('leaves files at the top unlabelled', async () => {
    const dir = await folder({ 'one.wav': beep(), 'two.wave': beep() });
    const clips = await loadAudioClips(spec({ dir, ...short }));
    expect(clips.labels).toBeUndefined();
    expect(clips.classNames).toBeUndefined();
    expect(clips.ids).toEqual(['one.wav', 'two.wave']);
  });

  it('refuses files both at the top and in subfolders', async () => {
    const dir = await folder({ 'loose.wav': beep(), 'cat/a.wav': beep() });
    const error = await rejection(loadAudioClips(spec({ dir, ...short })));
    expect(error).toBeInstanceOf(DataError);
    expect(error.message).toBe(
      `${dir}: holds WAV files both at the top (loose.wav) and in subfolders (cat/a.wav): expected one or the other (subfolders are classes)`,
    );
  });

  it('refuses a file name the label pattern does not match, naming the file', async () => {
    const dir = await folder({ '3_a.wav': beep(), 'take_b.wav': beep() });
    const error = await rejection(loadAudioClips(spec({ dir, labelPattern: '^(\\d)_', ...short })));
    expect(error).toBeInstanceOf(DataError);
    expect(error.message).toBe(
      `${join(dir, 'take_b.wav')}: file name does not match the label pattern ^(\\d)_ (expected a match with a first group, the label)`,
    );
  });

  it('refuses a label pattern that is not a regular expression', async () => {
    const dir = await folder({ '3_a.wav': beep() });
    const error = await rejection(loadAudioClips(spec({ dir, labelPattern: '^(\\d_', ...short })));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/^data\.labelPattern: not a regular expression: .*Unterminated group/);
  });

  it('refuses a folder with no audio and one that is not there', async () => {
    const dir = await folder({
      'readme.txt': new TextEncoder().encode('hi'),
      'sub/notes.txt': new Uint8Array(1),
    });
    const none = await rejection(loadAudioClips(spec({ dir, ...short })));
    expect(none).toBeInstanceOf(DataError);
    expect(none.message).toBe(`${dir}: no audio: expected .wav files here or in class subfolders`);
    const missing = await rejection(loadAudioClips(spec({ dir: join(dir, 'nope'), ...short })));
    expect(missing.message).toBe(
      `${join(dir, 'nope')}: folder not found: expected a folder of WAV files or of class subfolders`,
    );
  });
});

describe('audio:DIR: what loading does to each recording, counted', () => {
  it('cuts a long recording to its first seconds, pads a short one, and says so', async () => {
    const long = tone(250, 8000, 8000 * 30, 0.5); // 30 s
    const dir = await folder({
      'long.wav': wavBytes(long, 8000),
      'short.wav': beep(440, 0.05),
      'exact.wav': beep(440, 0.1),
    });
    const clips = await loadAudioClips(spec({ dir, ...short }));
    expect(clips.report).toEqual({ files: 3, cut: 1, padded: 1, clipped: 0, resampled: 0, silent: [] });
    // The first 0.1 s of the long file, to 16-bit precision (written ×32767, read ÷32768, rounded).
    const kept = clips.waves[clips.ids.indexOf('long.wav')];
    for (let i = 0; i < 800; i++) expect(Math.abs(kept[i] - long[i])).toBeLessThanOrEqual(1 / 32768 + 1e-9);
    // The short one's second half is silence.
    const padded = clips.waves[clips.ids.indexOf('short.wav')];
    expect(padded.subarray(400).every((v) => v === 0)).toBe(true);
    expect(padded.subarray(0, 400).some((v) => v !== 0)).toBe(true);
    expect(describeAudioReport(clips.report, clips.features)).toBe(
      '3 recordings as 0.1 s clips at 8000 Hz; 1 cut to 0.1 s (first 0.1 s kept); 1 padded with silence at the end; 0 with clipped samples (at full scale)',
    );
  });

  it('counts clipped recordings and resampled ones (16 kHz and 44.1 kHz to 8 kHz)', async () => {
    const dir = await folder({
      'loud.wav': wavBytes(tone(300, 8000, 800, 1.4), 8000), // clipped when written: full scale reached
      'wide.wav': beep(440, 0.1, 16_000),
      'cd.wav': beep(440, 0.1, 44_100),
      'fine.wav': beep(),
    });
    const clips = await loadAudioClips(spec({ dir, ...short }));
    expect(clips.report).toMatchObject({ files: 4, clipped: 1, resampled: 2, cut: 0, padded: 0 });
    const wide = clips.waves[clips.ids.indexOf('wide.wav')];
    const fine = clips.waves[clips.ids.indexOf('fine.wav')];
    // The same 440 Hz tone whether it came at 16 kHz or 8 kHz (away from the converter's edges).
    for (let i = 100; i < 700; i++) expect(Math.abs(wide[i] - fine[i])).toBeLessThan(0.01);
    expect(describeAudioReport(clips.report, clips.features)).toContain(
      '1 with clipped samples (at full scale); 2 resampled to 8000 Hz',
    );
  });

  it('converts only the start of a long recording at another rate, to the same clip as converting it all', async () => {
    // 24 s at 44.1 kHz (1,058,400 samples, past libsamplerate-js's one-call buffer of 1,008,000).
    const long = tone(440, 44_100, 24 * 44_100, 0.5);
    const dir = await folder({ 'a-long.wav': wavBytes(long, 44_100), 'b-long.wav': wavBytes(long, 44_100) });
    const clips = await loadAudioClips(spec({ dir, ...short }));
    expect(clips.report).toMatchObject({ files: 2, cut: 2, padded: 0, resampled: 2 });
    // The whole file (as 16-bit, as it was written) through the converter in one go; twice, as a converter
    // kept for the next call would carry the state of the pieces it converts a long input in.
    const written = readWav(wavBytes(long, 44_100), 'long.wav').samples;
    const whole = await resample(written, 44_100, 8000);
    expect(Array.from((await resample(written, 44_100, 8000)).subarray(0, 800))).toEqual(
      Array.from(whole.subarray(0, 800)),
    );
    for (const wave of clips.waves)
      for (let i = 0; i < 800; i++) expect(Math.abs(wave[i] - whole[i])).toBeLessThan(1e-4);
  });

  it('leaves out recordings silent in the clip kept (A-law silence too) and names them', async () => {
    const { default: wavefile } = await import('wavefile');
    const alaw = new wavefile.WaveFile();
    alaw.fromScratch(1, 8000, '16', new Array(800).fill(0));
    alaw.toALaw(); // A-law has no zero: this silence reads ±8/32768
    const late = new Float32Array(1600);
    late.set(tone(440, 8000, 800), 800); // sound only after the first 0.1 s
    const dir = await folder({
      'a.wav': beep(),
      'b-quiet.wav': wavBytes(new Float32Array(800), 8000),
      'c.wav': beep(),
      'd-quiet.wav': wavBytes(new Float32Array(2000), 16_000),
      'e-late.wav': wavBytes(late, 8000),
      'f-alaw.wav': alaw.toBuffer(),
    });
    const clips = await loadAudioClips(spec({ dir, ...short }));
    expect(clips.ids).toEqual(['a.wav', 'c.wav']);
    expect(clips.report.silent).toEqual(['b-quiet.wav', 'd-quiet.wav', 'e-late.wav', 'f-alaw.wav']);
    expect(describeAudioReport(clips.report, clips.features)).toContain(
      '4 silent in the kept 0.1 s, left out (b-quiet.wav, d-quiet.wav, e-late.wav, …)',
    );
  });

  it('refuses a folder where every recording is silent', async () => {
    const dir = await folder({
      'a.wav': wavBytes(new Float32Array(800), 8000),
      'b.wav': wavBytes(new Float32Array(10), 8000),
    });
    const error = await rejection(loadAudioClips(spec({ dir, ...short })));
    expect(error).toBeInstanceOf(DataError);
    expect(error.message).toBe(
      `audio:${dir}: every recording is silent in its first 0.1 s (2 files): nothing to learn`,
    );
  });

  it('names the bad file among good ones', async () => {
    const dir = await folder({
      'a.wav': beep(),
      'b.wav': new TextEncoder().encode('RIFF....WAVEfmt nonsense'),
    });
    const error = await rejection(loadAudioClips(spec({ dir, ...short })));
    expect(error).toBeInstanceOf(DataError);
    expect(error.message).toContain(`${join(dir, 'b.wav')}: `);
  });
});

describe('the committed FSDD fixture', () => {
  it('loads 60 clips of [64, 64, 1] with digit labels from the file names', async () => {
    const data = await loadData(
      DataSpec.parse({ source: 'audio', dir: FIXTURE, labelPattern: '^(\\d)_', sampleRate: 8000 }),
      { validationFraction: 0, testFraction: 0 },
    );
    const all = data.train;
    expect(all.size).toBe(60);
    expect(all.sampleShape).toEqual([64, 64, 1]);
    expect(all.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const perDigit = new Array(10).fill(0);
    for (const label of all.labels ?? []) perDigit[label]++;
    expect(perDigit).toEqual(new Array(10).fill(6));
    expect(all.audio).toMatchObject({ sampleRate: 8000, samples: 8192, nFft: 256, hop: 128, mels: 64 });
    let min = Infinity;
    let max = -Infinity;
    for (const v of all.x) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThanOrEqual(1);
    // FSDD recordings are mostly shorter than 1.024 s: padded, and the report says how many.
    expect(data.notes?.[0]).toMatch(/^60 recordings as 1\.024 s clips at 8000 Hz; \d+ cut to 1\.024 s/);
  });
});

describe.skipIf(!hasMirror)('fsdd from the shared mirror ($LATENTLAB_DATA)', () => {
  let saved: string | undefined;
  beforeAll(() => {
    saved = process.env.LATENTLAB_DATA;
    process.env.LATENTLAB_DATA = SHARED_DATA;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.LATENTLAB_DATA;
    else process.env.LATENTLAB_DATA = saved;
  });

  it('splits 2,700 train + validation / 300 test (recordings 0-4) with digit labels', async () => {
    const data = await loadData(DataSpec.parse({ source: 'fsdd' }));
    expect(data.train.size + data.validation.size).toBe(2700);
    expect(data.test.size).toBe(300);
    expect(data.test.sampleShape).toEqual([64, 64, 1]);
    expect(data.test.classNames).toHaveLength(10);
    // The test split is every speaker's takes 0-4 of every digit: 30 per digit.
    const perDigit = new Array(10).fill(0);
    for (const label of data.test.labels ?? []) perDigit[label]++;
    expect(perDigit).toEqual(new Array(10).fill(30));
  }, 120_000);

  it('labels by speaker: six speakers of 500 recordings, 50 of each in the test split', async () => {
    const clips = await loadAudioClips(
      DataSpec.parse({ source: 'fsdd', labels: 'speaker', representation: 'waveform' }) as AudioDataSpec,
    );
    expect(clips.classNames).toEqual(['jackson', 'nicolas', 'theo', 'yweweler', 'george', 'lucas']);
    const all = new Array(6).fill(0);
    const test = new Array(6).fill(0);
    clips.labels?.forEach((label, i) => {
      all[label]++;
      if (clips.test?.[i]) test[label]++;
    });
    expect(all).toEqual(new Array(6).fill(500));
    expect(test).toEqual(new Array(6).fill(50));
    expect(clips.report.silent).toEqual([]);
  }, 120_000);
});
