// Messages between the studio's job manager and its training child process (train-worker.ts), over Node IPC.
import type { EpochRecord } from '../../train/checkpoint.js';
import type { RunConfigInput } from '../../train/config.js';
import type { BatchProgress } from '../../train/trainer.js';
import type { GanField } from './gan-field.js';

export type WorkerCommand =
  | { type: 'train'; runDir: string; config: RunConfigInput }
  | { type: 'resume'; runDir: string; epochs?: number }
  /** Stop at the next batch boundary; the last complete epoch's checkpoint stays. */
  | { type: 'stop' };

export type WorkerEvent =
  | { type: 'started'; backend: string; epochs: number }
  | ({ type: 'batch' } & BatchProgress)
  | { type: 'epoch'; record: EpochRecord }
  /** A picture written this epoch, by file name under the run's images/. */
  | { type: 'image'; epoch: number; file: string }
  | { type: 'gan'; field: GanField }
  | { type: 'warning'; epoch: number; message: string }
  | { type: 'done'; epochs: number; aborted: boolean; test?: Record<string, number> }
  /** `code`: a LatentlabError's (`data`, `config`, ...), absent for any other error. */
  | { type: 'error'; message: string; field?: string; code?: string };
