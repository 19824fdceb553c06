// The loss curve and the epochs table of a training run, shared by a server run's view and a run trained in the
// page: batch losses while training, then each epoch's train and validation means.
import uPlot from 'uplot';
import { format, h } from './dom.js';
import type { EpochRecord } from './types.js';

export class LossChart {
  private chart: uPlot | undefined;

  /** `box` carries data-points (the points drawn), which the browser tests watch. */
  constructor(readonly box: HTMLElement) {}

  /** `batchLoss`: [fractional epoch, loss] pairs (x = epoch − 1 + batch / batches). */
  draw(batchLoss: readonly [number, number][], history: readonly EpochRecord[]): void {
    // One x axis (fractional epochs) shared by batch losses and epoch means; gaps where a series has no point.
    const xs = new Map<number, [number | null, number | null, number | null]>();
    for (const [x, loss] of batchLoss) xs.set(x, [loss, null, null]);
    for (const r of history) {
      const point = xs.get(r.epoch) ?? [null, null, null];
      point[1] = r.train.loss ?? null;
      point[2] = r.validation.loss ?? null;
      xs.set(r.epoch, point);
    }
    const keys = [...xs.keys()].sort((a, b) => a - b);
    const data = [keys, ...[0, 1, 2].map((s) => keys.map((k) => xs.get(k)![s]))] as uPlot.AlignedData;
    if (!this.chart) {
      this.chart = new uPlot(
        {
          width: Math.min(640, this.box.clientWidth || 640),
          height: 300,
          scales: { x: { time: false } },
          axes: [{ label: 'epoch' }, { label: 'loss', size: 70 }],
          series: [
            { label: 'epoch' },
            { label: 'batch', stroke: '#9db7d5', width: 1, spanGaps: true, points: { show: false } },
            { label: 'train', stroke: '#1f5fa8', width: 2, spanGaps: true },
            { label: 'validation', stroke: '#d9730d', width: 2, spanGaps: true },
          ],
        },
        data,
        this.box,
      );
    } else this.chart.setData(data);
    this.box.dataset.points = String(data[0].length);
  }

  destroy(): void {
    this.chart?.destroy();
    this.chart = undefined;
  }
}

/** The last 12 epochs, newest first: each loss term (train, then validation), monitor figures, speed. */
export function drawEpochTable(table: HTMLTableElement, history: readonly EpochRecord[]): void {
  const last = history.at(-1);
  const keys = last
    ? [...Object.keys(last.train), ...Object.keys(last.validation).map((k) => `val ${k}`)]
    : [];
  const monitor = last?.monitor ? Object.keys(last.monitor) : [];
  table.replaceChildren(
    h('tr', {}, ...['epoch', ...keys, ...monitor, 'samples/s', 's'].map((t) => h('th', {}, t))),
    ...history
      .slice(-12)
      .reverse()
      .map((r) =>
        h(
          'tr',
          {},
          h('td', {}, String(r.epoch)),
          ...Object.values(r.train).map((v) => h('td', {}, format(v))),
          ...Object.values(r.validation).map((v) => h('td', {}, format(v))),
          ...monitor.map((k) => h('td', {}, r.monitor?.[k] === undefined ? '' : format(r.monitor[k]))),
          h('td', {}, String(Math.round(r.samplesPerSecond))),
          h('td', {}, r.seconds.toFixed(1)),
        ),
      ),
  );
}
