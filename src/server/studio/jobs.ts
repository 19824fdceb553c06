// Training jobs started from the studio: each run trains in its own child process (train-worker.ts), its
// progress fanned out to subscribers (the server-sent event streams) and kept for late subscribers.
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DataSpec } from '../../data/spec.js';
import { parseModelConfig } from '../../models/registry.js';
import type { RunConfig, RunConfigInput } from '../../train/config.js';
import { parseRunConfig } from '../../train/run.js';
import { createUniqueDir, defaultRunName } from '../../train/run-dir.js';
import { HttpError } from '../errors.js';
import { DataRoots, mainFileField, readsFiles } from './data-roots.js';
import type { GanField } from './gan-field.js';
import type { WorkerCommand, WorkerEvent } from './protocol.js';

export type JobStatus = 'starting' | 'running' | 'stopping' | 'finished' | 'stopped' | 'failed';

/** What a subscriber receives: the worker's events, and the job's status whenever it changes. */
export type JobEvent = WorkerEvent | { type: 'status'; status: JobStatus; error?: string; field?: string };

export interface JobState {
  run: string;
  status: JobStatus;
  backend?: string;
  /** Epochs planned. */
  epochs?: number;
  error?: string;
  field?: string;
  /** Loss read back during training: x is the fractional epoch (epoch − 1 + batch / batches). */
  batchLoss: [number, number][];
  gan?: GanField;
}

interface Job {
  state: JobState;
  child: ChildProcess;
  listeners: Set<(event: JobEvent) => void>;
  /** The files the run's data is read from: its errors are shown without their reason (see shownError). */
  files: DataFile[];
}

/** Batch losses kept per job for late subscribers (the curve), oldest thinned first. */
const MAX_BATCH_POINTS = 4000;
/** After asking a worker to stop, how long before it is killed (its last checkpoint stays valid either way). */
const STOP_GRACE_MS = 20_000;

function workerEntry(): { path: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  // From the sources (tests, tsx) the worker is TypeScript and needs tsx's loader; from dist it is plain JS.
  return here.endsWith('.ts')
    ? { path: join(dirname(here), 'train-worker.ts'), execArgv: ['--import', 'tsx'] }
    : { path: join(dirname(here), 'train-worker.js'), execArgv: [] };
}

/** The data part of a default run name: the source, or `toy-NAME`. */
export function dataName(spec: DataSpec): string {
  return spec.source === 'toy' ? `toy-${spec.name}` : spec.source;
}

/** A file or folder a run's data is read from, and the config field naming it (`data.path`). */
export interface DataFile {
  file: string;
  source: string;
  field: string;
}

/** The main file of the run's data and of its extra training data, where these are read from files. */
function dataFiles(config: RunConfig): DataFile[] {
  const extra = config.train.extraData?.data;
  const specs = [
    { spec: config.data, prefix: 'data' },
    ...(extra ? [{ spec: extra, prefix: 'train.extraData.data' }] : []),
  ];
  return specs.flatMap(({ spec, prefix }) => {
    if (!readsFiles(spec)) return [];
    const key = mainFileField(spec);
    const file = (spec as Record<string, unknown>)[key] as string;
    return [{ file, source: spec.source, field: `${prefix}.${key}` }];
  });
}

/**
 * A failed job's error as the studio shows it. Data sources quote what they could not read (a header, a cell,
 * a parser's view of a line), so for data read from files a data error (or one of unknown origin) keeps
 * where it happened and drops why: the runs list must never carry a file's contents.
 */
export function shownError(
  files: readonly DataFile[],
  error: { message: string; field?: string; code?: string },
): { message: string; field?: string } {
  if (files.length === 0 || (error.code !== undefined && error.code !== 'data'))
    return { message: error.message, field: error.field };
  // A data error's path is the file (and line) it is about: a file name, not its contents.
  const at = error.field;
  const data = files.find((f) => at?.startsWith(f.file)) ?? files[0];
  const where = !at || at.startsWith(data.file) ? (at ?? data.file) : `${data.file} (at ${at})`;
  return {
    message:
      `cannot use ${where} as ${data.source} data; the reason is not shown in the studio, as it may quote ` +
      'the file: latentlab train with the same config shows it',
    field: data.field,
  };
}

