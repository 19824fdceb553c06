// WAV in and out, through the `wavefile` package (RIFF/RIFX/RF64 parsing and every PCM layout): what is ours is
// the checking, so a bad file is named with what is wrong, and the mixing to one channel in [-1, 1].
import wavefile from 'wavefile';
import { DataError } from '../../errors.js';

const { WaveFile } = wavefile;

/** The encodings read: integer PCM, IEEE float, A-law and μ-law (by their WAVE format codes). */
const FORMAT_NAMES: Record<number, string> = {
  1: 'PCM',
  2: 'Microsoft ADPCM',
  3: 'IEEE float',
  6: 'A-law',
  7: 'μ-law',
  17: 'IMA ADPCM',
  49: 'GSM 6.10',
  80: 'MPEG',
  85: 'MPEG layer 3',
  65534: 'extensible',
};
const READ_FORMATS = new Set([1, 3, 6, 7]);

/** How one sample is stored, and the level from which it counts as clipped. */
interface SampleLayout {
  kind: 'int' | 'float';
  bits: number;
  /** |x| at or above this is full scale: the largest code of the format (127/128 for 8-bit), 0.999 for floats. */
  fullScale: number;
}

// G.711's largest codes expand to 32256 (A-law) and 32124 (μ-law) of 32768.
const G711_FULL_SCALE: Record<number, number> = { 6: 32256 / 32768, 7: 32124 / 32768 };

/** The layout of a format code and bit depth, or undefined when it is not one read. */
function sampleLayout(format: number, bits: number): SampleLayout | undefined {
  if (format === 1 && [8, 16, 24, 32].includes(bits)) {
    const scale = 2 ** (bits - 1);
    return { kind: 'int', bits, fullScale: Math.min(0.999, (scale - 1) / scale) };
  }
  if (format === 3 && (bits === 32 || bits === 64)) return { kind: 'float', bits, fullScale: 0.999 };
  if ((format === 6 || format === 7) && bits === 8)
    return { kind: 'int', bits: 16, fullScale: G711_FULL_SCALE[format] };
  return undefined;
}

/**
 * Interleaved samples in [-1, 1) from the data bytes: integers by their full scale (8-bit WAV is unsigned,
 * centred on 128), floats as they are. Done here rather than by wavefile, which takes the layout from the
 * format code alone (an extensible 32-bit float file would read as integers) and is slower on a corpus.
 */
function decodeSamples(bytes: Uint8Array, layout: SampleLayout, { bigEndian }: { bigEndian: boolean }) {
  const width = layout.bits / 8;
  const count = Math.floor(bytes.length / width);
  const out = new Float64Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = !bigEndian;
  if (layout.kind === 'float') {
    for (let i = 0; i < count; i++)
      out[i] = width === 4 ? view.getFloat32(i * 4, le) : view.getFloat64(i * 8, le);
    return out;
  }
  switch (layout.bits) {
    case 8:
      for (let i = 0; i < count; i++) out[i] = (bytes[i] - 128) / 128;
      break;
    case 16:
      for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, le) / 32768;
      break;
    case 24: {
      const [lo, hi] = le ? [0, 2] : [2, 0];
      for (let i = 0; i < count; i++) {
        const at = i * 3;
        const v = bytes[at + lo] | (bytes[at + 1] << 8) | (bytes[at + hi] << 16);
        // Shifted up and back down (arithmetic shift) to carry bit 23, the sign, into the int32.
        out[i] = ((v << 8) >> 8) / 2 ** 23;
      }
      break;
    }
    default:
      for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, le) / 2 ** 31;
  }
  return out;
}

export interface WavAudio {
  sampleRate: number;
  /** One channel in [-1, 1]: the mean of the file's channels. */
  samples: Float32Array;
  /** Channels in the file (mixed to one). */
  channels: number;
  /** What the file holds, e.g. "PCM 16-bit", "IEEE float 32-bit". */
  encoding: string;
  /** Samples at or beyond full scale in the file (|x| ≥ 0.999 before mixing): the recording was clipped. */
  clippedSamples: number;
}

/** RIFF/RIFX/RF64 … WAVE: a WAV file's first twelve bytes. */
export const looksLikeWav = (b: Uint8Array) => {
  const tag = (at: number) => String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);
  return b.length >= 12 && ['RIFF', 'RIFX', 'RF64'].includes(tag(0)) && tag(8) === 'WAVE';
};

