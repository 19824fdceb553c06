// k-nearest-neighbour imputation as scikit-learn's KNNImputer (uniform weights): distances are nan-euclidean
// over the encoded positions both rows observe, sqrt(width / present · Σ (a - b)²); a missing cell takes the mean
// of its k nearest donors (rows that observe it, at a finite distance) for a number, their most common level for a
// category; with no donor, the column's mean or mode. Written here: no npm package implements it, and it is a
// short loop over the distance matrix (O(rows² · width), fine for tables of thousands of rows).
import { completeRows, type Imputer, layoutOf, observed } from './imputer.js';
import { meanModeRow } from './mean-mode.js';

export function knnImputer(k = 5): Imputer {
  return {
    name: `kNN (k=${k})`,
    async impute(table) {
      const layout = layoutOf(table);
      const { rows, width, spans } = layout;
      const { x, mask } = table;
      const fallback = meanModeRow(table, layout);
      const fill = new Float32Array(rows * width);
      const distances = new Float64Array(rows);
      const order: number[] = [];
      for (let i = 0; i < rows; i++) {
        const gaps = spans.filter((span) => !observed(table, layout, i, span));
        if (gaps.length === 0) continue;
        const a = i * width;
        for (let j = 0; j < rows; j++) {
          const b = j * width;
          let sum = 0;
          let present = 0;
          for (let p = 0; p < width; p++) {
            if (mask[a + p] > 0 && mask[b + p] > 0) {
              const d = x[a + p] - x[b + p];
              sum += d * d;
              present++;
            }
          }
          distances[j] = present > 0 ? Math.sqrt((width / present) * sum) : Number.NaN;
        }
        for (const span of gaps) {
          order.length = 0;
          for (let j = 0; j < rows; j++)
            if (j !== i && observed(table, layout, j, span) && !Number.isNaN(distances[j])) order.push(j);
          const at = a + span.start;
          if (order.length === 0) {
            fill.set(fallback.subarray(span.start, span.start + span.width), at);
            continue;
          }
          // The k nearest; equal distances keep row order, as a stable sort would.
          order.sort((p, q) => distances[p] - distances[q] || p - q);
          const donors = order.slice(0, k);
          for (const j of donors)
            for (let w = 0; w < span.width; w++)
              fill[at + w] += x[j * width + span.start + w] / donors.length;
        }
      }
      return completeRows(table, layout, fill);
    },
  };
}
