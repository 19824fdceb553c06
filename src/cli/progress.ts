// Training progress for people: a live bar on a terminal, one line per epoch otherwise (logs, CI).
import cliProgress from 'cli-progress';
import type { OnProgress } from '../eval/progress.js';
import type { EpochRecord } from '../train/checkpoint.js';
import type { RollbackEvent, TrainCallbacks } from '../train/trainer.js';

function formatMetrics(values: Record<string, number>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toPrecision(4)}`)
    .join(', ');
}

export function formatEpoch(record: EpochRecord, epochs: number): string {
  const validation = Object.keys(record.validation).length
    ? ` | val ${formatMetrics(record.validation)}`
    : '';
  const watched =
    record.monitor && Object.keys(record.monitor).length ? ` | ${formatMetrics(record.monitor)}` : '';
  return (
    `epoch ${record.epoch}/${epochs} | train ${formatMetrics(record.train)}${validation}${watched} | ` +
    `${Math.round(record.samplesPerSecond)} samples/s | ${record.seconds.toFixed(1)} s`
  );
}

export function formatRollback(event: RollbackEvent): string {
  return (
    `loss became NaN/Inf at step ${event.step} (epoch ${event.epoch}): restored epoch ${event.resumedFromEpoch}, ` +
    `learning rate x${event.learningRateScale} (rollback ${event.rollbacks} of 3)`
  );
}

/** One bar on a terminal, cleared when done: training's and the other tasks' look alike. */
function terminalBar(stream: NodeJS.WriteStream, format: string): cliProgress.SingleBar {
  return new cliProgress.SingleBar(
    { stream, format, hideCursor: true, clearOnComplete: true, etaBuffer: 50 },
    cliProgress.Presets.shades_classic,
  );
}

export function progressCallbacks(
  stream: NodeJS.WriteStream = process.stderr,
): TrainCallbacks & { stop(): void } {
  let epochs = 0;
  const onRollback = (event: RollbackEvent) => stream.write(`${formatRollback(event)}\n`);
  const onWarning = (message: string, epoch: number) =>
    stream.write(`warning (epoch ${epoch}): ${message}\n`);
  const onDataNote = (note: string) => stream.write(`data: ${note}\n`);
  if (!stream.isTTY) {
    return {
      onEpochStart(_epoch, total) {
        epochs = total;
      },
      onEpochEnd(record) {
        stream.write(`${formatEpoch(record, epochs)}\n`);
      },
      onRollback,
      onWarning,
      onDataNote,
      stop() {},
    };
  }
  const bar = terminalBar(
    stream,
    'epoch {epoch}/{epochs} [{bar}] {value}/{total} | loss {loss} | {rate} samples/s | ETA {eta_formatted}',
  );
  let active = false;
  return {
    onEpochStart(epoch, total, batches) {
      epochs = total;
      bar.start(batches, 0, { epoch, epochs: total, loss: '…', rate: '…' });
      active = true;
    },
    onBatch(p) {
      bar.update(p.batch, {
        loss: p.loss === undefined ? '…' : p.loss.toPrecision(4),
        rate: Math.round(p.samplesPerSecond),
      });
    },
    onEpochEnd(record) {
      bar.stop();
      active = false;
      stream.write(`${formatEpoch(record, epochs)}\n`);
    },
    onRollback(event) {
      if (active) bar.stop();
      active = false;
      onRollback(event);
    },
    onWarning,
    onDataNote,
    stop() {
      if (active) bar.stop();
    },
  };
}

/**
 * Progress of long work other than training (UMAP, the IWAE bound, scoring, encoding) on `stream`: a bar per
 * task on a terminal, cleared when the task ends; otherwise one line per finished task, so logs stay short.
 */
export function taskProgress(stream: NodeJS.WriteStream = process.stderr): {
  onProgress: OnProgress;
  stop(): void;
} {
  let current: string | undefined;
  let finished = false;
  if (!stream.isTTY) {
    return {
      onProgress({ task, done, total }) {
        if (task !== current) {
          current = task;
          finished = false;
        }
        if (done >= total && !finished) {
          finished = true;
          stream.write(`${task}: ${total}/${total} done\n`);
        }
      },
      stop() {},
    };
  }
  const bar = terminalBar(stream, '{task} [{bar}] {value}/{total} | ETA {eta_formatted}');
  let active = false;
  return {
    onProgress({ task, done, total }) {
      if (task !== current || !active) {
        if (active) bar.stop();
        current = task;
        bar.start(total, 0, { task });
        active = true;
      }
      bar.update(done);
      if (done >= total) {
        bar.stop();
        active = false;
      }
    },
    stop() {
      if (active) bar.stop();
      active = false;
    },
  };
}