/** Decode one WAV file's bytes; `file` names it in errors. */
export function readWav(bytes: Uint8Array, file: string): WavAudio {
  if (bytes.length === 0) throw new DataError('is empty (0 bytes), expected a WAV file', { path: file });
  if (!looksLikeWav(bytes))
    throw new DataError('is not a WAV file (expected a RIFF/RIFX/RF64 header with format WAVE)', {
      path: file,
    });
  const wav = new WaveFile();
  try {
    wav.fromBuffer(bytes);
  } catch (error) {
    throw new DataError(`cannot read this WAV file: ${(error as Error).message}`, {
      path: file,
      cause: error,
    });
  }
  const fmt = wav.fmt as {
    audioFormat: number;
    numChannels: number;
    sampleRate: number;
    bitsPerSample: number;
    subformat?: number[];
  };
  let format = fmt.audioFormat;
  // WAVE_FORMAT_EXTENSIBLE keeps the real code in the first field of its sub-format GUID.
  if (format === 0xfffe && fmt.subformat && fmt.subformat.length > 0) format = fmt.subformat[0] & 0xffff;
  const formatName = FORMAT_NAMES[format] ?? `format code ${format}`;
  if (!READ_FORMATS.has(format))
    throw new DataError(
      `is encoded as ${formatName} (WAVE format ${format}), which is not read: expected PCM (8, 16, 24 or 32-bit), IEEE float (32 or 64-bit), A-law or μ-law; convert it, e.g. with ffmpeg -i IN -c:a pcm_s16le OUT.wav`,
      { path: file },
    );
  if (fmt.numChannels < 1) throw new DataError('declares no channels', { path: file });
  if (!(fmt.sampleRate >= 1000 && fmt.sampleRate <= 384_000))
    throw new DataError(`declares a sample rate of ${fmt.sampleRate} Hz, expected 1,000 to 384,000`, {
      path: file,
    });
  const data = wav.data as { chunkSize: number; samples: Uint8Array };
  const blockAlign = (fmt.numChannels * fmt.bitsPerSample) / 8;
  if (data.samples.length < data.chunkSize)
    throw new DataError(
      `is truncated: its header declares ${data.chunkSize} bytes of audio, the file holds ${data.samples.length}`,
      { path: file },
    );
  if (data.samples.length === 0 || data.samples.length < blockAlign)
    throw new DataError('holds no audio samples (empty data chunk)', { path: file });
  // Read before converting: the conversions below rebuild the header.
  const channels = fmt.numChannels;
  const sampleRate = fmt.sampleRate;
  const encoding = `${formatName} ${fmt.bitsPerSample}-bit`;
  const layout = sampleLayout(format, fmt.bitsPerSample);
  if (!layout)
    throw new DataError(
      `holds ${encoding} samples, which are not read: expected PCM 8, 16, 24 or 32-bit, IEEE float 32 or 64-bit, or 8-bit A-law or μ-law`,
      { path: file },
    );
  // G.711 is expanded to 16-bit PCM by wavefile (from the data bytes, so WAVE_FORMAT_EXTENSIBLE files too).
  if (format === 6) wav.fromALaw('16');
  else if (format === 7) wav.fromMuLaw('16');
  const bytes16 = (wav.data as { samples: Uint8Array }).samples;
  const interleaved = decodeSamples(format === 6 || format === 7 ? bytes16 : data.samples, layout, {
    bigEndian: wav.container === 'RIFX',
  });
  const frames = Math.floor(interleaved.length / channels);
  const samples = new Float32Array(frames);
  let clippedSamples = 0;
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) {
      const v = interleaved[i * channels + c];
      if (!Number.isFinite(v))
        throw new DataError(`holds a non-finite sample (${v}) at sample ${i}, channel ${c}`, { path: file });
      if (Math.abs(v) >= layout.fullScale) clippedSamples++;
      sum += v;
    }
    samples[i] = Math.max(-1, Math.min(1, sum / channels));
  }
  return { sampleRate, samples, channels, encoding, clippedSamples };
}

/** One channel in [-1, 1] as a 16-bit PCM WAV file (values beyond full scale are clipped). */
export function encodeWav(samples: Float32Array, sampleRate: number): Uint8Array {
  const ints = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.max(-1, Math.min(1, Number.isFinite(samples[i]) ? samples[i] : 0));
    ints[i] = Math.round(v < 0 ? v * 32768 : v * 32767);
  }
  const wav = new WaveFile();
  wav.fromScratch(1, sampleRate, '16', ints);
  return wav.toBuffer();
}
