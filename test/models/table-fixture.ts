// A small mixed table for the table families' tests (tvae, ctgan), encoded by hand the way data/table encodes:
// x bimodal (modes at -5 and 5, mode-specific: alpha then the mode's one-hot), c a category that follows x's
// mode 9 times in 10, y = x / 2 + noise standardised, a tenth of y missing (mask 0, cell 0).
import { createRng } from '../../src/data/random.js';
import { encodedWidth, type TableEncoding } from '../../src/data/table/encoding.js';
import type { BuildContext } from '../../src/models/family.js';

export const MODES = { means: [-5, 5], stds: [1, 0.5] };

export const ENCODING: TableEncoding = {
  columns: [
    {
      name: 'x',
      type: 'numeric',
      method: 'mode',
      ...MODES,
      weights: [0.5, 0.5],
      min: -9,
      max: 7,
      missing: 0,
    },
    {
      name: 'c',
      type: 'categorical',
      method: 'onehot',
      levels: ['a', 'b', 'rare'],
      counts: [0, 0, 0],
      missing: 0,
    },
    {
      name: 'y',
      type: 'numeric',
      method: 'standard',
      offset: 0,
      scale: 2.6,
      min: -5,
      max: 5,
      missing: 0,
    },
  ],
  rows: 1,
  missingTokens: [''],
};

export const WIDTH = encodedWidth(ENCODING); // alpha, 2 modes, 3 levels, y: 7

export interface MixedTable {
  /** Encoded rows [n, WIDTH], row-major. */
  x: Float32Array;
  mask: Float32Array;
  encoding: TableEncoding;
  /** Per row: x's mode, c's level. */
  modes: Int32Array;
  levels: Int32Array;
}

/** n rows, seeded. The rare level (index 2) is 2% of rows: CTGAN's conditional vector must still reach it. */
export function mixedTable(n: number, seed = 1): MixedTable {
  const random = createRng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const x = new Float32Array(n * WIDTH);
  const mask = new Float32Array(n * WIDTH).fill(1);
  const modes = new Int32Array(n);
  const levels = new Int32Array(n);
  const counts = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const k = random() < 0.5 ? 0 : 1;
    const v = MODES.means[k] + MODES.stds[k] * gauss();
    const alpha = Math.max(-1, Math.min(1, (v - MODES.means[k]) / (4 * MODES.stds[k])));
    const level = random() < 0.02 ? 2 : random() < 0.9 ? k : 1 - k;
    const row = i * WIDTH;
    x[row] = alpha;
    x[row + 1 + k] = 1;
    x[row + 3 + level] = 1;
    if (random() < 0.1) mask[row + 6] = 0;
    else x[row + 6] = (v / 2 + 0.5 * gauss()) / 2.6;
    modes[i] = k;
    levels[i] = level;
    counts[level]++;
  }
  const [x0, c0, y0] = ENCODING.columns;
  return {
    x,
    mask,
    modes,
    levels,
    encoding: { ...ENCODING, columns: [x0, { ...c0, counts } as typeof c0, y0], rows: n },
  };
}

export function tableContext(table: MixedTable, seed = 3): BuildContext {
  return { sampleShape: [WIDTH], seed, table: table.encoding };
}
