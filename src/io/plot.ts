// Charts as PNG: scatters of 2-D codes and maps coloured by class, and loss curves, declared as Vega-Lite specs,
// rendered to SVG by Vega in Node (no browser, no canvas) and rasterised by resvg. Chosen over Chart.js on a
// canvas because a spec is plain data (tests read the class names and axis titles off it and the SVG), Vega
// lays out axes, ticks and legends outside the data as plotting libraries do, and resvg ships its binary
// inside a platform sub-package, so `npm ci` downloads nothing at install time.
// The rest of the file draws straight onto pixels with pngjs: titled image panels (a 3x5 font) and heat maps.

import { existsSync } from 'node:fs';
import { PNG } from 'pngjs';
import type { TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from './atomic.js';

/** Tableau 10 then the lighter half of Tableau 20: distinct, colour-blind-friendlier than a rainbow. */
const PALETTE = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
  '#aec7e8',
  '#ffbb78',
  '#98df8a',
  '#ff9896',
  '#c5b0d5',
  '#c49c94',
  '#f7b6d2',
  '#c7c7c7',
  '#dbdb8d',
  '#9edae5',
];

/** The font the SVG asks for; the PNG gets the face chartFont finds (DejaVu Sans where it is installed). */
const FONT = 'DejaVu Sans, Liberation Sans, Helvetica, Arial, sans-serif';

/** Light, matplotlib/seaborn-like defaults: a framed data area, a faint grid, grey ticks, readable sizes. */
const CONFIG = {
  font: FONT,
  background: 'white',
  padding: 8,
  view: { stroke: '#444', strokeWidth: 0.8 },
  title: { fontSize: 15, fontWeight: 'normal', anchor: 'middle', offset: 10 },
  axis: {
    labelFontSize: 11,
    titleFontSize: 13,
    titleFontWeight: 'normal',
    gridColor: '#ececec',
    domain: false,
    tickColor: '#444',
    labelColor: '#222',
    titleColor: '#222',
  },
  legend: { labelFontSize: 12, titleFontSize: 13, titleFontWeight: 'normal', symbolSize: 80 },
  header: { labelFontSize: 13, titleFontSize: 13 },
} as const;

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

export interface ScatterOptions {
  /** Side of the (square) data area in CSS pixels; the PNG adds axes, title and legend, times `scale`. */
  size?: number;
  /** Dot radius in CSS pixels. */
  radius?: number;
  /** Pixels per CSS pixel in the PNG (2 reads well on a screen, as a 200-dpi matplotlib figure). */
  scale?: number;
  /** Class names by label index (Dataset.classNames); a label without one shows as its number. */
  classNames?: readonly string[];
  title?: string;
  /** Titles of the horizontal and vertical axes. */
  axisTitles?: readonly [string, string];
}

/** The 0.5th and 99.5th percentiles padded by 5%, so a few outliers do not squash the plot. */
function robustRange(points: Float32Array, offset: 0 | 1): [number, number] {
  const n = points.length / 2;
  const values = Float32Array.from({ length: n }, (_, i) => points[i * 2 + offset])
    .filter(Number.isFinite)
    .sort();
  const lo = values[Math.floor(values.length * 0.005)] ?? -1;
  const hi = values[Math.min(values.length - 1, Math.ceil(values.length * 0.995))] ?? 1;
  const pad = (hi - lo) * 0.05 || 1;
  return [lo - pad, hi + pad];
}

/**
 * The Vega-Lite spec of a scatter of `points` [n * 2], coloured by `labels` with a legend of class names to the
 * right of the data. No zero lines and no forced zero on the scales: on a latent map or a UMAP the origin means
 * nothing, so each axis spans the data (robust limits; points beyond them are clipped).
 */
