// `latentlab impute`: a table's missing cells filled by a trained table model (table-ae, table-vae, gain), written
// back as CSV with the file's columns, names and types. The file is read with the model's missing tokens and its
// columns typed as the model's encoding says; columns the model does not know (a label, an id) pass through as
// read, as texts. Observed cells are written as they were read (never through the encoders), so only gaps change; a cell
// holding a category the model never saw stays as it is.

import { existsSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { readCsvSpec } from '../data/sources/csv.js';
import type { DataSpec } from '../data/spec.js';
import { formatDataSpec } from '../data/spec.js';
import { decodeRows, encodeTable } from '../data/table/encode.js';
import { encodedWidth, type TableEncoding } from '../data/table/encoding.js';
import { type ColumnOverrides, typeTable } from '../data/table/infer.js';
import { isNumberColumn, type Table, type TableColumn } from '../data/table/table.js';
import { DataError, UsageError } from '../errors.js';
import type { EncodedRows } from '../eval/impute/imputer.js';
import { fillsGaps, modelImputer } from '../eval/impute/model.js';
import type { OnProgress } from '../eval/progress.js';
import { loadModel } from '../io/model-files.js';
import { writeTableCsv } from '../io/table-files.js';
import { resolveModelDir } from '../train/run-dir.js';

export interface ImputeOptions {
  /** A run directory or its model directory. */
  run: string;
  data: DataSpec;
  /** The CSV to write. */
  out: string;
  /** Model passes over the rows (see modelImputer); default 1. */
  rounds?: number;
  batchSize?: number;
  onProgress?: OnProgress;
}

export interface ImputeResult {
  rows: number;
  /** Per encoded column, in the model's order: cells filled. */
  filled: { column: string; cells: number }[];
  /** What encoding the file said (categories the model never saw: kept as they are). */
  notes: string[];
  out: string;
}

/** The file's table, its model columns typed as the encoding says (numbers or categories), the others as texts. */
function typedAsModel(cells: Awaited<ReturnType<typeof readCsvSpec>>, encoding: TableEncoding): Table {
  const names = cells.columns.map((column) => column.name);
  const lacking = encoding.columns.map((c) => c.name).filter((name) => !names.includes(name));
  if (lacking.length > 0)
    throw new DataError(
      `the table lacks the model's column${lacking.length === 1 ? '' : 's'} ${lacking.map((n) => `"${n}"`).join(', ')}; the model's columns are ${encoding.columns.map((c) => c.name).join(', ')}`,
      { path: cells.file },
    );
  // Columns the model does not know are read as texts, so they are written back exactly as they were.
  const columns: ColumnOverrides = {};
  cells.columns.forEach((column, c) => {
    if (c !== cells.labelIndex) columns[column.name] = 'categorical';
  });
  for (const column of encoding.columns)
    columns[column.name] = 'levels' in column ? 'categorical' : 'numeric';
  return typeTable(cells, { columns, statedBy: "the model's encoding", requireObserved: false });
}

/**
 * `table` with each missing cell of the encoded columns taken from `decoded` (same rows, the encoding's
 * columns); every other cell as it was. Returns the new table and the cells filled per encoded column.
 */
export function fillTable(table: Table, decoded: Table, encoding: TableEncoding) {
  const filled = encoding.columns.map((c) => ({ column: c.name, cells: 0 }));
  const columns = table.columns.map((column): TableColumn => {
    const index = encoding.columns.findIndex((c) => c.name === column.name);
    if (index < 0) return column;
    const source = decoded.columns.find((c) => c.name === column.name) as TableColumn;
    if (isNumberColumn(column)) {
      if (!isNumberColumn(source)) throw new Error(`decoded column "${column.name}" is not numeric`);
      const values = Float64Array.from(column.values);
      for (let r = 0; r < table.rows; r++)
        if (Number.isNaN(values[r])) {
          values[r] = source.values[r];
          filled[index].cells++;
        }
      return { ...column, values };
    }
    if (isNumberColumn(source)) throw new Error(`decoded column "${column.name}" is not categorical`);
    // Levels by text: a filled level the file never used is added to the column's levels.
    const levels = [...column.levels];
    const codeOf = new Map(levels.map((level, i) => [level, i]));
    const codes = Int32Array.from(column.codes);
    for (let r = 0; r < table.rows; r++) {
      if (codes[r] >= 0) continue;
      const text = source.levels[source.codes[r]];
      let code = codeOf.get(text);
      if (code === undefined) {
        code = levels.push(text) - 1;
        codeOf.set(text, code);
      }
      codes[r] = code;
      filled[index].cells++;
    }
    return { ...column, levels, codes };
  });
  return { table: { ...table, columns }, filled };
}

export async function imputeTable(options: ImputeOptions): Promise<ImputeResult> {
  const { data } = options;
  if (data.source !== 'csv')
    throw new UsageError(`impute fills tables: expected csv:FILE, got ${formatDataSpec(data)}`, {
      path: '--data',
    });
  // Where the table goes is checked before any work: a folder that is not there fails now, not after the fill.
  const outDir = dirname(resolve(options.out));
  if (!existsSync(outDir) || !statSync(outDir).isDirectory())
    throw new UsageError(`the folder to write ${basename(options.out)} into does not exist: ${outDir}`, {
      path: '--out',
    });
  const loaded = await loadModel(resolveModelDir(options.run));
  try {
    const { model, manifest } = loaded;
    const encoding = manifest.table;
    if (!fillsGaps(model))
      throw new UsageError(
        `${options.run} is a ${model.kind} model, which does not fill missing cells: train table-ae, table-vae or gain on the table`,
        { path: 'run' },
      );
    if (!encoding)
      throw new UsageError(
        `${options.run} was trained on numbers read without column encoders (a table with no gaps and no table options), so it has none to read a table with: train it with --numeric-encoding standard (or --columns)`,
        { path: 'run' },
      );
    // The model's missing tokens, so new data is read as its training data was, and the file's own besides.
    const cells = await readCsvSpec({
      ...data,
      missing: [...new Set([...encoding.missingTokens, ...(data.missing ?? [])])],
    });
    const table = typedAsModel(cells, encoding);
    const encoded = encodeTable(table, encoding);
    const rows: EncodedRows = { x: encoded.x, mask: encoded.mask, encoding };
    const width = encodedWidth(encoding);
    const imputer = modelImputer(model, {
      rounds: options.rounds,
      batchSize: options.batchSize,
      onBatch: (done) => options.onProgress?.({ task: 'impute', done, total: table.rows }),
    });
    const x = await imputer.impute(rows);
    if (x.length !== table.rows * width) throw new Error('imputed rows do not match the table');
    const decoded = decodeRows(x, encoding, { name: table.name });
    const result = fillTable(table, decoded, encoding);
    await writeTableCsv(options.out, result.table);
    return { rows: table.rows, filled: result.filled, notes: encoded.notes, out: options.out };
  } finally {
    loaded.model.dispose();
  }
}
