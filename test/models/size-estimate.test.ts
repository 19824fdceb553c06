// The parameter estimate that refuses oversized models before they are built (src/models/limits.ts) stays close to
// the real count for every family at its defaults, on MNIST-shaped and table-shaped samples.
import { beforeAll, describe, expect, it } from 'vitest';
import type { TableEncoding } from '../../src/data/table/encoding.js';
import { estimateParameters } from '../../src/models/limits.js';
import { listFamilies } from '../../src/models/registry.js';
import { useBackend } from '../helpers.js';

beforeAll(async () => {
  await useBackend('wasm');
});

/** 10 columns of 10 categories: rows of 100 encoded values, for the families that need column encoders. */
const TEN_CATEGORIES: TableEncoding = {
  rows: 1000,
  missingTokens: [''],
  columns: Array.from({ length: 10 }, (_, i) => ({
    name: `c${i}`,
    type: 'categorical' as const,
    method: 'onehot' as const,
    missing: 0,
    levels: Array.from({ length: 10 }, (_, j) => `level${j}`),
    counts: Array(10).fill(100),
  })),
};

describe('estimateParameters', () => {
  const cases = listFamilies().flatMap((family) => [
    // GAIN's default widths are the encoded row's, known at build time only (where it sizes itself): stated here.
    { family, options: family.kind === 'gain' ? { hidden: [100, 100] } : {}, name: family.kind },
    // The sequence families' transformer networks are counted apart from their RNNs.
    ...(family.needsSequences
      ? [{ family, options: { network: 'transformer', layers: 3 }, name: `${family.kind} (transformer)` }]
      : []),
  ]);
  for (const { family, options, name } of cases) {
    it(`${name}: within a factor of 3 of the built model`, () => {
      // Sequence families on token ids: 32 a row over a vocabulary of 5,000; wave-ae on one second at 8 kHz; the
      // table families on rows of 100 encoded values.
      const table = family.tableEncoding !== undefined;
      const shape = family.needsSequences
        ? [32]
        : family.kind === 'wave-ae'
          ? [8192, 1]
          : table
            ? [100]
            : [28, 28, 1];
      const vocabularySize = family.needsSequences ? 5000 : undefined;
      const config = family.configSchema.parse({ kind: family.kind, ...options }) as Record<string, unknown>;
      const context = { sampleShape: shape, numClasses: 10, vocabularySize, seed: 0 };
      const model = family.build(config, table ? { ...context, table: TEN_CATEGORIES } : context);
      try {
        const built = Object.values(model.networks).reduce((n, net) => n + net.countParams(), 0);
        const estimate = estimateParameters(config, shape, vocabularySize);
        expect(estimate, `built ${built}`).toBeGreaterThan(built / 3);
        expect(estimate, `built ${built}`).toBeLessThan(built * 3);
      } finally {
        model.dispose();
      }
    });
  }
});