export function scatterSpec(
  points: Float32Array,
  labels?: ArrayLike<number>,
  {
    size = 420,
    radius = 2,
    classNames,
    title,
    axisTitles = ['dimension 1', 'dimension 2'],
  }: ScatterOptions = {},
): TopLevelSpec {
  const n = Math.floor(points.length / 2);
  const name = (label: number) => classNames?.[label] ?? String(label);
  const values = Array.from({ length: n }, (_, i) => ({
    x: points[i * 2],
    y: points[i * 2 + 1],
    ...(labels ? { class: name(labels[i]) } : {}),
  }));
  // Legend order follows the label index (0, 1, ... 10), not the text order of the names.
  const present = labels ? [...new Set(Array.from(labels))].sort((a, b) => a - b) : [];
  const axis = (title: string, [lo, hi]: [number, number]) => ({
    type: 'quantitative' as const,
    title,
    scale: { domain: [lo, hi], zero: false, nice: false },
    axis: { tickCount: 6 },
  });
  return {
    $schema: SCHEMA,
    config: CONFIG,
    ...(title ? { title } : {}),
    width: size,
    height: size,
    data: { values },
    mark: {
      type: 'circle',
      size: Math.PI * radius * radius * 1.6,
      opacity: 0.55,
      clip: true,
      ...(labels ? {} : { color: PALETTE[0] }),
    },
    encoding: {
      x: { field: 'x', ...axis(axisTitles[0], robustRange(points, 0)) },
      y: { field: 'y', ...axis(axisTitles[1], robustRange(points, 1)) },
      ...(labels
        ? {
            color: {
              field: 'class',
              type: 'nominal' as const,
              title: 'class',
              scale: {
                domain: present.map(name),
                range: present.map((label) => PALETTE[label % PALETTE.length]),
              },
              legend: { orient: 'right' as const, symbolOpacity: 1, columns: present.length > 24 ? 2 : 1 },
            },
          }
        : {}),
    },
  } as TopLevelSpec;
}

/** A Vega-Lite spec as SVG text (Vega's SVG renderer in Node: no browser, no canvas). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vegaLite, vega] = await Promise.all([import('vega-lite'), import('vega')]);
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Where FONT's first faces usually are (Debian/Ubuntu, Fedora, Arch, macOS, Windows). */
const FONT_FILES = [
  ['DejaVu Sans', '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf'],
  ['DejaVu Sans', '/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf'],
  ['DejaVu Sans', '/usr/share/fonts/TTF/DejaVuSans.ttf'],
  ['Liberation Sans', '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf'],
  ['Arial', '/System/Library/Fonts/Supplemental/Arial.ttf'],
  ['Arial', 'C:\\Windows\\Fonts\\arial.ttf'],
] as const;

/**
 * One known font file when there is one: reading a single face is faster than scanning every system font on
 * each chart, and charts look the same on machines with other fonts installed. Else all system fonts.
 */
const chartFont = (() => {
  let font: { loadSystemFonts: boolean; fontFiles?: string[]; defaultFontFamily?: string } | undefined;
  return () => {
    if (!font) {
      const found = FONT_FILES.find(([, path]) => existsSync(path));
      font = found
        ? { loadSystemFonts: false, fontFiles: [found[1]], defaultFontFamily: found[0] }
        : { loadSystemFonts: true };
    }
    return font;
  };
})();

/** SVG text as a PNG, `scale` pixels per CSS pixel (see chartFont for the text). */
export async function svgToPng(svg: string, scale = 2): Promise<Buffer> {
  const { Resvg } = await import('@resvg/resvg-js');
  const font = chartFont();
  const rendered = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: { ...font, ...(font.defaultFontFamily ? { sansSerifFamily: font.defaultFontFamily } : {}) },
  }).render();
  return rendered.asPng();
}

/** A scatter of `points` [n * 2] coloured by `labels`, as a PNG (see scatterSpec). */
export async function encodeScatter(
  points: Float32Array,
  labels?: ArrayLike<number>,
  options: ScatterOptions = {},
): Promise<Buffer> {
  return svgToPng(await renderSvg(scatterSpec(points, labels, options)), options.scale);
}

export interface LossChartOptions {
  title?: string;
  /** Width of one panel in CSS pixels (height is two thirds of it). */
  panelWidth?: number;
  scale?: number;
}

interface EpochLosses {
  epoch: number;
  train: Record<string, number>;
  validation: Record<string, number>;
}

/**
 * The Vega-Lite spec of a run's history: one panel per loss term (its own y scale, the term as its title), train
 * and validation as two lines with a point per epoch. A term equal to `loss` at every epoch (a plain
 * autoencoder's `mse`) is left out: the same line twice says nothing.
 */
