// The runs list: every run in the runs directory with its model, data, progress and training status.
import { getJson } from '../api.js';
import { errorBox, format, h } from '../dom.js';
import type { RunListing } from '../types.js';

export function runsView(root: HTMLElement) {
  const table = h('table', { class: 'runs' });
  root.append(
    h('div', { class: 'title' }, h('h1', {}, 'Runs'), h('a', { href: '#/new', class: 'button' }, 'New run')),
    table,
  );
  const draw = async () => {
    try {
      const { runs } = await getJson<{ runs: RunListing[] }>('/studio/api/runs');
      table.replaceChildren(
        h(
          'tr',
          {},
          ...['run', 'model', 'data', 'epochs', 'test loss', 'status', ''].map((t) => h('th', {}, t)),
        ),
      );
      for (const run of runs) {
        const status = run.job?.status ?? (run.model ? 'finished' : run.epochsDone > 0 ? 'stopped' : '');
        const planned = run.config?.train?.epochs;
        const testLoss = run.summary?.test?.loss;
        table.append(
          h(
            'tr',
            { 'data-run': run.name },
            h('td', {}, h('a', { href: `#/runs/${encodeURIComponent(run.name)}` }, run.name)),
            h('td', {}, run.config?.model?.kind ?? run.model?.kind ?? ''),
            h('td', {}, dataLabel(run.config?.data)),
            h('td', {}, `${run.epochsDone}${planned ? ` / ${planned}` : ''}`),
            h('td', {}, testLoss === undefined ? '' : format(testLoss)),
            h('td', {}, status ? h('span', { class: `status ${status}` }, status) : ''),
            h(
              'td',
              {},
              // A text run is explored in sentences, not in a scatter of images; an audio run is listened to.
              run.model
                ? run.text
                  ? h('a', { href: `#/runs/${encodeURIComponent(run.name)}/text` }, 'sentences')
                  : run.model.audio
                    ? h('a', { href: `#/runs/${encodeURIComponent(run.name)}/audio` }, 'listen')
                    : h('a', { href: `#/runs/${encodeURIComponent(run.name)}/explore` }, 'explore')
                : '',
              run.detect ? ' · ' : '',
              run.detect
                ? h('a', { href: `#/runs/${encodeURIComponent(run.name)}/anomalies` }, 'anomalies')
                : '',
            ),
          ),
        );
      }
      if (runs.length === 0) table.append(h('tr', {}, h('td', { colspan: 7 }, 'No runs yet: start one.')));
    } catch (error) {
      table.replaceChildren(errorBox(error));
    }
  };
  void draw();
  const timer = setInterval(draw, 5000);
  return () => clearInterval(timer);
}

export function dataLabel(data: { source?: string; name?: string } | undefined): string {
  if (!data?.source) return '';
  return data.source === 'toy' ? `toy:${data.name}` : data.source;
}
