// Dynamic batching, as TF Serving's and Triton's batchers do it: requests for the same run and operation (and
// the same settings) that arrive within a few milliseconds of each other join one group, and the group runs as
// one TensorQueue job, one model pass over all their rows. A group opens with its first request, is queued
// when its window has passed, and takes more requests until its job starts or it holds `maxRows` rows, so
// under load a group gathers what arrives while the model is busy with the one before.
import type { TensorQueue } from './queue.js';

export interface BatchingOptions {
  /** How long the first request of a group waits for others, ms; 0 turns batching off. */
  windowMs: number;
  /** Most rows (samples, codes, steps) in one group; a request that would pass it opens the next group. */
  maxRows: number;
}

export interface BatchStats {
  /** Groups run (one queue job each). */
  batches: number;
  /** Requests answered from those groups. */
  requests: number;
  /** Largest group, in requests. */
  largest: number;
}

/** What one request of a group came to: its answer, or the error it alone gets. */
export type Settled<R> = { value: R } | { error: unknown };

interface Group<I, R> {
  key: string;
  items: I[];
  resolvers: Array<{ resolve: (value: R) => void; reject: (error: unknown) => void }>;
  rows: number;
  run: (items: I[]) => Promise<Settled<R>[]>;
  /** The window's timer, until the group is queued. */
  timer?: NodeJS.Timeout;
}

export class Batcher {
  /** The group each key's next request joins. */
  private readonly open = new Map<string, Group<unknown, unknown>>();
  /** Groups in their window, not yet queued: the open ones, and full ones a later request displaced. */
  private readonly waiting = new Set<Group<unknown, unknown>>();
  private readonly counts: BatchStats = { batches: 0, requests: 0, largest: 0 };

  constructor(
    private readonly queue: TensorQueue,
    readonly options: BatchingOptions,
  ) {}

  get enabled(): boolean {
    return this.options.windowMs > 0;
  }

  /**
   * Adds `item` (`rows` rows) to the open group of `key`, or opens one; `run` answers a whole group, one
   * settled result per item in order, inside one queue job. Requests of different keys never share a group.
   */
  submit<I, R>(key: string, item: I, rows: number, run: (items: I[]) => Promise<Settled<R>[]>): Promise<R> {
    let group = this.open.get(key) as Group<I, R> | undefined;
    if (!group || group.rows + rows > this.options.maxRows) group = this.openGroup(key, run);
    group.items.push(item);
    group.rows += rows;
    return new Promise<R>((resolve, reject) => group.resolvers.push({ resolve, reject }));
  }

  private openGroup<I, R>(key: string, run: (items: I[]) => Promise<Settled<R>[]>): Group<I, R> {
    const group: Group<I, R> = { key, items: [], resolvers: [], rows: 0, run };
    group.timer = setTimeout(() => this.enqueue(group), this.options.windowMs);
    this.open.set(key, group as Group<unknown, unknown>);
    this.waiting.add(group as Group<unknown, unknown>);
    return group;
  }

  /** Queues every group still in its window now (closing the server), then waits for the queue to empty. */
  async drain(): Promise<void> {
    for (const group of this.waiting) {
      clearTimeout(group.timer);
      this.enqueue(group);
    }
    await this.queue.idle();
  }

  private enqueue<I, R>(group: Group<I, R>): void {
    this.waiting.delete(group as Group<unknown, unknown>);
    const close = () => {
      if (this.open.get(group.key) === group) this.open.delete(group.key);
    };
    this.queue
      .run(async () => {
        // From here on the group takes no one else: its rows are what the model sees.
        close();
        this.counts.batches++;
        this.counts.requests += group.items.length;
        this.counts.largest = Math.max(this.counts.largest, group.items.length);
        return group.run(group.items);
      })
      .then(
        (results) =>
          results.forEach((result, i) => {
            const { resolve, reject } = group.resolvers[i];
            if ('value' in result) resolve(result.value);
            else reject(result.error);
          }),
        // The queue refused the job (full), or run itself failed: every request of the group gets the error.
        (error) => {
          close();
          for (const { reject } of group.resolvers) reject(error);
        },
      );
  }

  stats(): BatchStats {
    return { ...this.counts };
  }
}
