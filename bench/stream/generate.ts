// Generated data for the streaming bench and tests: rows of `features` numbers from a 4-dimensional latent
// (x = tanh(W z) + noise, W fixed by the seed), labelled by the quadrant of z's first two dimensions, written as
// Parquet (one row group per `rowsPerGroup`) or an Arrow IPC file (one record batch each), a group at a time so
// that writing a file far larger than memory holds one group.
import { createWriteStream } from 'node:fs';
import { rename } from 'node:fs/promises';
import {
  Field,
  Float32,
  Int32,
  makeData,
  RecordBatch,
  RecordBatchFileWriter,
  RecordBatchStreamWriter,
  Schema,
  Struct,
} from 'apache-arrow';
import { fileWriter, ParquetWriter } from 'hyparquet-writer';
import { createRng } from '../../src/data/random.js';

export interface GeneratedTable {
  rows: number;
  features: number;
  rowsPerGroup: number;
  seed: number;
}

const LATENT = 4;

/** Column `f<j>` for feature j, and `label`. */
export const featureNames = (features: number) => Array.from({ length: features }, (_, j) => `f${j}`);

/** The rows [start, start + n) as columns: features then labels (deterministic in seed and row range). */
export function generatedColumns(
  spec: GeneratedTable,
  start: number,
  n: number,
): { columns: Float32Array[]; labels: Int32Array } {
  const weights = createRng(spec.seed);
  const w = Float64Array.from({ length: spec.features * LATENT }, () => weights() * 2 - 1);
  // Each group's draws come from its own stream, so a group is the same whichever groups are written before it.
  const rng = createRng((spec.seed * 7919 + start) >>> 0);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const columns = Array.from({ length: spec.features }, () => new Float32Array(n));
  const labels = new Int32Array(n);
  const z = new Float64Array(LATENT);
  for (let r = 0; r < n; r++) {
    for (let k = 0; k < LATENT; k++) z[k] = gauss();
    labels[r] = (z[0] > 0 ? 1 : 0) + (z[1] > 0 ? 2 : 0);
    for (let j = 0; j < spec.features; j++) {
      let s = 0;
      for (let k = 0; k < LATENT; k++) s += w[j * LATENT + k] * z[k];
      columns[j][r] = Math.tanh(s) + 0.05 * gauss();
    }
  }
  return { columns, labels };
}

/** Writes the table as Parquet to `path` (through a temporary file, renamed when complete). */
export async function writeGeneratedParquet(path: string, spec: GeneratedTable): Promise<void> {
  const temporary = `${path}.partial`;
  const writer = new ParquetWriter({
    writer: fileWriter(temporary),
    schema: [
      { name: 'root', num_children: spec.features + 1 },
      ...featureNames(spec.features).map((name) => ({
        name,
        type: 'FLOAT' as const,
        repetition_type: 'REQUIRED' as const,
      })),
      { name: 'label', type: 'INT32' as const, repetition_type: 'REQUIRED' as const },
    ],
    // Random floats do not compress; snappy would only spend time.
    codec: 'UNCOMPRESSED',
    statistics: false,
  });
  for (let start = 0; start < spec.rows; start += spec.rowsPerGroup) {
    const n = Math.min(spec.rowsPerGroup, spec.rows - start);
    const { columns, labels } = generatedColumns(spec, start, n);
    writer.write({
      columnData: [
        ...featureNames(spec.features).map((name, j) => ({ name, data: columns[j] })),
        { name: 'label', data: labels },
      ],
      rowGroupSize: n,
    });
  }
  writer.finish();
  await rename(temporary, path);
}

/**
 * Writes the table as Arrow IPC to `path` (through a temporary file, renamed when complete): the file format
 * (random access, with a footer) or the stream format (read front to back).
 */
export async function writeGeneratedArrow(
  path: string,
  spec: GeneratedTable,
  format: 'file' | 'stream' = 'file',
): Promise<void> {
  const temporary = `${path}.partial`;
  const fields = [
    ...featureNames(spec.features).map((name) => new Field(name, new Float32(), false)),
    new Field('label', new Int32(), false),
  ];
  const schema = new Schema(fields);
  const out = createWriteStream(temporary);
  const writer = format === 'file' ? new RecordBatchFileWriter() : new RecordBatchStreamWriter();
  writer.pipe(out);
  for (let start = 0; start < spec.rows; start += spec.rowsPerGroup) {
    const n = Math.min(spec.rowsPerGroup, spec.rows - start);
    const { columns, labels } = generatedColumns(spec, start, n);
    const children = [
      ...columns.map((data) => makeData({ type: new Float32(), length: n, data })),
      makeData({ type: new Int32(), length: n, data: labels }),
    ];
    const struct = makeData({ type: new Struct(fields), length: n, children });
    writer.write(new RecordBatch(schema, struct));
  }
  writer.finish();
  await new Promise<void>((resolve, reject) => {
    out.on('finish', resolve);
    out.on('error', reject);
  });
  await rename(temporary, path);
}
