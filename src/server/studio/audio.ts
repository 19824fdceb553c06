// The audio view's originals: recordings of an audio run's test split, as the model hears them (its rate and clip
// length), each as a WAV file and its spectrogram. The view sends them to /v1 reconstruct to hear them back.
import { clipFeatures, specFieldsOf } from '../../data/audio/features.js';
import { encodeWav } from '../../data/audio/wav.js';
import type { Dataset } from '../../data/dataset.js';
import { loadAudioData } from '../../data/load.js';
import { DataSpec, isAudioSpec } from '../../data/spec.js';
import { spectrogramOf, spectrogramPng } from '../../io/audio-files.js';
import { audioOf } from '../audio.js';
import { HttpError } from '../errors.js';
import type { CachedModel } from '../model-cache.js';

export interface AudioOriginal {
  /** The recording's id (its file name). */
  id: string;
  /** Its class, when the data has labels. */
  label?: number;
  className?: string;
  /** The clip as a 16-bit WAV file, base64. */
  wav: string;
  /** Its log-mel spectrogram as a PNG data URL. */
  spectrogram: string;
}

const MEMO_KEY = 'studio.audioTest';

/** The run's test clips as waveforms (kept with the model, so a page reload reads no files). */
async function testWaves(cached: CachedModel): Promise<Dataset> {
  const hit = cached.memo.get(MEMO_KEY) as Dataset | undefined;
  if (hit) return hit;
  const audio = audioOf(cached, 'run');
  const spec = DataSpec.safeParse(cached.manifest.data);
  if (!spec.success || !isAudioSpec(spec.data))
    throw new HttpError(400, "the run's manifest does not name the audio it was trained on", 'run');
  // Read with the model's own features, split as in training (its seed).
  const { waves } = await loadAudioData(
    { ...spec.data, ...specFieldsOf(audio) },
    { seed: cached.manifest.context.seed },
  );
  cached.memo.set(MEMO_KEY, waves.test);
  return waves.test;
}

/** Up to `n` test recordings, one per class in class order first (so a page shows different digits). */
function pick(test: Dataset, n: number): number[] {
  const labels = test.labels;
  if (!labels) return Array.from({ length: Math.min(n, test.size) }, (_, i) => i);
  const chosen: number[] = [];
  const seen = new Set<number>();
  const order = Array.from({ length: test.size }, (_, i) => i).sort((a, b) => labels[a] - labels[b] || a - b);
  for (const i of order)
    if (chosen.length < n && !seen.has(labels[i])) {
      seen.add(labels[i]);
      chosen.push(i);
    }
  for (const i of order) if (chosen.length < n && !chosen.includes(i)) chosen.push(i);
  return chosen;
}

export async function audioOriginals(cached: CachedModel, n: number): Promise<{ clips: AudioOriginal[] }> {
  const audio = audioOf(cached, 'run');
  const test = await testWaves(cached);
  const clips = pick(test, n).map((i) => {
    const wave = test.x.subarray(i * audio.samples, (i + 1) * audio.samples);
    const label = test.labels?.[i];
    const png = spectrogramPng(spectrogramOf(clipFeatures(wave, audio), audio, wave), audio, 2);
    return {
      // Random splits do not keep file names (data/dataset.ts splitData): then its place in the test split.
      id: test.ids?.[i] ?? `test #${i}`,
      ...(label !== undefined ? { label, className: test.classNames?.[label] ?? String(label) } : {}),
      wav: Buffer.from(encodeWav(wave, audio.sampleRate)).toString('base64'),
      spectrogram: `data:image/png;base64,${png.toString('base64')}`,
    };
  });
  return { clips };
}
