// Sweeps across machines: the sweep's trials are jobs on a BullMQ queue in Redis, and `latentlab worker`
// processes on any number of machines sharing the runs directory take them one at a time. Faults are BullMQ's:
// a worker that dies stops renewing its job's lock, another worker's stalled-job check puts the job back, and
// the next worker resumes the trial from its last checkpoint (runTrial); a trial that throws is retried
// `attempts` times, then reported failed; workers and the waiting sweep reconnect when Redis comes back.
import { type Job, Queue, Worker } from 'bullmq';
import type { RunOptions } from '../../train/run.js';
import type { SweepSpec, Trial } from './spec.js';
import { runTrial } from './trials.js';

/** One queue for every sweep: a worker takes trials of whatever sweep is running. */
export const TRIAL_QUEUE = 'latentlab-trials';

interface TrialJobData {
  spec: SweepSpec;
  trial: Trial;
}

const connection = (url: string) => ({
  url,
  // Workers block on Redis; ioredis must not give up on a command while Redis restarts.
  maxRetriesPerRequest: null,
  retryStrategy: (times: number) => Math.min(200 * times, 2000),
});

/** The job of `trial`: one per trial and sweep, so queuing a sweep twice adds nothing. */
export const trialJobId = (spec: Pick<SweepSpec, 'name'>, trial: Pick<Trial, 'id'>) =>
  `sweep-${spec.name}-${trial.id}`;

export interface QueuedSweepProgress {
  done: number;
  failed: number;
  running: number;
  waiting: number;
  of: number;
}

/**
 * Queue every trial of the sweep (trials already done stay done; failed ones are queued again) and wait until
 * each has completed or failed; `onProgress` hears each change. Returns the failures: trial id → reason.
 */
export async function runQueuedSweep(
  redisUrl: string,
  spec: SweepSpec,
  trials: Trial[],
  options: { onProgress?: (progress: QueuedSweepProgress) => void; pollMs?: number } = {},
): Promise<Map<string, string>> {
  const queue = new Queue<TrialJobData>(TRIAL_QUEUE, { connection: connection(redisUrl) });
  // While Redis is away the connection reports errors; ioredis reconnects and the poll below asks again.
  queue.on('error', () => {});
  try {
    for (const trial of trials) {
      const existing = await queue.getJob(trialJobId(spec, trial));
      if (existing && (await existing.getState()) === 'failed') await existing.remove();
    }
    await queue.addBulk(
      trials.map((trial) => ({
        name: 'trial',
        data: { spec, trial },
        opts: {
          jobId: trialJobId(spec, trial),
          attempts: spec.attempts,
          backoff: { type: 'fixed', delay: 1000 },
          removeOnComplete: false,
          removeOnFail: false,
        },
      })),
    );
    let last = '';
    for (;;) {
      let states: string[];
      try {
        states = await Promise.all(
          trials.map(async (trial) => (await queue.getJob(trialJobId(spec, trial)))?.getState() ?? 'missing'),
        );
      } catch {
        // Redis is away (restarting): ask again on the next tick.
        await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
        continue;
      }
      const count = (...names: string[]) => states.filter((state) => names.includes(state)).length;
      const progress: QueuedSweepProgress = {
        done: count('completed'),
        failed: count('failed'),
        running: count('active'),
        waiting: trials.length - count('completed', 'failed', 'active'),
        of: trials.length,
      };
      const key = JSON.stringify(progress);
      if (key !== last) options.onProgress?.(progress);
      last = key;
      if (progress.done + progress.failed === trials.length) {
        const failures = new Map<string, string>();
        for (const [i, trial] of trials.entries())
          if (states[i] === 'failed') {
            const job = await queue.getJob(trialJobId(spec, trial));
            failures.set(
              trial.id,
              `${job?.failedReason ?? 'failed'} (after ${job?.attemptsMade ?? '?'} attempts)`,
            );
          }
        return failures;
      }
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
    }
  } finally {
    await queue.close();
  }
}

export interface WorkerOptions {
  /**
   * How long a job stays this worker's without a renewal, ms (BullMQ's lockDuration, default 30 s): after a
   * worker dies, its trial waits this long (plus a stalled check, half of it) before another worker takes it.
   */
  lockMs?: number;
  /** A line per trial started, finished or failed. */
  log?: (line: string) => void;
  run?: RunOptions;
}

/** A worker taking trials from Redis at `redisUrl` into `runsDir` until closed. */
export function startWorker(redisUrl: string, runsDir: string, options: WorkerOptions = {}): Worker {
  const log = options.log ?? (() => {});
  const lockDuration = options.lockMs ?? 30_000;
  const worker = new Worker<TrialJobData>(
    TRIAL_QUEUE,
    async (job: Job<TrialJobData>) => {
      const { spec, trial } = job.data;
      log(`${spec.name}/${trial.id}: attempt ${job.attemptsMade + 1} of ${spec.attempts}`);
      const how = await runTrial(runsDir, spec, trial, options.run);
      log(`${spec.name}/${trial.id}: ${how === 'finished' ? 'already finished' : `${how}, done`}`);
      return how;
    },
    {
      connection: connection(redisUrl),
      // One trial at a time: trials sharing one TensorFlow.js engine would interleave their steps.
      concurrency: 1,
      lockDuration,
      stalledInterval: Math.max(500, Math.round(lockDuration / 2)),
      // A trial whose worker dies is picked up again this often before it counts as failed.
      maxStalledCount: 3,
    },
  );
  worker.on('failed', (job, error) => {
    if (job) log(`${job.data.spec.name}/${job.data.trial.id}: failed: ${error.message}`);
  });
  // Connection errors while Redis restarts: ioredis reconnects; say so once per error, not as a crash.
  worker.on('error', (error) => log(`redis: ${error.message}`));
  return worker;
}
