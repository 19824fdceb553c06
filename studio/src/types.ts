// Shapes of the studio API's answers (src/server/studio/plugin.ts), as far as the views use them.

export interface RunConfigJson {
  model?: { kind?: string; latent?: number; [key: string]: unknown };
  data?: { source?: string; name?: string };
  train?: { epochs?: number; [key: string]: unknown };
  seed?: number;
}

// The server's own shapes, shared by type only (erased from the bundle).
import type { JobState } from '../../src/server/studio/jobs.js';
import type { EpochRecord } from '../../src/train/checkpoint.js';

export type { LatentMap, TraversalAsk } from '../../src/server/studio/explorer.js';
export type { GanField } from '../../src/server/studio/gan-field.js';
export type { JobState, JobStatus } from '../../src/server/studio/jobs.js';
export type { SweepDetails, SweepListing } from '../../src/server/studio/sweeps.js';
export type { EpochRecord };

/** A text run's vocabulary, as the server lists it. */
export interface TextInfo {
  tokenizer: 'char' | 'word';
  lowercase: boolean;
  vocabularySize: number;
  maxLength: number;
}

/** An audio run's features (the model's manifest): how clips become its samples and back. */
export interface AudioInfo {
  sampleRate: number;
  samples: number;
  representation: 'mel' | 'waveform';
  nFft: number;
  hop: number;
  mels: number;
}

export interface RunListing {
  name: string;
  config?: RunConfigJson;
  summary?: { test?: Record<string, number> };
  epochsDone: number;
  model?: { kind: string; audio?: AudioInfo };
  job?: JobState | null;
  detect?: boolean;
  text?: TextInfo;
}

export interface RunDetails extends RunListing {
  history: EpochRecord[];
}
