// One run, live: loss curves (per batch while training, per epoch for train and validation), the latest
// sample/reconstruction grid, the GAN view on 2-D data, and stop/resume. Updates come as server-sent events.
import { events, getJson, postJson, showImage } from '../api.js';
import { errorBox, format, h } from '../dom.js';
import { drawEpochTable, LossChart } from '../loss-chart.js';
import type { EpochRecord, GanField, JobState, RunDetails } from '../types.js';
import { drawGanField } from './gan-canvas.js';
import { dataLabel } from './runs.js';

export function runView(root: HTMLElement, name: string) {
  const base = `/studio/api/runs/${encodeURIComponent(name)}`;
  const status = h('span', { class: 'status', 'data-testid': 'status' });
  const progress = h('span', { class: 'progress', 'data-testid': 'progress' });
  const stop = h('button', { type: 'button' }, 'Stop');
  const resumeEpochs = h('input', {
    type: 'number',
    min: 1,
    step: 1,
    name: 'resume-epochs',
    title: 'epochs in all',
  });
  const resume = h('button', { type: 'button' }, 'Resume');
  const links = h('span', { class: 'links' });
  const facts = h('p', { class: 'facts' });
  const problem = h('div', {});
  const chartBox = h('div', { class: 'chart', 'data-testid': 'loss-chart' });
  const preview = h('img', { class: 'preview', alt: 'latest epoch picture', 'data-testid': 'preview' });
  const previewCaption = h('figcaption', {});
  const ganCanvas = h('canvas', { width: 480, height: 480, class: 'gan', 'data-testid': 'gan-canvas' });
  const ganCaption = h('figcaption', {});
  const ganFigure = h('figure', { class: 'gan-view', hidden: true }, ganCanvas, ganCaption);
  const previewFigure = h('figure', { hidden: true }, preview, previewCaption);
  const table = h('table', { class: 'epochs' });
  root.append(
    h('div', { class: 'title' }, h('h1', {}, name), status, progress),
    facts,
    h('div', { class: 'actions' }, stop, resumeEpochs, resume, links),
    problem,
    h(
      'div',
      { class: 'live' },
      h('div', { class: 'panel' }, h('h2', {}, 'Loss'), chartBox),
      previewFigure,
      ganFigure,
    ),
    h('h2', {}, 'Epochs'),
    table,
  );

  let history: EpochRecord[] = [];
  let batchLoss: [number, number][] = [];
  let job: JobState | null = null;
  let planned = 0;
  let chartDirty = false;
  let pictureRows = '';

  const lossChart = new LossChart(chartBox);
  const drawChart = () => {
    chartDirty = false;
    lossChart.draw(batchLoss, history);
  };
  // Batch events come several times a second: redraw at most every half second.
  const redraw = setInterval(() => chartDirty && drawChart(), 500);

  const drawTable = () => drawEpochTable(table, history);

  const isActive = () =>
    job?.status === 'starting' || job?.status === 'running' || job?.status === 'stopping';

  const drawStatus = () => {
    const s =
      job?.status ??
      (history.length >= planned && planned > 0 ? 'finished' : history.length ? 'stopped' : '');
    status.textContent = s;
    status.className = `status ${s}`;
    const active = isActive();
    stop.disabled = !active || s === 'stopping';
    resume.disabled = active;
    progress.textContent = planned ? `epoch ${history.length} of ${planned}` : '';
    problem.replaceChildren(
      ...(job?.error ? [errorBox(job.field ? `${job.field}: ${job.error}` : job.error)] : []),
    );
  };

  const showPicture = (file: string, epoch: number) => {
    if (file.endsWith('-scatter.png')) return;
    showImage(preview, `${base}/images/${file}`).then(
      () => {
        previewFigure.hidden = false;
        previewCaption.textContent = `epoch ${epoch}: ${pictureRows}`;
      },
      () => {
        // No picture for this run (tables, or none written yet).
      },
    );
  };

  const showGan = (field: GanField) => {
    ganFigure.hidden = false;
    drawGanField(ganCanvas, field);
    ganCanvas.dataset.epoch = String(field.epoch);
    ganCaption.textContent = `epoch ${field.epoch}: real (grey), generated (green), discriminator: real (yellow) vs fake (purple)`;
  };

  const load = async () => {
    try {
      const details = await getJson<RunDetails & { job: JobState | null }>(base);
      const model = details.config?.model;
      pictureRows =
        model?.kind === 'gan'
          ? 'samples from the same noise every epoch'
          : 'originals above, reconstructions below';
      planned = job?.epochs ?? details.config?.train?.epochs ?? 0;
      facts.textContent = [
        model?.kind,
        dataLabel(details.config?.data),
        model?.latent !== undefined ? `latent ${model.latent}` : '',
        details.summary?.test
          ? `test ${Object.entries(details.summary.test)
              .map(([k, v]) => `${k} ${format(v)}`)
              .join(', ')}`
          : '',
      ]
        .filter(Boolean)
        .join(' · ');
      const href = `#/runs/${encodeURIComponent(name)}`;
      links.replaceChildren(
        ...(!details.model
          ? []
          : details.text
            ? [h('a', { href: `${href}/text` }, 'Samples, reconstructions and homotopies')]
            : details.model.audio
              ? [
                  h('a', { href: `${href}/audio` }, 'Listen: originals, reconstructions and samples'),
                  h('a', { href: `${href}/explore` }, 'Latent explorer'),
                ]
              : [
                  h('a', { href: `${href}/explore` }, 'Latent explorer'),
                  h('a', { href: `${href}/anomalies` }, 'Anomalies'),
                ]),
      );
      history = details.history;
      // Resume continues to the planned epochs; a finished run is offered as many again.
      if (!isActive()) resumeEpochs.value = String(history.length >= planned ? planned * 2 : planned || 1);
      const last = history.at(-1);
      // Toy and text runs draw no epoch picture.
      if (last && details.config?.data?.source !== 'toy' && !details.text)
        showPicture(`epoch-${String(last.epoch).padStart(3, '0')}.png`, last.epoch);
      drawTable();
      drawChart();
      drawStatus();
    } catch (error) {
      if (!job) problem.replaceChildren(errorBox(error));
    }
  };

  const close = events(`${base}/events`, (type, data) => {
    const event = data as Record<string, unknown>;
    switch (type) {
      case 'snapshot':
        job = event.job as JobState | null;
        batchLoss = job?.batchLoss ?? [];
        if (job?.gan) showGan(job.gan);
        void load();
        break;
      case 'started':
        planned = event.epochs as number;
        break;
      case 'batch':
        // The loss is read back every 250 ms and repeated in between: plot each reading once.
        if (event.loss !== undefined && event.loss !== batchLoss.at(-1)?.[1]) {
          batchLoss.push([
            (event.epoch as number) - 1 + (event.batch as number) / (event.batches as number),
            event.loss as number,
          ]);
          chartDirty = true;
        }
        progress.textContent = `epoch ${event.epoch} of ${event.epochs}, batch ${event.batch}/${event.batches}`;
        break;
      case 'epoch':
        history.push(event.record as EpochRecord);
        drawTable();
        chartDirty = true;
        break;
      case 'image':
        showPicture(event.file as string, event.epoch as number);
        break;
      case 'gan':
        showGan(event.field as GanField);
        break;
      case 'status':
        if (job) {
          job.status = event.status as JobState['status'];
          job.error = event.error as string | undefined;
          job.field = event.field as string | undefined;
        } else
          job = {
            run: name,
            status: event.status as JobState['status'],
            error: event.error as string | undefined,
            batchLoss: [],
          };
        drawStatus();
        if (event.status === 'finished') void load();
        break;
    }
  });

  stop.addEventListener('click', async () => {
    try {
      await postJson(`${base}/stop`);
    } catch (error) {
      problem.replaceChildren(errorBox(error));
    }
  });
  resume.addEventListener('click', async () => {
    try {
      const epochs = Number(resumeEpochs.value) || undefined;
      const { job: started } = await postJson<{ job: JobState }>(`${base}/resume`, { epochs });
      job = { ...started, batchLoss };
      if (epochs) planned = epochs;
      drawStatus();
    } catch (error) {
      problem.replaceChildren(errorBox(error));
    }
  });

  return () => {
    close();
    clearInterval(redraw);
    lossChart.destroy();
    if (preview.src.startsWith('blob:')) URL.revokeObjectURL(preview.src);
  };
}
