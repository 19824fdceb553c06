// WAV files for the audio tests: written by wavefile (the layouts it makes) or by hand (headers it will not make:
// extensible float, unsupported codecs, a data chunk that declares more than the file holds).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import wavefile from 'wavefile';

const { WaveFile } = wavefile;

/** A WAV file by wavefile: `samples` per channel (one array per channel), in the depth's integer or float units. */
export function wavBytes(
  samples: number[][] | Float32Array,
  sampleRate: number,
  depth: '8' | '16' | '24' | '32' | '32f' | '64' = '16',
): Uint8Array {
  const wav = new WaveFile();
  const channels = samples instanceof Float32Array ? 1 : samples.length;
  const data =
    samples instanceof Float32Array
      ? Array.from(samples, (v) => Math.round(Math.max(-1, Math.min(1, v)) * 32767))
      : channels === 1
        ? samples[0]
        : samples;
  wav.fromScratch(channels, sampleRate, depth, data);
  return wav.toBuffer();
}

export interface HandWav {
  format: number;
  channels?: number;
  sampleRate?: number;
  bits: number;
  data?: Uint8Array;
  /** The size the data chunk declares (default: the bytes given). */
  declared?: number;
  /** Write WAVE_FORMAT_EXTENSIBLE (0xFFFE) with `format` as the sub-format GUID's first field. */
  extensible?: boolean;
  /** Leave out the data chunk: a header only. */
  noData?: boolean;
}

/** A little-endian RIFF WAV written field by field (the layout of the WAVE spec's fmt and data chunks). */
export function handWav(w: HandWav): Uint8Array {
  const channels = w.channels ?? 1;
  const sampleRate = w.sampleRate ?? 8000;
  const data = w.data ?? new Uint8Array(0);
  const blockAlign = Math.max(1, (channels * w.bits) / 8);
  const fmtSize = w.extensible ? 40 : 16;
  const size = 12 + 8 + fmtSize + (w.noData ? 0 : 8 + data.length);
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  const tag = (at: number, text: string) => {
    for (let i = 0; i < 4; i++) bytes[at + i] = text.charCodeAt(i);
  };
  tag(0, 'RIFF');
  view.setUint32(4, size - 8, true);
  tag(8, 'WAVE');
  tag(12, 'fmt ');
  view.setUint32(16, fmtSize, true);
  view.setUint16(20, w.extensible ? 0xfffe : w.format, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, w.bits, true);
  let at = 36;
  if (w.extensible) {
    view.setUint16(36, 22, true); // extension size
    view.setUint16(38, w.bits, true); // valid bits
    view.setUint32(40, channels === 1 ? 4 : 3, true); // channel mask: front centre, or front left + right
    // KSDATAFORMAT_SUBTYPE_*: {0000xxxx-0000-0010-8000-00AA00389B71}, the format code first.
    view.setUint32(44, w.format, true);
    bytes.set([0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71], 48);
    at = 60;
  }
  if (!w.noData) {
    tag(at, 'data');
    view.setUint32(at + 4, w.declared ?? data.length, true);
    bytes.set(data, at + 8);
  }
  return bytes;
}

/** `amplitude`·sin(2π·hz·t) for `count` samples at `sampleRate`. */
export function tone(hz: number, sampleRate: number, count: number, amplitude = 0.5): Float32Array {
  return Float32Array.from(
    { length: count },
    (_, i) => amplitude * Math.sin((2 * Math.PI * hz * i) / sampleRate),
  );
}

/** Write `files` (path → bytes) under their folders. */
export async function writeFiles(files: Record<string, Uint8Array>): Promise<void> {
  await Promise.all(
    Object.entries(files).map(async ([path, bytes]) => {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, bytes);
    }),
  );
}
