// Recordings → clips of one length at one rate → features: `audio:DIR` (a folder of WAV files, labels from
// subfolders or a file-name pattern) and the built-in `fsdd` (the Free Spoken Digit Dataset, its own test split).
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import type { z } from 'zod';
import { ConfigError, DataError } from '../../errors.js';
import type { RawData } from '../dataset.js';
import { readFileNamed } from '../sources/files.js';
import { type AudioDataSpec, formatDataSpec } from '../spec.js';
import { AudioFeatures, clipFeatures, featureShape } from './features.js';
import { FSDD_SPEAKERS, findFsdd, fsddRecordings, howToGetFsdd } from './fsdd.js';
import { resample, resampledLength } from './resample.js';
import { readWav } from './wav.js';

/** The FFT size nearest 32 ms at `sampleRate` (a power of two): 256 at 8 kHz, 512 at 16 kHz. */
export function defaultFftSize(sampleRate: number): number {
  return 2 ** Math.round(Math.log2(0.032 * sampleRate));
}

/** The features a spec asks for, every default filled in and checked (errors name the spec's field). */
export function audioFeatures(spec: AudioDataSpec): AudioFeatures {
  const sampleRate = spec.sampleRate ?? (spec.source === 'fsdd' ? 8000 : 16_000);
  const nFft = spec.nFft ?? defaultFftSize(sampleRate);
  const parsed = AudioFeatures.safeParse({
    sampleRate,
    samples: Math.round(spec.duration * sampleRate),
    representation: spec.representation,
    nFft,
    hop: spec.hop ?? nFft / 2,
    mels: spec.mels,
    fMin: spec.fMin,
    fMax: spec.fMax ?? sampleRate / 2,
    minDb: spec.minDb,
    maxDb: spec.maxDb,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.join('.');
    // The clip's length in samples is the duration's doing: say it in both units.
    if (field === 'samples') {
      const samples = Math.round(spec.duration * sampleRate);
      throw new ConfigError(
        `audio features: duration: ${spec.duration} s at ${sampleRate} Hz is ${samples} samples per clip: ${issue.message}`,
        { path: 'data.duration' },
      );
    }
    throw new ConfigError(`audio features: ${field}: ${issue.message}`, { path: `data.${field}` });
  }
  return parsed.data;
}

/** What loading did to the recordings, reported to the user. */
export interface AudioLoadReport {
  files: number;
  /** Longer than the clip: only their first `duration` seconds were kept. */
  cut: number;
  /** Shorter than the clip: padded with silence at the end. */
  padded: number;
  /** Holding samples at full scale (the recording was clipped when it was made). */
  clipped: number;
  /** At another rate, resampled. */
  resampled: number;
  /** Recordings silent in their clip (peak at most -72 dB re full scale), left out (nothing to learn): their ids. */
  silent: string[];
}

export function describeAudioReport(report: AudioLoadReport, features: AudioFeatures): string {
  const seconds = features.samples / features.sampleRate;
  const parts = [
    `${report.files} recordings as ${seconds} s clips at ${features.sampleRate} Hz`,
    `${report.cut} cut to ${seconds} s (first ${seconds} s kept)`,
    `${report.padded} padded with silence at the end`,
    `${report.clipped} with clipped samples (at full scale)`,
  ];
  if (report.resampled > 0) parts.push(`${report.resampled} resampled to ${features.sampleRate} Hz`);
  if (report.silent.length > 0)
    parts.push(
      `${report.silent.length} silent in the kept ${seconds} s, left out (${report.silent.slice(0, 3).join(', ')}${report.silent.length > 3 ? ', …' : ''})`,
    );
  return parts.join('; ');
}

/** One recording read, mixed to mono, resampled and cut or padded to `features.samples`. */
export interface Clip {
  wave: Float32Array;
  cut: boolean;
  padded: boolean;
  clipped: boolean;
  resampled: boolean;
  silent: boolean;
}

/** Digital silence: A-law has no zero, its quietest code reads ±8/32768 (-72 dB re full scale). */
const SILENT_PEAK = 8 / 32768;

/** A WAV file's bytes as one clip of the features' length and rate; `file` names it in errors. */
export async function clipFromWav(bytes: Uint8Array, features: AudioFeatures, file: string): Promise<Clip> {
  const audio = readWav(bytes, file);
  const length = resampledLength(audio.samples.length, audio.sampleRate, features.sampleRate);
  // Only the clip's start is kept, so only it is converted, with 0.1 s more for the converter's filter to see
  // past the clip's end: a recording of minutes costs what a clip does.
  const needed = Math.ceil(
    (features.samples * audio.sampleRate) / features.sampleRate + audio.sampleRate / 10,
  );
  const start = audio.samples.subarray(0, Math.min(audio.samples.length, needed));
  const wave = await resample(start, audio.sampleRate, features.sampleRate);
  const clip = new Float32Array(features.samples);
  clip.set(wave.subarray(0, features.samples));
  // Judged on what the model would see: a recording whose first `duration` seconds are silent is left out too.
  let peak = 0;
  for (let i = 0; i < clip.length; i++) peak = Math.max(peak, Math.abs(clip[i]));
  return {
    wave: clip,
    cut: length > features.samples,
    padded: length < features.samples,
    clipped: audio.clippedSamples > 0,
    resampled: audio.sampleRate !== features.sampleRate,
    silent: peak <= SILENT_PEAK,
  };
}

/** Recordings found for a source: path, the id users see, and a label index when there are labels. */
export interface Recording {
  path: string;
  id: string;
  label?: number;
  test?: boolean;
}

/** Clips of a source, with the load report: what the feature loader and the apps that need waveforms share. */
export interface AudioClips {
  name: string;
  features: AudioFeatures;
  waves: Float32Array[];
  labels?: Int32Array;
  classNames?: string[];
  ids: string[];
  /** Per clip: part of the source's own test split (FSDD's recordings 0-4). */
  test?: boolean[];
  report: AudioLoadReport;
}

const WAV = /\.wave?$/i;

async function listDir(dir: string): Promise<Dirent[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new DataError(
      `${missing ? 'folder not found' : `cannot read folder: ${(error as Error).message}`}: expected a folder of WAV files or of class subfolders`,
      { path: dir, cause: error },
    );
  }
}