export function lossChartSpec(
  history: readonly EpochLosses[],
  { title = 'Loss per epoch', panelWidth = 300 }: LossChartOptions = {},
): TopLevelSpec {
  const splits = ['train', 'validation'] as const;
  const terms = [...new Set(history.flatMap((r) => splits.flatMap((s) => Object.keys(r[s]))))];
  const sameAsLoss = (term: string) =>
    term !== 'loss' &&
    history.every((r) => splits.every((s) => r[s][term] === undefined || r[s][term] === r[s].loss));
  const shown = terms
    .filter((t) => !sameAsLoss(t))
    .sort((a, b) => (a === 'loss' ? -1 : b === 'loss' ? 1 : 0));
  const values = history.flatMap((r) =>
    splits.flatMap((split) =>
      shown
        .filter((term) => Number.isFinite(r[split][term]))
        .map((term) => ({ epoch: r.epoch, split, term, value: r[split][term] })),
    ),
  );
  const lastEpoch = Math.max(2, ...history.map((r) => r.epoch));
  const panel = (term: string) => ({
    transform: [{ filter: { field: 'term', equal: term } }],
    title: term,
    width: panelWidth,
    height: Math.round((panelWidth * 2) / 3),
    mark: { type: 'line' as const, point: { size: 30, filled: true }, strokeWidth: 1.8 },
    encoding: {
      x: {
        field: 'epoch',
        type: 'quantitative' as const,
        title: 'epoch',
        scale: { domain: [1, lastEpoch], nice: false, padding: 8 },
        axis: { tickMinStep: 1, format: 'd' },
      },
      y: { field: 'value', type: 'quantitative' as const, title: term, scale: { zero: false, padding: 8 } },
      color: {
        field: 'split',
        type: 'nominal' as const,
        title: null,
        scale: { domain: [...splits], range: [PALETTE[0], PALETTE[1]] },
        legend: { orient: 'right' as const },
      },
    },
  });
  return {
    $schema: SCHEMA,
    // Left and bottom axis lines in place of a frame: Vega frames the panels of a concat unevenly.
    config: {
      ...CONFIG,
      view: { stroke: null },
      axis: { ...CONFIG.axis, domain: true, domainColor: '#444' },
    },
    title: { text: title, offset: 16 },
    data: { values },
    columns: Math.min(3, Math.max(1, shown.length)),
    concat: shown.map(panel),
    resolve: { scale: { y: 'independent', color: 'shared' } },
  } as TopLevelSpec;
}

/** A run's loss curves as a PNG (see lossChartSpec). */
export async function encodeLossChart(
  history: readonly EpochLosses[],
  options: LossChartOptions = {},
): Promise<Buffer> {
  return svgToPng(await renderSvg(lossChartSpec(history, options)), options.scale);
}

/** Draw `history` to `path` (temp file then rename: a viewer never sees half a PNG). */
export async function writeLossChart(
  path: string,
  history: readonly EpochLosses[],
  options: LossChartOptions = {},
): Promise<void> {
  await writeFileAtomic(path, await encodeLossChart(history, options));
}

// 3x5 bitmaps for 0-9, rows top to bottom, bits left to right.
const DIGITS = [
  '111101101101111',
  '010110010010111',
  '111001111100111',
  '111001111001111',
  '101101111001001',
  '111100111001111',
  '111100111101111',
  '111001001001001',
  '111101111101111',
  '111101111001111',
];

// 3x5 bitmaps for the letters, rows top to bottom (titles are drawn in capitals).
const LETTERS: Record<string, string> = {
  A: '010101111101101',
  B: '110101110101110',
  C: '011100100100011',
  D: '110101101101110',
  E: '111100110100111',
  F: '111100110100100',
  G: '011100101101011',
  H: '101101111101101',
  I: '111010010010111',
  J: '001001001101010',
  K: '101101110101101',
  L: '100100100100111',
  M: '101111111101101',
  N: '110101101101101',
  O: '010101101101010',
  P: '110101110100100',
  Q: '010101101110011',
  R: '110101110101101',
  S: '011100010001110',
  T: '111010010010010',
  U: '101101101101111',
  V: '101101101101010',
  W: '101101111111101',
  X: '101101010101101',
  Y: '101101010010010',
  Z: '111001010100111',
  '-': '000000111000000',
  '+': '000010111010000',
  '.': '000000000000010',
  _: '000000000000111',
  ' ': '000000000000000',
};

function glyph(ch: string): string {
  return /[0-9]/.test(ch) ? DIGITS[Number(ch)] : (LETTERS[ch.toUpperCase()] ?? LETTERS[' ']);
}

