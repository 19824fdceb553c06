// One job at a time through TensorFlow.js: jobs run in arrival order, each to completion (awaits included),
// so concurrent requests never interleave tensor work and a model is never disposed under a running job.
import { HttpError } from './errors.js';

export interface QueueStats {
  /** Jobs waiting, not counting the one running. */
  waiting: number;
  running: boolean;
  completed: number;
  /** Most jobs ever seen running at once (1 unless the queue is broken). */
  maxRunning: number;
}

export class TensorQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  private active = 0;
  private completed = 0;
  private maxActive = 0;

  /** `maxWaiting`: jobs allowed to wait; one more is refused with 503 rather than queued without bound. */
  constructor(readonly maxWaiting = 256) {}

  run<T>(job: () => Promise<T> | T): Promise<T> {
    // The running job (or the one about to start) is not waiting.
    if (this.waiting + this.active > this.maxWaiting)
      return Promise.reject(
        new HttpError(503, `server busy: ${this.waiting} requests already waiting for the model`),
      );
    this.waiting++;
    const result = this.tail.then(async () => {
      this.waiting--;
      this.active++;
      this.maxActive = Math.max(this.maxActive, this.active);
      try {
        return await job();
      } finally {
        this.active--;
        this.completed++;
      }
    });
    // The chain goes on whether a job fails or not; the caller sees the failure through `result`.
    this.tail = result.catch(() => undefined);
    return result;
  }

  stats(): QueueStats {
    return {
      waiting: this.waiting,
      running: this.active > 0,
      completed: this.completed,
      maxRunning: this.maxActive,
    };
  }

  /** Resolves once every job queued so far has finished. */
  async idle(): Promise<void> {
    await this.tail;
  }
}
