// WAV decoding: every layout read, checked against the values by hand; every bad file named with what is wrong.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav, readWav, type WavAudio } from '../../src/data/audio/wav.js';
import { DataError } from '../../src/errors.js';
import { handWav, wavBytes, writeFiles } from './audio-files.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'latentlab-wav-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Write `bytes` as `name` in the temporary folder and read it back as readWav does for a corpus. */
async function roundTrip(name: string, bytes: Uint8Array): Promise<WavAudio> {
  const path = join(dir, name);
  await writeFiles({ [path]: bytes });
  return readWav(new Uint8Array(await readFile(path)), path);
}

function refused(name: string, bytes: Uint8Array): DataError {
  try {
    readWav(bytes, name);
  } catch (error) {
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).path).toBe(name);
    return error as DataError;
  }
  throw new Error(`${name} was read`);
}

const f32 = (values: number[]) => new Uint8Array(new Float32Array(values).buffer);

describe('readWav: layouts', () => {
  it('reads unsigned 8-bit PCM centred on 128', async () => {
    const wav = await roundTrip('u8.wav', wavBytes([[0, 64, 128, 192, 255]], 8000, '8'));
    expect(wav.encoding).toBe('PCM 8-bit');
    expect(Array.from(wav.samples)).toEqual([-1, -0.5, 0, 0.5, 127 / 128]);
    // Both extreme codes are full scale: 0 → -1 and 255 → 127/128.
    expect(wav.clippedSamples).toBe(2);
  });

  it('reads signed 16, 24 and 32-bit PCM by their full scale', async () => {
    const s16 = await roundTrip('s16.wav', wavBytes([[16384, -32768, 32767, -1]], 16_000, '16'));
    expect(s16).toMatchObject({ sampleRate: 16_000, channels: 1, encoding: 'PCM 16-bit', clippedSamples: 2 });
    expect(Array.from(s16.samples)).toEqual([0.5, -1, 32767 / 32768, -1 / 32768].map(Math.fround));
    const s24 = await roundTrip('s24.wav', wavBytes([[4_194_304, -8_388_608, -2_097_152, 1]], 8000, '24'));
    expect(s24.encoding).toBe('PCM 24-bit');
    expect(Array.from(s24.samples)).toEqual([0.5, -1, -0.25, 2 ** -23].map(Math.fround));
    const s32 = await roundTrip(
      's32.wav',
      wavBytes([[1_073_741_824, -2_147_483_648, 536_870_912]], 8000, '32'),
    );
    expect(s32.encoding).toBe('PCM 32-bit');
    expect(Array.from(s32.samples)).toEqual([0.5, -1, 0.25]);
  });

  it('reads IEEE float 32 and 64-bit as they are, clamping beyond full scale', async () => {
    const a = await roundTrip('f32.wav', wavBytes([[0.25, -0.75, 1.5]], 8000, '32f'));
    expect(a.encoding).toBe('IEEE float 32-bit');
    expect(Array.from(a.samples)).toEqual([0.25, -0.75, 1]);
    expect(a.clippedSamples).toBe(1);
    const b = await roundTrip('f64.wav', wavBytes([[-0.5, 0.125, 0.1]], 8000, '64'));
    expect(b.encoding).toBe('IEEE float 64-bit');
    expect(Array.from(b.samples)).toEqual([-0.5, 0.125, Math.fround(0.1)]);
  });

  it('mixes stereo to mono by the mean of the channels (clipping counted per channel)', async () => {
    const wav = await roundTrip(
      'stereo.wav',
      wavBytes(
        [
          [1000, 32767, -16384],
          [3000, 32767, 16384],
        ],
        8000,
      ),
    );
    expect(wav.channels).toBe(2);
    expect(Array.from(wav.samples)).toEqual([2000 / 32768, 32767 / 32768, 0].map(Math.fround));
    expect(wav.clippedSamples).toBe(2);
  });

  it('expands A-law and μ-law (G.711) to 16-bit levels', async () => {
    // 8192 (0.25) lies in A-law's 64-step segment of 13-bit codes 1024-2047: its midpoint 1056·8 = 8448; μ-law: 8316.
    const pcm = [[0, 8192, -8192, 16384, 32767, -32768]];
    const { default: wavefile } = await import('wavefile');
    const toLaw = (law: 'a' | 'mu') => {
      const w = new wavefile.WaveFile();
      w.fromScratch(1, 8000, '16', pcm[0]);
      if (law === 'a') w.toALaw();
      else w.toMuLaw();
      return w.toBuffer();
    };
    const a = await roundTrip('alaw.wav', toLaw('a'));
    expect(a.encoding).toBe('A-law 8-bit');
    expect(Array.from(a.samples.slice(0, 6))).toEqual(
      [8, 8448, -8448, 16896, 32256, -32256].map((v) => v / 32768),
    );
    // Full scale in A-law is its largest code, 32256: counted as clipped.
    expect(a.clippedSamples).toBe(2);
    const mu = await roundTrip('mulaw.wav', toLaw('mu'));
    expect(mu.encoding).toBe('μ-law 8-bit');
    expect(Array.from(mu.samples.slice(0, 6))).toEqual(
      [0, 8316, -8316, 16764, 32124, -32124].map((v) => v / 32768),
    );
    expect(mu.clippedSamples).toBe(2);
  });

  it('reads WAVE_FORMAT_EXTENSIBLE by its sub-format: PCM, float, four channels', async () => {
    const pcm = await roundTrip(
      'ext16.wav',
      handWav({
        format: 1,
        bits: 16,
        extensible: true,
        data: new Uint8Array(new Int16Array([16384, -8192]).buffer),
      }),
    );
    expect(pcm.encoding).toBe('PCM 16-bit');
    expect(Array.from(pcm.samples)).toEqual([0.5, -0.25]);
    // A float sub-format must not be read as 32-bit integers (wavefile alone reads it so).
    const float = await roundTrip(
      'ext-float.wav',
      handWav({ format: 3, bits: 32, extensible: true, data: f32([0.25, -0.5, 0.75]) }),
    );
    expect(float.encoding).toBe('IEEE float 32-bit');
    expect(Array.from(float.samples)).toEqual([0.25, -0.5, 0.75]);
    // wavefile writes more than two channels as extensible.
    const quad = await roundTrip('quad.wav', wavBytes([[16384], [0], [-16384], [8192]], 8000));
    expect(quad.channels).toBe(4);
    expect(Array.from(quad.samples)).toEqual([(16384 + 0 - 16384 + 8192) / 4 / 32768]);
  });

  it('reads big-endian RIFX', async () => {
    const { default: wavefile } = await import('wavefile');
    const w = new wavefile.WaveFile();
    // Four samples: wavefile's toRIFX rounds an odd-sized data chunk up to a multiple of four bytes.
    w.fromScratch(1, 8000, '16', [16384, -16384, 256, -1]);
    w.toRIFX();
    const wav = await roundTrip('rifx.wav', w.toBuffer());
    expect(Array.from(wav.samples)).toEqual([0.5, -0.5, 256 / 32768, -1 / 32768].map(Math.fround));
  });

  it('encodeWav writes 16-bit PCM that reads back to within half a step', () => {
    const samples = Float32Array.from([0, 0.5, -0.5, 1, -1, 1.7, Number.NaN]);
    const back = readWav(encodeWav(samples, 8000), 'round.wav');
    expect(back).toMatchObject({ sampleRate: 8000, channels: 1, encoding: 'PCM 16-bit' });
    // Positive values scale by 32767, negative by 32768; beyond full scale clips, NaN writes 0.
    expect(Array.from(back.samples)).toEqual(
      [0, Math.round(0.5 * 32767), -16384, 32767, -32768, 32767, 0].map((v) => Math.fround(v / 32768)),
    );
  });
});

