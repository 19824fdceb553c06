// Scatter plots as PNG (latent codes coloured by label), drawn directly with pngjs: dots, axes through zero,
// and a legend of class colours numbered with a tiny built-in digit font.
import { PNG } from 'pngjs';

/** Tableau 10: distinct, colour-blind-friendlier than a rainbow. */
const PALETTE: ReadonlyArray<readonly [number, number, number]> = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
  [188, 189, 34],
  [23, 190, 207],
];

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

export interface ScatterOptions {
  size?: number;
  /** Dot radius in pixels. */
  radius?: number;
}

export function encodeScatter(
  points: Float32Array,
  labels?: ArrayLike<number>,
  { size = 640, radius = 2 }: ScatterOptions = {},
): Buffer {
  const n = points.length / 2;
  const png = new PNG({ width: size, height: size });
  png.data.fill(255);
  const set = (x: number, y: number, [r, g, b]: readonly [number, number, number], alpha = 1) => {
    if (x < 0 || y < 0 || x >= size || y >= size) return;
    const i = (y * size + x) * 4;
    png.data[i] = Math.round(png.data[i] * (1 - alpha) + r * alpha);
    png.data[i + 1] = Math.round(png.data[i + 1] * (1 - alpha) + g * alpha);
    png.data[i + 2] = Math.round(png.data[i + 2] * (1 - alpha) + b * alpha);
  };
  // Robust limits: the 0.5th and 99.5th percentiles, so a few outliers do not squash the plot.
  const axisRange = (offset: number) => {
    const values = Float32Array.from({ length: n }, (_, i) => points[i * 2 + offset]).sort();
    const lo = values[Math.floor(n * 0.005)] ?? -1;
    const hi = values[Math.min(n - 1, Math.ceil(n * 0.995))] ?? 1;
    const pad = (hi - lo) * 0.05 || 1;
    return [lo - pad, hi + pad] as const;
  };
  const [x0, x1] = axisRange(0);
  const [y0, y1] = axisRange(1);
  const px = (v: number) => Math.round(((v - x0) / (x1 - x0)) * (size - 1));
  const py = (v: number) => Math.round((1 - (v - y0) / (y1 - y0)) * (size - 1));
  const grey = [200, 200, 200] as const;
  if (x0 < 0 && x1 > 0) for (let y = 0; y < size; y++) set(px(0), y, grey);
  if (y0 < 0 && y1 > 0) for (let x = 0; x < size; x++) set(x, py(0), grey);
  for (let i = 0; i < n; i++) {
    const colour = PALETTE[(labels?.[i] ?? 0) % PALETTE.length];
    const cx = px(points[i * 2]);
    const cy = py(points[i * 2 + 1]);
    for (let dy = -radius; dy <= radius; dy++) {
      for (let dx = -radius; dx <= radius; dx++) {
        if (dx * dx + dy * dy <= radius * radius) set(cx + dx, cy + dy, colour, 0.6);
      }
    }
  }
  if (labels) {
    const classes = Math.min(PALETTE.length, Math.max(...Array.from(labels)) + 1);
    for (let c = 0; c < classes; c++) {
      const top = 8 + c * 14;
      for (let y = 0; y < 10; y++) for (let x = 0; x < 10; x++) set(size - 40 + x, top + y, PALETTE[c]);
      const bits = DIGITS[c];
      for (let r = 0; r < 5; r++) {
        for (let col = 0; col < 3; col++) {
          if (bits[r * 3 + col] !== '1') continue;
          for (let sy = 0; sy < 2; sy++)
            for (let sx = 0; sx < 2; sx++) set(size - 24 + col * 2 + sx, top + r * 2 + sy, [0, 0, 0]);
        }
      }
    }
  }
  return PNG.sync.write(png);
}

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
