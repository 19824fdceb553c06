// "Train here": the new-run form's run trained in this page on the visitor's GPU (webgpu, else webgl, else cpu;
// the user may pick), with the loss curve and epochs as a server run shows them, a stop button, and the trained
// run to download as a tar of latentlab's run folder. Loaded by the new-run view on its own (TensorFlow.js and
// every family's code are a large chunk).
import {
  autoPageBackend,
  PAGE_BACKENDS,
  type PageBackendName,
  pageBackendSupport,
  selectPageBackend,
} from '../../../src/engine/browser.js';
import { errorBox, h } from '../dom.js';
import { drawEpochTable, LossChart } from '../loss-chart.js';
import { pageFamily } from '../train-here/families.js';
import { fetchPageData } from '../train-here/page-data.js';
import { runArchive } from '../train-here/run-archive.js';
import { trainInPage } from '../train-here/trainer.js';
import type { EpochRecord } from '../types.js';

export interface TrainHereOptions {
  /** The run config the form holds now. */
  readConfig(): { model: { kind: string }; [key: string]: unknown };
  /** Show an error as the form shows a server run's (marking the field it names). */
  showError(error: unknown): void;
  /** Called as training starts and ends (the form's buttons wait meanwhile). */
  onBusy(busy: boolean): void;
}

export interface TrainHere {
  /** The panel: backend choice, progress, curve, epochs, download. */
  element: HTMLElement;
  /** Start training the form's run in the page. */
  start(): Promise<void>;
  /** Stop any training and free the page's tensors (the view is left). */
  close(): void;
}

export async function trainHerePanel(options: TrainHereOptions): Promise<TrainHere> {
  const support = await pageBackendSupport();
  const auto = autoPageBackend(support);
  const backend = h('select', { name: 'page.backend', 'data-testid': 'page-backend-choice' });
  backend.append(h('option', { value: 'auto' }, `auto (${auto})`));
  for (const name of PAGE_BACKENDS) {
    const s = support[name];
    backend.append(
      h(
        'option',
        { value: name, disabled: !s.available, title: s.reason },
        s.available ? name : `${name} (unavailable)`,
      ),
    );
  }
  const missing = PAGE_BACKENDS.filter((n) => !support[n].available).map((n) => `${n}: ${support[n].reason}`);
  const running = h('span', { class: 'facts', 'data-testid': 'page-backend' });
  const status = h('span', { class: 'status', 'data-testid': 'page-status' });
  const progress = h('span', { class: 'progress', 'data-testid': 'page-progress' });
  const stop = h('button', { type: 'button', disabled: true }, 'Stop');
  const download = h('a', { class: 'download', hidden: true, 'data-testid': 'page-download' });
  const problem = h('div', {});
  const chartBox = h('div', { class: 'chart', 'data-testid': 'page-loss-chart' });
  const table = h('table', { class: 'epochs' });
  const live = h('div', { hidden: true }, h('div', { class: 'panel' }, chartBox), table);
  const element = h(
    'section',
    { class: 'train-here', 'data-testid': 'train-here' },
    h('h2', {}, 'Train here'),
    h(
      'p',
      { class: 'hint' },
      'Trains in this page with TensorFlow.js on your GPU (WebGPU, else WebGL), on samples the server sends ' +
        '(at most 20,000 training samples). Download the trained run and unpack it into a runs folder ' +
        '(tar -xf RUN.tar -C runs) to use it with latentlab.',
    ),
    h('label', { class: 'field' }, h('span', {}, 'backend'), backend),
    missing.length ? h('p', { class: 'hint' }, `Not here: ${missing.join('; ')}.`) : null,
    h('div', { class: 'title' }, running, status, progress),
    h('div', { class: 'actions' }, stop, download),
    problem,
    live,
  );

  let abort: AbortController | undefined;
  let chart: LossChart | undefined;
  stop.addEventListener('click', () => {
    abort?.abort();
    stop.disabled = true;
    status.textContent = 'stopping';
  });
  const setStatus = (text: string) => {
    status.textContent = text;
    status.className = `status ${text}`;
  };

  const start = async () => {
    const config = options.readConfig();
    const family = pageFamily(config.model.kind);
    problem.replaceChildren();
    if (!family) {
      problem.append(errorBox(`"${config.model.kind}" has no code in this page: train it on the server`));
      return;
    }
    options.onBusy(true);
    abort = new AbortController();
    stop.disabled = false;
    download.hidden = true;
    if (download.href.startsWith('blob:')) URL.revokeObjectURL(download.href);
    chart?.destroy();
    chart = new LossChart(chartBox);
    const history: EpochRecord[] = [];
    const batchLoss: [number, number][] = [];
    let dirty = false;
    const redraw = setInterval(() => {
      if (!dirty) return;
      dirty = false;
      chart?.draw(batchLoss, history);
    }, 500);
    try {
      setStatus('loading data');
      progress.textContent = '';
      const data = await fetchPageData(config);
      const chosen = await selectPageBackend(backend.value as PageBackendName, support);
      running.textContent = `backend: ${chosen.name}${chosen.adapter ? ` (${chosen.adapter})` : ''}`;
      running.dataset.backend = chosen.name;
      live.hidden = false;
      setStatus('running');
      const result = await trainInPage({
        family,
        data,
        signal: abort.signal,
        onBatch: (p) => {
          progress.textContent = `epoch ${p.epoch} of ${p.epochs}, batch ${p.batch} of ${p.batches}`;
          if (p.loss !== undefined) {
            batchLoss.push([p.epoch - 1 + p.batch / p.batches, p.loss]);
            dirty = true;
          }
        },
        onEpoch: (record) => {
          history.push(record);
          drawEpochTable(table, history);
          dirty = true;
        },
      });
      try {
        if (result.history.length > 0) {
          const archive = await runArchive(data.header, result, chosen);
          download.href = URL.createObjectURL(
            new Blob([archive.bytes as Uint8Array<ArrayBuffer>], { type: 'application/x-tar' }),
          );
          download.download = `${archive.name}.tar`;
          download.textContent = `Download ${archive.name}.tar`;
          download.hidden = false;
        }
      } finally {
        result.model.dispose();
      }
      setStatus(result.aborted ? 'stopped' : 'finished');
      progress.textContent = `epoch ${result.history.length} of ${data.header.config.train.epochs}`;
    } catch (error) {
      setStatus('failed');
      options.showError(error);
    } finally {
      clearInterval(redraw);
      chart?.draw(batchLoss, history);
      stop.disabled = true;
      abort = undefined;
      options.onBusy(false);
    }
  };

  return {
    element,
    start,
    close() {
      abort?.abort();
      chart?.destroy();
      if (download.href.startsWith('blob:')) URL.revokeObjectURL(download.href);
    },
  };
}
