// Sweeps (`latentlab sweep`): the list, and one sweep live: each setting's test figures over its seeds and
// every trial's progress (epochs done of those planned, a bar), redrawn every 2 seconds while trials run.
import { getJson } from '../api.js';
import { errorBox, format, h } from '../dom.js';
import type { SweepDetails, SweepListing } from '../types.js';

const settingText = (params: Record<string, unknown>) =>
  Object.entries(params)
    .map(([path, value]) => `${path} = ${typeof value === 'number' ? format(value) : JSON.stringify(value)}`)
    .join(', ') || '(base)';

// Trial statuses in the studio's words for runs.
const STATUS: Record<string, string> = {
  done: 'finished',
  running: 'running',
  failed: 'failed',
  pending: '',
};

export function sweepsView(root: HTMLElement) {
  const table = h('table', { class: 'runs sweeps' });
  root.append(h('div', { class: 'title' }, h('h1', {}, 'Sweeps'), h('a', { href: '#/' }, 'Runs')), table);
  const draw = async () => {
    try {
      const { sweeps } = await getJson<{ sweeps: SweepListing[] }>('/studio/api/sweeps');
      table.replaceChildren(
        h(
          'tr',
          {},
          ...['sweep', 'trials', 'done', 'running', 'failed', 'waiting'].map((t) => h('th', {}, t)),
        ),
      );
      for (const sweep of sweeps)
        table.append(
          h(
            'tr',
            { 'data-sweep': sweep.name },
            h('td', {}, h('a', { href: `#/sweeps/${encodeURIComponent(sweep.name)}` }, sweep.name)),
            ...[sweep.trials, sweep.done, sweep.running, sweep.failed, sweep.pending].map((n) =>
              h('td', {}, String(n)),
            ),
          ),
        );
      if (sweeps.length === 0)
        table.append(
          h('tr', {}, h('td', { colspan: 6 }, 'No sweeps yet: latentlab sweep SPEC.json --runs DIR')),
        );
    } catch (error) {
      table.replaceChildren(errorBox(error));
    }
  };
  void draw();
  const timer = setInterval(draw, 5000);
  return () => clearInterval(timer);
}

export function sweepView(root: HTMLElement, name: string) {
  const summary = h('p', { class: 'facts' });
  const settings = h('table', { class: 'runs', 'data-testid': 'sweep-settings' });
  const trials = h('table', { class: 'runs', 'data-testid': 'sweep-trials' });
  root.append(
    h('div', { class: 'title' }, h('h1', {}, `Sweep ${name}`), h('a', { href: '#/sweeps' }, 'All sweeps')),
    summary,
    h('h2', {}, 'Settings (test split, mean ± sd over seeds)'),
    settings,
    h('h2', {}, 'Trials'),
    trials,
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const draw = async () => {
    try {
      const sweep = await getJson<SweepDetails>(`/studio/api/sweeps/${encodeURIComponent(name)}`);
      const count = (status: string) => sweep.trials.filter((t) => t.status === status).length;
      const search = sweep.search.random
        ? `random search, ${sweep.search.random.trials} settings`
        : `grid of ${sweep.settings.length} settings`;
      summary.textContent = `${search} × ${sweep.search.seeds.length} seeds · ${count('done')} of ${sweep.trials.length} trials done · ${count('running')} running · ${count('failed')} failed`;
      const metrics = [...new Set(sweep.settings.flatMap((s) => Object.keys(s.test)))];
      settings.replaceChildren(
        h('tr', {}, ...['setting', 'seeds done', ...metrics].map((t) => h('th', {}, t))),
        ...sweep.settings.map((s) =>
          h(
            'tr',
            {},
            h('td', {}, settingText(s.params)),
            h('td', {}, `${s.done} / ${s.of}`),
            ...metrics.map((m) =>
              // One seed has no spread to show.
              h(
                'td',
                {},
                !s.test[m]
                  ? ''
                  : s.done < 2
                    ? format(s.test[m].mean)
                    : `${format(s.test[m].mean)} ± ${format(s.test[m].sd)}`,
              ),
            ),
          ),
        ),
      );
      trials.replaceChildren(
        h(
          'tr',
          {},
          ...['trial', 'setting', 'seed', 'epochs', 'status', 'test loss', 'train s'].map((t) =>
            h('th', {}, t),
          ),
        ),
        ...sweep.trials.map((t) => {
          const planned = sweep.planned[t.id] ?? 0;
          const epochs = t.epochs ?? 0;
          const status = STATUS[t.status] ?? t.status;
          return h(
            'tr',
            { 'data-trial': t.id, 'data-status': t.status },
            h('td', {}, t.id),
            h('td', {}, settingText(t.params)),
            h('td', {}, String(t.seed)),
            h(
              'td',
              { class: 'progress' },
              h('progress', { max: planned || 1, value: t.status === 'done' ? planned || 1 : epochs }),
              ` ${epochs} / ${planned}`,
            ),
            h(
              'td',
              {},
              status ? h('span', { class: `status ${status}`, title: t.error }, status) : 'waiting',
            ),
            h('td', {}, t.test?.loss === undefined ? '' : format(t.test.loss)),
            h('td', {}, t.trainSeconds === undefined ? '' : t.trainSeconds.toFixed(1)),
          );
        }),
      );
      root.dataset.ready = 'true';
      // Live while any trial is unfinished.
      if (count('done') + count('failed') < sweep.trials.length) timer = setTimeout(draw, 2000);
    } catch (error) {
      summary.replaceChildren(errorBox(error));
    }
  };
  void draw();
  return () => clearTimeout(timer);
}
