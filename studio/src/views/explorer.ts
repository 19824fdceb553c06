// The latent explorer: the test set's codes as a 2-D scatter coloured by label (the codes themselves for 2-D
// latents, PCA or UMAP otherwise). Hover shows an item; clicking empty space decodes that point (2-D latents);
// clicking two items draws the interpolation between them; a seed generates new samples; a traversal sweeps one
// latent dimension (or each) around an item's code with the others fixed.
import { getJson, imageUrl, showImage } from '../api.js';
import { errorBox, h, PALETTE } from '../dom.js';
import type { LatentMap, TraversalAsk } from '../types.js';

const SIZE = 520;
const PAD = 24;
const HIT_RADIUS = 5;

export function explorerView(root: HTMLElement, name: string) {
  const base = `/studio/api/runs/${encodeURIComponent(name)}`;
  const method = h('select', { name: 'map' });
  const canvas = h('canvas', {
    width: SIZE,
    height: SIZE,
    class: 'scatter',
    'data-testid': 'latent-scatter',
  });
  const tooltip = h('div', { class: 'tooltip', hidden: true });
  const tipImage = h('img', { alt: 'test item' });
  const tipText = h('span', {});
  tooltip.append(tipImage, tipText);
  const legend = h('div', { class: 'legend' });
  const hint = h('p', { class: 'hint' });
  const decoded = h('img', { class: 'decoded', alt: 'decoded point', 'data-testid': 'decoded' });
  const decodedCaption = h('figcaption', {});
  const strip = h('img', { class: 'strip', alt: 'interpolation', 'data-testid': 'interpolation' });
  const stripCaption = h('figcaption', {}, 'Click two items to interpolate between them.');
  const seed = h('input', { type: 'number', name: 'seed', value: 0, min: 0, step: 1 });
  const generate = h('button', { type: 'button' }, 'Generate');
  const samples = h('img', { class: 'samples', alt: 'generated samples', 'data-testid': 'samples' });
  const dimension = h('select', { name: 'dimension' });
  // Narrow number fields on two rows keep the panel beside the map (the side column is as wide as its widest row).
  const narrow = 'width:4.5em';
  const fromItem = h('input', { type: 'number', name: 'from', value: 0, min: 0, step: 1, style: narrow });
  const range = h('input', {
    type: 'number',
    name: 'range',
    value: 3,
    min: 0.5,
    max: 10,
    step: 0.5,
    style: narrow,
  });
  const steps = h('input', {
    type: 'number',
    name: 'steps',
    value: 11,
    min: 3,
    max: 21,
    step: 2,
    style: narrow,
  });
  const traverseButton = h('button', { type: 'button' }, 'Traverse');
  const traversal = h('img', { class: 'strip', alt: 'latent traversal', 'data-testid': 'traversal' });
  const traversalCaption = h('figcaption', {});
  const problem = h('div', {});
  root.append(
    h(
      'div',
      { class: 'title' },
      h('h1', {}, 'Latent explorer'),
      h('a', { href: `#/runs/${encodeURIComponent(name)}` }, name),
    ),
    problem,
    h(
      'div',
      { class: 'explorer' },
      h(
        'div',
        { class: 'panel plane' },
        h('label', { class: 'field inline' }, h('span', {}, 'map'), method),
        h('div', { class: 'canvas-box' }, canvas, tooltip),
        legend,
        hint,
      ),
      h(
        'div',
        { class: 'side' },
        h('figure', {}, decoded, decodedCaption),
        h('figure', {}, strip, stripCaption),
        h(
          'div',
          { class: 'panel' },
          h('h2', {}, 'Generate'),
          h('label', { class: 'field inline' }, h('span', {}, 'seed'), seed),
          generate,
          h('figure', {}, samples),
        ),
        h(
          'div',
          { class: 'panel' },
          h('h2', {}, 'Traverse'),
          h(
            'div',
            {},
            h('label', { class: 'field inline' }, h('span', {}, 'dimension'), dimension),
            h('label', { class: 'field inline' }, h('span', {}, 'from item'), fromItem),
          ),
          h(
            'div',
            {},
            h('label', { class: 'field inline' }, h('span', {}, 'range ±'), range),
            h('label', { class: 'field inline' }, h('span', {}, 'steps'), steps),
            traverseButton,
          ),
          h('figure', {}, traversal, traversalCaption),
        ),
      ),
    ),
  );

  let map: LatentMap | undefined;
  let bounds = { lo: [0, 0], hi: [1, 1] };
  let chosen: number[] = [];
  const thumbs = new Map<number, string>();

  const toScreen = (x: number, y: number): [number, number] => [
    PAD + ((x - bounds.lo[0]) / (bounds.hi[0] - bounds.lo[0])) * (SIZE - 2 * PAD),
    SIZE - PAD - ((y - bounds.lo[1]) / (bounds.hi[1] - bounds.lo[1])) * (SIZE - 2 * PAD),
  ];
  const toPlane = (sx: number, sy: number): [number, number] => [
    bounds.lo[0] + ((sx - PAD) / (SIZE - 2 * PAD)) * (bounds.hi[0] - bounds.lo[0]),
    bounds.lo[1] + ((SIZE - PAD - sy) / (SIZE - 2 * PAD)) * (bounds.hi[1] - bounds.lo[1]),
  ];

  const draw = (marker?: [number, number]) => {
    const g = canvas.getContext('2d')!;
    g.fillStyle = '#fff';
    g.fillRect(0, 0, SIZE, SIZE);
    if (!map) return;
    g.strokeStyle = '#ddd';
    g.strokeRect(PAD, PAD, SIZE - 2 * PAD, SIZE - 2 * PAD);
    const { points, labels } = map;
    for (let i = 0; i * 2 < points.length; i++) {
      const [sx, sy] = toScreen(points[2 * i], points[2 * i + 1]);
      g.fillStyle = labels ? PALETTE[labels[i] % PALETTE.length] : '#4e79a7';
      g.globalAlpha = 0.75;
      g.beginPath();
      g.arc(sx, sy, 2.5, 0, 2 * Math.PI);
      g.fill();
    }
    g.globalAlpha = 1;
    g.lineWidth = 2;
    for (const id of chosen) {
      const [sx, sy] = toScreen(points[2 * id], points[2 * id + 1]);
      g.strokeStyle = '#111';
      g.beginPath();
      g.arc(sx, sy, 7, 0, 2 * Math.PI);
      g.stroke();
    }
    if (marker) {
      const [sx, sy] = marker;
      g.strokeStyle = '#d62728';
      g.beginPath();
      g.moveTo(sx - 7, sy);
      g.lineTo(sx + 7, sy);
      g.moveTo(sx, sy - 7);
      g.lineTo(sx, sy + 7);
      g.stroke();
    }
  };

  const nearest = (sx: number, sy: number): number | undefined => {
    if (!map) return undefined;
    let best: number | undefined;
    let bestD = HIT_RADIUS ** 2;
    for (let i = 0; i * 2 < map.points.length; i++) {
      const [px, py] = toScreen(map.points[2 * i], map.points[2 * i + 1]);
      const d = (px - sx) ** 2 + (py - sy) ** 2;
      if (d <= bestD) {
        bestD = d;
        best = i;
      }
    }
    return best;
  };

  const labelName = (i: number) => {
    const label = map?.labels?.[i];
    if (label === undefined) return '';
    return map?.classNames?.[label] ?? String(label);
  };

  const load = async (requested?: string) => {
    try {
      problem.replaceChildren();
      canvas.dataset.ready = 'false';
      map = await getJson<LatentMap>(`${base}/latent${requested ? `?map=${requested}` : ''}`);
      if (method.options.length === 0) {
        for (const m of map.latentSize === 2 ? ['codes', 'pca', 'umap'] : ['pca', 'umap'])
          method.append(h('option', { value: m, selected: m === map.method }, m));
      }
      if (dimension.options.length === 0) {
        // Every dimension at once only while the grid stays readable (the server draws at most 64 rows).
        if (map.latentSize <= 64) dimension.append(h('option', { value: 'all' }, 'all'));
        for (let d = 0; d < map.latentSize; d++) dimension.append(h('option', { value: d }, `z${d}`));
      }
      const xs = map.points.filter((_, i) => i % 2 === 0);
      const ys = map.points.filter((_, i) => i % 2 === 1);
      const span = (v: number[]) => {
        const lo = Math.min(...v);
        const hi = Math.max(...v);
        const pad = (hi - lo) * 0.05 || 1;
        return [lo - pad, hi + pad];
      };
      const [x0, x1] = span(xs);
      const [y0, y1] = span(ys);
      bounds = { lo: [x0, y0], hi: [x1, y1] };
      chosen = [];
      draw();
      const classes = [...new Set(map.labels ?? [])].sort((a, b) => a - b);
      legend.replaceChildren(
        ...classes.map((c) =>
          h(
            'span',
            {},
            h('i', { style: `background:${PALETTE[c % PALETTE.length]}` }),
            map?.classNames?.[c] ?? String(c),
          ),
        ),
      );
      hint.textContent = map.decodable
        ? `${map.points.length / 2} test items, ${map.latentSize}-D codes. Hover an item to see it; click empty space to decode that point; click two items to interpolate.`
        : `${map.points.length / 2} test items, ${map.latentSize}-D codes mapped by ${map.method}. Hover an item to see it; click two items to interpolate.`;
      canvas.dataset.ready = 'true';
    } catch (error) {
      problem.replaceChildren(errorBox(error));
    }
  };

  const position = (event: MouseEvent): [number, number] => {
    const rect = canvas.getBoundingClientRect();
    return [
      ((event.clientX - rect.left) * SIZE) / rect.width,
      ((event.clientY - rect.top) * SIZE) / rect.height,
    ];
  };

  canvas.addEventListener('mousemove', async (event) => {
    const [sx, sy] = position(event);
    const id = nearest(sx, sy);
    if (id === undefined || !map?.images) {
      tooltip.hidden = true;
      return;
    }
    tooltip.hidden = false;
    tooltip.style.left = `${sx + 12}px`;
    tooltip.style.top = `${sy + 12}px`;
    tipText.textContent = `#${id} ${labelName(id)}`;
    tooltip.dataset.item = String(id);
    let url = thumbs.get(id);
    if (!url) {
      url = await imageUrl(`${base}/items/${id}`);
      thumbs.set(id, url);
    }
    if (tooltip.dataset.item === String(id)) tipImage.src = url;
  });
  canvas.addEventListener('mouseleave', () => {
    tooltip.hidden = true;
  });
  canvas.addEventListener('click', async (event) => {
    if (!map) return;
    const [sx, sy] = position(event);
    const id = nearest(sx, sy);
    try {
      if (id !== undefined) {
        chosen = chosen.length >= 2 ? [id] : [...chosen, id];
        fromItem.value = String(id);
        draw();
        if (chosen.length === 2) {
          stripCaption.textContent = `from #${chosen[0]} (${labelName(chosen[0])}) to #${chosen[1]} (${labelName(chosen[1])})`;
          await showImage(strip, `${base}/interpolate`, { from: chosen[0], to: chosen[1], steps: 10 });
        } else stripCaption.textContent = `#${id} chosen: click another item`;
        return;
      }
      if (!map.decodable) return;
      const [x, y] = toPlane(sx, sy);
      draw([sx, sy]);
      await showImage(decoded, `${base}/decode`, { code: [x, y] });
      decodedCaption.textContent = `decoded z = (${x.toFixed(2)}, ${y.toFixed(2)})`;
    } catch (error) {
      problem.replaceChildren(errorBox(error));
    }
  });
  method.addEventListener('change', () => void load(method.value));
  generate.addEventListener('click', async () => {
    try {
      await showImage(samples, `${base}/sample`, { seed: Number(seed.value || 0), n: 16 });
    } catch (error) {
      problem.replaceChildren(errorBox(error));
    }
  });

  traverseButton.addEventListener('click', async () => {
    try {
      const ask: TraversalAsk = {
        from: Number(fromItem.value || 0),
        dims: dimension.value === 'all' ? 'all' : [Number(dimension.value)],
        range: Number(range.value || 3),
        steps: Number(steps.value || 11),
      };
      traversal.dataset.ready = 'false';
      await showImage(traversal, `${base}/traverse`, ask);
      traversal.dataset.ready = 'true';
      const which = ask.dims === 'all' ? 'each dimension' : `z${dimension.value}`;
      traversalCaption.textContent = `${which} of test item #${ask.from} from -${ask.range} to +${ask.range} (prior standard deviations for a model with a prior, else the spread of the training codes), ${ask.steps} steps; margin: the variance of each dimension's training codes`;
    } catch (error) {
      problem.replaceChildren(errorBox(error));
    }
  });

  void load();
  return () => {
    for (const url of thumbs.values()) URL.revokeObjectURL(url);
  };
}