export interface JobsOptions {
  runsDir: string;
  /** A run name → its directory, refusing anything outside the runs directory. */
  resolve: (name: string) => string;
  /** Training processes allowed at once (each takes a core or more). */
  maxRunning?: number;
  /** Where runs may read data files; none: built-in data only. */
  dataRoots?: DataRoots;
}

export class TrainingJobs {
  private readonly jobs = new Map<string, Job>();

  constructor(private readonly options: JobsOptions) {}

  /**
   * Validate a run config (400 naming the field), confine its data to the data roots (403 naming the field),
   * pick a fresh run name, and start training it.
   */
  async start(raw: unknown): Promise<JobState> {
    const parsed = parseRunConfig(raw, 'config');
    const { config: model } = parseModelConfig(parsed.model, 'config.model');
    const config = await this.confined(parsed, 'config.');
    // The directory is created here, so two runs started at once never pick one name.
    const runDir = await createUniqueDir(
      join(this.options.runsDir, defaultRunName(config.model.kind, dataName(config.data))),
    );
    const name = basename(runDir);
    return this.launch(
      name,
      { type: 'train', runDir, config: { ...config, model } as RunConfigInput },
      config,
    );
  }

  /**
   * Continue a stopped (or killed) run from its checkpoint; `epochs` may extend a finished one. A run made
   * outside the studio on data outside its data roots is refused (403 naming the field of its config.json).
   */
  async resume(name: string, epochs?: number): Promise<JobState> {
    const runDir = this.options.resolve(name);
    const configFile = join(runDir, 'config.json');
    if (!existsSync(configFile))
      throw new HttpError(404, `run "${name}" has no config.json: not a run directory`, 'run');
    let config: RunConfig | undefined;
    try {
      config = parseRunConfig(JSON.parse(await readFile(configFile, 'utf8')));
    } catch {
      // The worker reports a broken config.json before it reads any data.
    }
    if (config) await this.confined(config, '');
    return this.launch(name, { type: 'resume', runDir, epochs }, config);
  }

  /** `config` with every data file it reads confined to the data roots (real paths). */
  private async confined(config: RunConfig, prefix: string): Promise<RunConfig> {
    const roots = this.options.dataRoots ?? (await DataRoots.open());
    const data = await roots.confine(config.data, `${prefix}data`);
    const extra = config.train.extraData;
    if (!extra) return { ...config, data };
    const extraData = { ...extra, data: await roots.confine(extra.data, `${prefix}train.extraData.data`) };
    return { ...config, data, train: { ...config.train, extraData } };
  }

  stop(name: string): JobState {
    const job = this.jobs.get(name);
    if (!job || !this.isActive(job.state.status))
      throw new HttpError(409, `run "${name}" is not training`, 'run');
    this.setStatus(job, 'stopping');
    job.child.send({ type: 'stop' } satisfies WorkerCommand);
    const timer = setTimeout(() => job.child.kill('SIGKILL'), STOP_GRACE_MS);
    job.child.once('exit', () => clearTimeout(timer));
    return job.state;
  }

  get(name: string): JobState | undefined {
    return this.jobs.get(name)?.state;
  }

  list(): JobState[] {
    return [...this.jobs.values()].map((job) => job.state);
  }

  /** Receive a job's events from now on; returns the unsubscribe function. */
  subscribe(name: string, listener: (event: JobEvent) => void): () => void {
    const job = this.jobs.get(name);
    if (!job) return () => {};
    job.listeners.add(listener);
    return () => job.listeners.delete(listener);
  }