/** Width in pixels of `text` drawn with the 3x5 font at `scale` (one blank column between characters). */
export function textWidth(text: string, scale: number): number {
  return text.length === 0 ? 0 : (text.length * 4 - 1) * scale;
}

/** Draw `text` in black onto an RGBA buffer `width` pixels wide, top-left corner at (left, top). */
export function drawText(
  rgba: Uint8Array,
  width: number,
  text: string,
  left: number,
  top: number,
  scale: number,
): void {
  const height = rgba.length / 4 / width;
  [...text].forEach((ch, n) => {
    const bits = glyph(ch);
    for (let r = 0; r < 5; r++) {
      for (let c = 0; c < 3; c++) {
        if (bits[r * 3 + c] !== '1') continue;
        for (let sy = 0; sy < scale; sy++) {
          for (let sx = 0; sx < scale; sx++) {
            const x = left + (n * 4 + c) * scale + sx;
            const y = top + r * scale + sy;
            if (x < 0 || y < 0 || x >= width || y >= height) continue;
            const i = (y * width + x) * 4;
            rgba[i] = 0;
            rgba[i + 1] = 0;
            rgba[i + 2] = 0;
            rgba[i + 3] = 255;
          }
        }
      }
    }
  });
}

export interface TitledPanel {
  title: string;
  /** A PNG, e.g. an image grid from encodeImageGrid. */
  png: Buffer;
}

/** PNGs side by side on white, each with its title centred above it (e.g. one sample grid per model). */
export function encodeTitledPanels(
  panels: readonly TitledPanel[],
  { gap = 12, textScale = 3 }: { gap?: number; textScale?: number } = {},
): Buffer {
  const images = panels.map((p) => PNG.sync.read(p.png));
  const titleHeight = 5 * textScale + 2 * gap;
  const columns = images.map((img, i) => Math.max(img.width, textWidth(panels[i].title, textScale)));
  const width = columns.reduce((a, w) => a + w, 0) + gap * (images.length + 1);
  const height = titleHeight + Math.max(0, ...images.map((img) => img.height)) + gap;
  const out = new PNG({ width, height });
  out.data.fill(255);
  let left = gap;
  images.forEach((img, i) => {
    const column = columns[i];
    drawText(
      out.data,
      width,
      panels[i].title,
      left + Math.floor((column - textWidth(panels[i].title, textScale)) / 2),
      gap,
      textScale,
    );
    const x0 = left + Math.floor((column - img.width) / 2);
    for (let y = 0; y < img.height; y++) {
      const src = y * img.width * 4;
      img.data.copy(out.data, ((titleHeight + y) * width + x0) * 4, src, src + img.width * 4);
    }
    left += column + gap;
  });
  return PNG.sync.write(out);
}

// Inferno (matplotlib), sampled at nine even stops: dark to bright, perceptually even, readable in grey.
const INFERNO: ReadonlyArray<readonly [number, number, number]> = [
  [0, 0, 4],
  [31, 12, 72],
  [85, 15, 109],
  [136, 34, 106],
  [186, 54, 85],
  [227, 89, 51],
  [249, 140, 10],
  [249, 201, 50],
  [252, 255, 164],
];

/** The inferno colour of t in [0, 1] (clipped; NaN as 0), as 0-255 RGB, interpolated between stops. */
export function heatColour(t: number): [number, number, number] {
  const clipped = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  const position = clipped * (INFERNO.length - 1);
  const i = Math.min(INFERNO.length - 2, Math.floor(position));
  const f = position - i;
  const [a, b] = [INFERNO[i], INFERNO[i + 1]];
  return [0, 1, 2].map((k) => Math.round(a[k] + f * (b[k] - a[k]))) as [number, number, number];
}

/**
 * Values [n] as RGB in [0, 1] [n, 3] through the inferno map, value / max giving the position (0 dark, max and
 * above brightest): a heat map in the layout encodeImageGrid takes for 3-channel images.
 */
export function heatMapRgb(values: ArrayLike<number>, max: number): Float32Array {
  const out = new Float32Array(values.length * 3);
  const scale = max > 0 ? 1 / max : 0;
  for (let i = 0; i < values.length; i++) {
    const [r, g, b] = heatColour(values[i] * scale);
    out[i * 3] = r / 255;
    out[i * 3 + 1] = g / 255;
    out[i * 3 + 2] = b / 255;
  }
  return out;
}
