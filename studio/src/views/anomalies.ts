// Anomalies found by `latentlab detect`: its figures and the most anomalous items, each as original,
// reconstruction and per-pixel error heat map.
import { getJson, showImage } from '../api.js';
import { errorBox, format, h } from '../dom.js';

interface Anomalies {
  summary: Record<string, unknown> & { top?: number[]; threshold?: number; score?: string };
  heatmaps: string[];
}

export function anomaliesView(root: HTMLElement, name: string) {
  const base = `/studio/api/runs/${encodeURIComponent(name)}`;
  root.append(
    h(
      'div',
      { class: 'title' },
      h('h1', {}, 'Anomalies'),
      h('a', { href: `#/runs/${encodeURIComponent(name)}` }, name),
    ),
  );
  void (async () => {
    try {
      const { summary, heatmaps } = await getJson<Anomalies>(`${base}/anomalies`);
      // Figures one level deep (threshold value, evaluation auroc …); paths and commands are not figures.
      const figures: [string, unknown][] = [];
      for (const [key, value] of Object.entries(summary)) {
        if (key === 'run' || key === 'command') continue;
        if (value && typeof value === 'object' && !Array.isArray(value)) {
          for (const [inner, v] of Object.entries(value)) figures.push([`${key} ${inner}`, v]);
        } else figures.push([key, value]);
      }
      root.append(
        h(
          'table',
          { class: 'facts-table' },
          ...figures
            .filter(([, v]) => typeof v === 'number' || typeof v === 'string')
            .map(([k, v]) =>
              h('tr', {}, h('th', {}, k), h('td', {}, typeof v === 'number' ? format(v) : String(v))),
            ),
        ),
        h(
          'p',
          { class: 'hint' },
          'Each row: original, reconstruction, per-pixel error (one colour scale for all rows).',
        ),
      );
      const grid = h('div', { class: 'anomalies' });
      root.append(grid);
      for (const file of heatmaps) {
        const [, rank, id] = /^(\d+)-id(\d+)\.png$/.exec(file) ?? [];
        const img = h('img', { alt: `anomaly ${rank}` });
        grid.append(h('figure', {}, img, h('figcaption', {}, `#${Number(rank)}: test item ${id}`)));
        void showImage(img, `${base}/anomalies/${file}`);
      }
      if (heatmaps.length === 0)
        root.append(h('p', {}, 'No heat maps (the data are not images, or --top 0).'));
    } catch (error) {
      root.append(errorBox(error));
    }
  })();
  return undefined;
}
