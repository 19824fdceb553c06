// The studio's training child process: one run (new or resumed) through the library's trainRun/resumeRun,
// progress sent to the parent over IPC. A crash or kill here leaves the server alone and the checkpoint valid.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { describeBackend, selectBackend } from '../../engine/backend.js';
import { LatentlabError } from '../../errors.js';
import { parseRunConfig, type RunResult, resumeRun, trainRun } from '../../train/run.js';
import { runPaths } from '../../train/run-dir.js';
import type { TrainCallbacks } from '../../train/trainer.js';
import { ganFieldSource } from './gan-field.js';
import type { WorkerCommand, WorkerEvent } from './protocol.js';

type RunCommand = Exclude<WorkerCommand, { type: 'stop' }>;

const send = (event: WorkerEvent) =>
  new Promise<void>((resolve) => (process.send ? process.send(event, () => resolve()) : resolve()));

const abort = new AbortController();

async function run(command: RunCommand): Promise<RunResult> {
  const backend = describeBackend(await selectBackend({ log: () => {} }));
  const raw =
    command.type === 'train'
      ? command.config
      : JSON.parse(await readFile(runPaths(command.runDir).config, 'utf8'));
  const gan = await ganFieldSource(command.runDir, parseRunConfig(raw)).catch(() => undefined);
  // GAN fields are read from the checkpoint each epoch has just written; reads are chained, never overlapping.
  let pending = Promise.resolve();
  let started = false;
  const callbacks: TrainCallbacks = {
    onEpochStart(_epoch, epochs) {
      if (!started) void send({ type: 'started', backend, epochs });
      started = true;
    },
    onBatch(progress) {
      void send({ type: 'batch', ...progress });
    },
    onEpochEnd(record) {
      void send({ type: 'epoch', record });
      if (!gan) return;
      pending = pending.then(async () => {
        const field = await gan.read();
        if (field) await send({ type: 'gan', field });
      });
    },
    onPreview(path, epoch) {
      void send({ type: 'image', epoch, file: basename(path) });
    },
    onWarning(message, epoch) {
      void send({ type: 'warning', epoch, message });
    },
  };
  const options = { callbacks, signal: abort.signal, environment: { backend, startedBy: 'studio' } };
  const result =
    command.type === 'train'
      ? await trainRun(command.config, command.runDir, options)
      : await resumeRun(command.runDir, { ...options, epochs: command.epochs });
  await pending;
  return result;
}

process.on('message', (command: WorkerCommand) => {
  if (command.type === 'stop') {
    abort.abort();
    return;
  }
  run(command)
    .then(async (result) => {
      await send({ type: 'done', epochs: result.epochs, aborted: result.aborted, test: result.test });
      result.model.dispose();
      process.exit(0);
    })
    .catch(async (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      const known = error instanceof LatentlabError;
      await send({
        type: 'error',
        message,
        field: known ? error.path : undefined,
        code: known ? error.code : undefined,
      });
      process.exit(1);
    });
});
// Orphaned (the server went away): stop at the next batch boundary, keeping the checkpoint.
process.on('disconnect', () => abort.abort());