describe('readWav: bad files', () => {
  it('names an unsupported encoding and says what is read', () => {
    const adpcm = refused('adpcm.wav', handWav({ format: 2, bits: 4, data: new Uint8Array(64) }));
    expect(adpcm.message).toBe(
      'adpcm.wav: is encoded as Microsoft ADPCM (WAVE format 2), which is not read: expected PCM (8, 16, 24 or 32-bit), IEEE float (32 or 64-bit), A-law or μ-law; convert it, e.g. with ffmpeg -i IN -c:a pcm_s16le OUT.wav',
    );
    const mp3 = refused('song.wav', handWav({ format: 0x55, bits: 0, data: new Uint8Array(64) }));
    expect(mp3.message).toContain('is encoded as MPEG layer 3 (WAVE format 85), which is not read');
    const extMp3 = refused(
      'ext-mp3.wav',
      handWav({ format: 0x55, bits: 16, extensible: true, data: new Uint8Array(8) }),
    );
    expect(extMp3.message).toContain('MPEG layer 3 (WAVE format 85)');
    const odd = refused('odd.wav', handWav({ format: 0x1234, bits: 16, data: new Uint8Array(8) }));
    expect(odd.message).toContain('is encoded as format code 4660 (WAVE format 4660)');
  });

  it('refuses a depth its format does not have (12-bit PCM, 16-bit float, 64-bit integers)', () => {
    expect(refused('12.wav', handWav({ format: 1, bits: 12, data: new Uint8Array(6) })).message).toContain(
      'holds PCM 12-bit samples, which are not read: expected PCM 8, 16, 24 or 32-bit, IEEE float 32 or 64-bit',
    );
    expect(refused('f16.wav', handWav({ format: 3, bits: 16, data: new Uint8Array(6) })).message).toContain(
      'holds IEEE float 16-bit samples, which are not read',
    );
    expect(refused('i64.wav', handWav({ format: 1, bits: 64, data: new Uint8Array(16) })).message).toContain(
      'holds PCM 64-bit samples, which are not read',
    );
  });

  it('refuses a truncated file with the sizes declared and held', () => {
    const error = refused(
      'cut.wav',
      handWav({ format: 1, bits: 16, data: new Uint8Array(10), declared: 16_000 }),
    );
    expect(error.message).toBe(
      'cut.wav: is truncated: its header declares 16000 bytes of audio, the file holds 10',
    );
  });

  it('refuses what is not a WAV, an empty file, a header without audio and an empty data chunk', () => {
    expect(refused('notes.wav', new TextEncoder().encode('these are notes, not audio')).message).toBe(
      'notes.wav: is not a WAV file (expected a RIFF/RIFX/RF64 header with format WAVE)',
    );
    expect(refused('empty.wav', new Uint8Array(0)).message).toBe(
      'empty.wav: is empty (0 bytes), expected a WAV file',
    );
    expect(refused('header.wav', handWav({ format: 1, bits: 16, noData: true })).message).toContain(
      'header.wav: cannot read this WAV file: Could not find the "data" chunk',
    );
    expect(refused('riff.wav', new TextEncoder().encode('RIFF\x04\x00\x00\x00WAVE')).message).toContain(
      'Could not find the "fmt " chunk',
    );
    expect(refused('nodata.wav', handWav({ format: 1, bits: 16 })).message).toBe(
      'nodata.wav: holds no audio samples (empty data chunk)',
    );
  });

  it('refuses a header with no channels or an impossible sample rate', () => {
    expect(
      refused('c0.wav', handWav({ format: 1, bits: 16, channels: 0, data: new Uint8Array(4) })).message,
    ).toBe('c0.wav: declares no channels');
    expect(
      refused('r0.wav', handWav({ format: 1, bits: 16, sampleRate: 10, data: new Uint8Array(4) })).message,
    ).toBe('r0.wav: declares a sample rate of 10 Hz, expected 1,000 to 384,000');
  });

  it('refuses a float file holding NaN, naming the sample', () => {
    expect(
      refused('nan.wav', handWav({ format: 3, bits: 32, data: f32([0, 0.5, Number.NaN]) })).message,
    ).toBe('nan.wav: holds a non-finite sample (NaN) at sample 2, channel 0');
  });
});