  /** Stop every job (server shutdown) and wait for the children to exit. */
  async close(): Promise<void> {
    const active = [...this.jobs.values()].filter((job) => job.child.exitCode === null);
    await Promise.all(
      active.map(
        (job) =>
          new Promise<void>((resolve) => {
            job.child.once('exit', () => resolve());
            if (job.child.connected) job.child.send({ type: 'stop' } satisfies WorkerCommand);
            setTimeout(() => job.child.kill('SIGKILL'), STOP_GRACE_MS).unref();
          }),
      ),
    );
  }

  private isActive(status: JobStatus): boolean {
    return status === 'starting' || status === 'running' || status === 'stopping';
  }

  private launch(
    name: string,
    command: Exclude<WorkerCommand, { type: 'stop' }>,
    config: RunConfig | undefined,
  ): JobState {
    const previous = this.jobs.get(name);
    if (previous && this.isActive(previous.state.status))
      throw new HttpError(409, `run "${name}" is already training`, 'run');
    const running = [...this.jobs.values()].filter((job) => this.isActive(job.state.status)).length;
    const max = this.options.maxRunning ?? 2;
    if (running >= max)
      throw new HttpError(
        409,
        `${running} runs are training already (at most ${max} at once): stop one first`,
      );
    const entry = workerEntry();
    const child = fork(entry.path, [], {
      execArgv: entry.execArgv,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    const job: Job = {
      state: { run: name, status: 'starting', batchLoss: [] },
      child,
      // Subscribers of an earlier job on the same run (a page left open) follow the new one.
      listeners: previous?.listeners ?? new Set(),
      files: config ? dataFiles(config) : [],
    };
    this.jobs.set(name, job);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.on('message', (event: WorkerEvent) => this.onEvent(job, event));
    child.on('exit', (code, signal) => {
      const { status } = job.state;
      if (status === 'finished' || status === 'stopped' || status === 'failed') return;
      if (status === 'stopping') this.setStatus(job, 'stopped');
      else {
        // What a crash printed may quote the data: shown only for built-in data.
        const last = job.files.length > 0 ? undefined : stderr.trim().split('\n').pop();
        job.state.error = `training process exited (${signal ?? `code ${code}`})${last ? `: ${last}` : ''}`;
        this.setStatus(job, 'failed');
      }
    });
    child.send(command);
    this.emit(job, { type: 'status', status: 'starting' });
    return job.state;
  }

  private onEvent(job: Job, event: WorkerEvent): void {
    const { state } = job;
    switch (event.type) {
      case 'started':
        state.backend = event.backend;
        state.epochs = event.epochs;
        if (state.status === 'starting') this.setStatus(job, 'running');
        break;
      case 'batch':
        // The trainer reads the loss back every 250 ms and repeats it in between: keep each reading once.
        if (event.loss !== undefined && event.loss !== state.batchLoss.at(-1)?.[1]) {
          state.batchLoss.push([event.epoch - 1 + event.batch / event.batches, event.loss]);
          if (state.batchLoss.length > MAX_BATCH_POINTS)
            state.batchLoss = state.batchLoss.filter((_, i) => i % 2 === 0);
        }
        break;
      case 'gan':
        state.gan = event.field;
        break;
      case 'done':
        this.emit(job, event);
        this.setStatus(job, event.aborted ? 'stopped' : 'finished');
        return;
      case 'error': {
        const shown = shownError(job.files, event);
        state.error = shown.message;
        state.field = shown.field;
        this.emit(job, { type: 'error', ...shown });
        this.setStatus(job, 'failed');
        return;
      }
    }
    this.emit(job, event);
  }

  private setStatus(job: Job, status: JobStatus): void {
    job.state.status = status;
    this.emit(job, { type: 'status', status, error: job.state.error, field: job.state.field });
  }

  private emit(job: Job, event: JobEvent): void {
    for (const listener of job.listeners) listener(event);
  }
}
