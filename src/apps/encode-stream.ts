// `latentlab encode` on streamed data: codes written block by block as the data streams (io/matrix-stream.ts),
// so data larger than memory is encoded with one chunk, one batch and one block of codes held at a time.
import { makeDataset } from '../data/dataset.js';
import type { StreamableSpec } from '../data/stream/sources.js';
import { encodeDataset } from '../eval/codes.js';
import type { OnProgress } from '../eval/progress.js';
import type { MatrixFormat } from '../io/arrays.js';
import { type MatrixBlock, writeMatrixStream } from '../io/matrix-stream.js';
import type { LoadedModel } from '../io/model-files.js';
import type { Autoencoder } from '../models/family.js';
import { type DataSplit, modelStream } from './model-data.js';

export interface StreamEncodeOptions {
  /** A split of the model's own data, or 'all': other data whole, in file order. */
  split: DataSplit | 'all';
  out: string;
  format: MatrixFormat;
  /** The first n rows only (0: all). */
  limit: number;
  onProgress?: OnProgress;
}

/** Encodes streamed rows into `out`; returns the rows and code size written. */
export async function encodeStreamToFile(
  loaded: LoadedModel,
  model: Autoencoder,
  spec: StreamableSpec,
  options: StreamEncodeOptions,
): Promise<{ rows: number; cols: number }> {
  const source = await modelStream(loaded, spec, options.split);
  const rows = options.limit > 0 ? Math.min(options.limit, source.rows) : source.rows;
  const labelled = source.classNames !== undefined;
  async function* codes(): AsyncGenerator<MatrixBlock> {
    let done = 0;
    for await (const block of source.blocks()) {
      const take = Math.min(block.rows, rows - done);
      if (take <= 0) break;
      const per = block.x.length / block.rows;
      const x = block.x.subarray(0, take * per);
      const labels = block.labels?.subarray(0, take);
      const encoded = await encodeDataset(
        model,
        makeDataset(source.name, model.context.sampleShape, x, labels),
      );
      yield {
        rows: take,
        data: encoded.data,
        ...(labels ? { labels } : {}),
        // The rows' own ids: image file names, or the 1-based row numbers of a Parquet or Arrow file.
        ids: Array.from({ length: take }, (_, i) => block.ids?.[i] ?? String(block.rowNumbers[i])),
      };
      done += take;
      options.onProgress?.({ task: 'encode', done, total: rows });
    }
  }
  await writeMatrixStream(options.out, codes(), {
    format: options.format,
    cols: model.latentSize,
    rows,
    labelled,
    withIds: true,
  });
  return { rows, cols: model.latentSize };
}