/** Class names sorted as numbers when they all are (0, 1, ..., 10), else as text. */
function sortClassNames(names: Iterable<string>): string[] {
  const list = [...new Set(names)];
  const numeric = list.every((n) => /^-?\d+(\.\d+)?$/.test(n));
  return list.sort((a, b) => (numeric ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0));
}

/** `audio:DIR`: WAV files at the top, or one subfolder per class; with a pattern, labels from file names. */
export async function folderRecordings(spec: Extract<AudioDataSpec, { source: 'audio' }>): Promise<{
  recordings: Recording[];
  classNames?: string[];
}> {
  const entries = await listDir(spec.dir);
  const files: { path: string; folder?: string }[] = [];
  for (const entry of entries) {
    if (entry.isFile() && WAV.test(entry.name)) files.push({ path: join(spec.dir, entry.name) });
    else if (entry.isDirectory()) {
      for (const inner of await listDir(join(spec.dir, entry.name))) {
        if (inner.isFile() && WAV.test(inner.name))
          files.push({ path: join(spec.dir, entry.name, inner.name), folder: entry.name });
      }
    }
  }
  if (files.length === 0)
    throw new DataError('no audio: expected .wav files here or in class subfolders', { path: spec.dir });
  const id = (path: string) => relative(spec.dir, path).split(sep).join('/');
  if (spec.labelPattern) {
    let pattern: RegExp;
    try {
      pattern = new RegExp(spec.labelPattern);
    } catch (error) {
      throw new ConfigError(`not a regular expression: ${(error as Error).message}`, {
        path: 'data.labelPattern',
        cause: error,
      });
    }
    const found = files.map((f) => {
      const match = pattern.exec(basename(f.path));
      if (!match || match[1] === undefined)
        throw new DataError(
          `file name does not match the label pattern ${spec.labelPattern} (expected a match with a first group, the label)`,
          { path: f.path },
        );
      return match[1];
    });
    const classNames = sortClassNames(found);
    return {
      recordings: files.map((f, i) => ({
        path: f.path,
        id: id(f.path),
        label: classNames.indexOf(found[i]),
      })),
      classNames,
    };
  }
  const top = files.filter((f) => f.folder === undefined);
  const nested = files.filter((f) => f.folder !== undefined);
  if (top.length > 0 && nested.length > 0)
    throw new DataError(
      `holds WAV files both at the top (${basename(top[0].path)}) and in subfolders (${id(nested[0].path)}): expected one or the other (subfolders are classes)`,
      { path: spec.dir },
    );
  if (nested.length === 0) return { recordings: files.map((f) => ({ path: f.path, id: id(f.path) })) };
  const classNames = sortClassNames(nested.map((f) => f.folder as string));
  return {
    recordings: nested.map((f) => ({
      path: f.path,
      id: id(f.path),
      label: classNames.indexOf(f.folder as string),
    })),
    classNames,
  };
}

