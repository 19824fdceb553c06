// A trained model's data: which splits an app can score, and those splits loaded as the model saw them.
import { z } from 'zod';
import type { DataSplits } from '../data/dataset.js';
import { loadData } from '../data/load.js';
import { DataSpec, formatDataSpec } from '../data/spec.js';
import { ConfigError, DataError } from '../errors.js';
import type { LoadedModel } from '../io/model-files.js';

export const DataSplit = z.enum(['train', 'validation', 'test']);
export type DataSplit = z.infer<typeof DataSplit>;

/**
 * Splits of `spec` (default: the data the model was trained on), loaded as the model saw them (its seed and
 * table scaling), checked against the model's sample shape.
 */
export async function modelData(loaded: LoadedModel, spec?: DataSpec): Promise<DataSplits> {
  const own = DataSpec.safeParse(loaded.manifest.data);
  if (!spec && !own.success)
    throw new ConfigError("the model's manifest does not say which data it was trained on: give the data", {
      path: 'data',
    });
  const chosen = spec ?? (own.data as DataSpec);
  const splits = await loadData(chosen, {
    seed: loaded.manifest.context.seed,
    scaling: loaded.manifest.scaling,
  });
  const expected = loaded.manifest.context.sampleShape;
  if (splits.test.sampleShape.join('x') !== expected.join('x')) {
    throw new DataError(
      `the model expects samples of shape [${expected}], the data has [${splits.test.sampleShape}]`,
      { path: formatDataSpec(chosen) },
    );
  }
  return splits;
}
