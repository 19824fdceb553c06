// Audio results as files people open: each clip as a WAV and its log-mel spectrogram as a PNG beside it, and
// spectrograms of many clips as one grid, drawn with the inferno map so quiet and loud read apart at a glance.
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  type AudioFeatures,
  clipFromFeatures,
  type GriffinLimOptions,
  melSpectrogram,
} from '../data/audio/features.js';
import { encodeWav } from '../data/audio/wav.js';
import { writeFileAtomic } from './atomic.js';
import { heatMapRgb } from './plot.js';
import { encodeImage, encodeImageGrid } from './png.js';

/** The spectrogram (image in [0, 1], [mels, frames]) of a clip, whatever the model's representation. */
export function spectrogramOf(
  sample: Float32Array,
  features: AudioFeatures,
  wave?: Float32Array,
): Float32Array {
  if (features.representation === 'mel') return sample;
  return melSpectrogram(wave ?? sample, { ...features, representation: 'mel' });
}

const melShape = (f: AudioFeatures) => [f.mels, Math.floor(f.samples / f.hop)];

/** One spectrogram image as a colour PNG, each cell `scale` pixels wide and high. */
export function spectrogramPng(spectrogram: Float32Array, features: AudioFeatures, scale = 4): Buffer {
  const [h, w] = melShape(features);
  const rgb = heatMapRgb(spectrogram, 1);
  if (scale === 1) return encodeImage(rgb, [h, w, 3]);
  return encodeImageGrid(rgb, [h, w, 3], { rows: 1, cols: 1, padding: 0, scale });
}

/** Spectrograms of many clips in a grid (rows × cols), colour, each cell `scale` pixels. */
export function spectrogramGrid(
  spectrograms: readonly Float32Array[],
  features: AudioFeatures,
  { cols = Math.min(8, spectrograms.length), scale = 2 }: { cols?: number; scale?: number } = {},
): Buffer {
  const [h, w] = melShape(features);
  const rgb = new Float32Array(spectrograms.length * h * w * 3);
  spectrograms.forEach((s, i) => {
    rgb.set(heatMapRgb(s, 1), i * h * w * 3);
  });
  const rows = Math.ceil(spectrograms.length / cols);
  return encodeImageGrid(rgb, [h, w, 3], { rows, cols, padding: 2, scale });
}

export interface WrittenClip {
  wav: string;
  png: string;
  /** The spectrogram drawn in the PNG (for a waveform, that of the clip as written, clamped to [-1, 1]). */
  spectrogram: Float32Array;
}

/**
 * Model samples (features in the model's representation) as `prefix-000.wav` and `prefix-000.png` in `dir`
 * (spectrograms resynthesised by Griffin-Lim), each written atomically; returns the paths and the spectrograms
 * drawn, in order.
 */
export async function writeClips(
  dir: string,
  prefix: string,
  samples: readonly Float32Array[],
  features: AudioFeatures,
  options: GriffinLimOptions = {},
): Promise<WrittenClip[]> {
  const written: WrittenClip[] = [];
  for (let i = 0; i < samples.length; i++) {
    const wave = clipFromFeatures(samples[i], features, { ...options, seed: (options.seed ?? 0) + i });
    const name = `${prefix}-${String(i).padStart(3, '0')}`;
    const wav = join(dir, `${name}.wav`);
    const png = join(dir, `${name}.png`);
    const spectrogram = spectrogramOf(samples[i], features, wave);
    await writeFileAtomic(wav, encodeWav(wave, features.sampleRate));
    await writeFileAtomic(png, spectrogramPng(spectrogram, features));
    written.push({ wav, png, spectrogram });
  }
  return written;
}

/** Samples of one kind (originals, reconstructions, steps of a path) under one file-name prefix. */
export interface ClipGroup {
  prefix: string;
  samples: readonly Float32Array[];
}

/**
 * Audio results where an image command writes a grid: the grid PNG at `gridPath` holds every group's
 * spectrograms (one group a row-block), and a folder beside it (the path without `.png`) holds each clip as a
 * WAV with its spectrogram PNG. Returns the folder.
 */
export async function writeAudioOutputs(
  gridPath: string,
  groups: readonly ClipGroup[],
  features: AudioFeatures,
  { cols, seed = 0 }: { cols?: number; seed?: number } = {},
): Promise<string> {
  const dir = gridPath.replace(/\.png$/i, '');
  await mkdir(dir, { recursive: true });
  const spectrograms: Float32Array[] = [];
  for (const group of groups) {
    const written = await writeClips(dir, group.prefix, group.samples, features, { seed });
    spectrograms.push(...written.map((clip) => clip.spectrogram));
  }
  const width = cols ?? Math.max(...groups.map((g) => g.samples.length));
  await mkdir(dirname(gridPath), { recursive: true });
  await writeFileAtomic(gridPath, spectrogramGrid(spectrograms, features, { cols: width }));
  return dir;
}

/** Rows [n, per] of a flat array, as views. */
export function rowsOf(flat: Float32Array, n: number): Float32Array[] {
  const per = flat.length / n;
  return Array.from({ length: n }, (_, i) => flat.subarray(i * per, (i + 1) * per));
}