/** `fsdd`: the mirror or cache (downloaded when missing), its own test split, digits or speakers as labels. */
async function fsddList(spec: Extract<AudioDataSpec, { source: 'fsdd' }>): Promise<{
  recordings: Recording[];
  classNames: string[];
}> {
  const dir = await findFsdd({ download: true });
  if (!dir)
    throw new DataError(`the Free Spoken Digit Dataset was not found: ${howToGetFsdd()}`, { path: 'fsdd' });
  const list = await fsddRecordings(dir);
  const speakers: string[] = FSDD_SPEAKERS.map((s) => s.name);
  const classNames = spec.labels === 'speaker' ? speakers : Array.from({ length: 10 }, (_, d) => String(d));
  return {
    recordings: list.map((r) => {
      const label = spec.labels === 'speaker' ? speakers.indexOf(r.speaker) : r.digit;
      if (label < 0)
        throw new DataError(`speaker "${r.speaker}" is not one of FSDD's (${speakers.join(', ')})`, {
          path: r.path,
        });
      return { path: r.path, id: r.file, label, test: r.split === 'test' };
    }),
    classNames,
  };
}

/** Every recording of a source as a clip, in file order, with the load report. */
export async function loadAudioClips(spec: AudioDataSpec): Promise<AudioClips> {
  const features = audioFeatures(spec);
  const { recordings, classNames } =
    spec.source === 'fsdd' ? await fsddList(spec) : await folderRecordings(spec);
  const report: AudioLoadReport = { files: 0, cut: 0, padded: 0, clipped: 0, resampled: 0, silent: [] };
  const kept: { recording: Recording; wave: Float32Array }[] = [];
  for (const recording of recordings) {
    const clip = await clipFromWav(await readFileNamed(recording.path), features, recording.path);
    if (clip.silent) {
      report.silent.push(recording.id);
      continue;
    }
    report.files++;
    if (clip.cut) report.cut++;
    if (clip.padded) report.padded++;
    if (clip.clipped) report.clipped++;
    if (clip.resampled) report.resampled++;
    kept.push({ recording, wave: clip.wave });
  }
  const where = formatDataSpec(spec);
  if (kept.length === 0)
    throw new DataError(
      `every recording is silent in its first ${features.samples / features.sampleRate} s (${report.silent.length} files): nothing to learn`,
      {
        path: where,
      },
    );
  const labelled = kept[0].recording.label !== undefined;
  return {
    name: spec.source === 'fsdd' ? 'fsdd' : basename(spec.dir),
    features,
    waves: kept.map((k) => k.wave),
    labels: labelled ? Int32Array.from(kept, (k) => k.recording.label as number) : undefined,
    classNames: labelled ? classNames : undefined,
    ids: kept.map((k) => k.recording.id),
    test: spec.source === 'fsdd' ? kept.map((k) => k.recording.test === true) : undefined,
    report,
  };
}

/** Rows of `values` (one Float32Array each) as one flat array. */
function stack(rows: readonly Float32Array[], width: number): Float32Array {
  const out = new Float32Array(rows.length * width);
  rows.forEach((row, i) => {
    out.set(row, i * width);
  });
  return out;
}

/**
 * Clips as raw data, either as features (what the model sees) or as waveforms [samples, 1] (what the apps
 * that score audio need), with the source's own test part where it has one.
 */
export function clipsAsRaw(clips: AudioClips, as: 'features' | 'waves'): RawData & { notes: string[] } {
  const f = clips.features;
  const rows = as === 'waves' ? clips.waves : clips.waves.map((w) => clipFeatures(w, f));
  const shape = as === 'waves' ? [f.samples, 1] : featureShape(f);
  const width = shape.reduce((a, b) => a * b, 1);
  const pick = (inTest: boolean) => {
    const index = clips.waves.map((_, i) => i).filter((i) => (clips.test?.[i] ?? false) === inTest);
    return {
      x: stack(
        index.map((i) => rows[i]),
        width,
      ),
      labels: clips.labels ? Int32Array.from(index, (i) => (clips.labels as Int32Array)[i]) : undefined,
      ids: index.map((i) => clips.ids[i]),
    };
  };
  return {
    name: clips.name,
    sampleShape: shape,
    classNames: clips.classNames,
    train: pick(false),
    test: clips.test ? pick(true) : undefined,
    notes: [describeAudioReport(clips.report, f)],
  };
}

/** The checked features saved with a model, for errors that name the manifest. */
export function savedAudioFeatures(value: unknown, where: string): AudioFeatures {
  const parsed = AudioFeatures.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DataError(`audio features: ${issue.path.join('.')}: ${issue.message}`, { path: where });
  }
  return parsed.data;
}

export const AudioFeaturesSchema: z.ZodType<AudioFeatures> = AudioFeatures;
