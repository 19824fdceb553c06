// Shapes of the studio API's answers (src/server/studio/plugin.ts), as far as the views use them.

export interface RunConfigJson {
  model?: { kind?: string; latent?: number; [key: string]: unknown };
  data?: { source?: string; name?: string };
  train?: { epochs?: number; [key: string]: unknown };
  seed?: number;
}

export interface EpochRecord {
  epoch: number;
  learningRate: number;
  seconds: number;
  samplesPerSecond: number;
  train: Record<string, number>;
  validation: Record<string, number>;
  monitor?: Record<string, number>;
  warnings?: string[];
}

export type JobStatus = 'starting' | 'running' | 'stopping' | 'finished' | 'stopped' | 'failed';

export interface GanField {
  epoch: number;
  range: [number, number];
  resolution: number;
  surface?: number[];
  generated: number[];
  real: number[];
}

export interface JobState {
  run: string;
  status: JobStatus;
  backend?: string;
  epochs?: number;
  error?: string;
  field?: string;
  batchLoss?: [number, number][];
  gan?: GanField;
}

export interface RunListing {
  name: string;
  config?: RunConfigJson;
  summary?: { test?: Record<string, number> };
  epochsDone: number;
  model?: { kind: string };
  job?: JobState | null;
  detect?: boolean;
}

export interface RunDetails extends RunListing {
  history: EpochRecord[];
}
