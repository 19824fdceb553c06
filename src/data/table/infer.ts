// Column types of a CSV read by read.ts, decided on the training rows only (so held-out rows never shape the
// model) and overridable per column: numbers that are all whole are `integer`, other numbers `numeric`, two
// levels that read as false/true (no/yes, n/y, f/t) `boolean`, any other text `categorical`. What cannot be
// typed is refused with the fix: half or more numbers with some text asks whether the text is a gap or the column a
// category; a column with no observed training cell or with about one level per row (an
// id) should be ignored; a column of numbers with text in held-out rows should be named categorical or have
// that text listed as missing.
import { z } from 'zod';
import { DataError, UsageError } from '../../errors.js';
import { ColumnType } from './encoding.js';
import {
  type CsvCells,
  cellText,
  columnLabel,
  MISSING_CODE,
  NON_FINITE,
  rowAt,
  sortedTexts,
} from './read.js';
import type { CategoryColumnData, NumberColumn, Table, TableColumn } from './table.js';

/** A column's type as stated by the user, or `ignore` to leave the column out. */
export const ColumnChoice = z.union([ColumnType, z.literal('ignore')]);
export type ColumnChoice = z.infer<typeof ColumnChoice>;
/** Per column name (or #N without a header), its stated type. */
export const ColumnOverrides = z.record(z.string().min(1), ColumnChoice);
export type ColumnOverrides = z.infer<typeof ColumnOverrides>;

export interface TypeOptions {
  /** The rows types are inferred on (the training split); default every row. */
  trainRows?: ArrayLike<number>;
  /** Stated types, which win over inference (and `ignore`, which drops the column). */
  columns?: ColumnOverrides;
  /** Where stated types came from, for messages: `--columns` (default) or a model's encoding. */
  statedBy?: string;
  /** false: a stated column may have no observed cell (new data scored by a model whose columns are fixed). */
  requireObserved?: boolean;
}

// An inferred text column with more levels than this, and than half the training rows, is an id: one level per
// row teaches a model nothing and costs a one-hot position per row.
const MAX_LEVELS = 100;

const BOOLEAN_PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['false', 'true'],
  ['no', 'yes'],
  ['n', 'y'],
  ['f', 't'],
];

/** The levels of a two-level column in [false, true] order, when they read as a boolean pair. */
function booleanLevels(levels: readonly string[]): [string, string] | undefined {
  if (levels.length !== 2) return undefined;
  const lower = levels.map((level) => level.toLowerCase());
  for (const [no, yes] of BOOLEAN_PAIRS) {
    const i = lower.indexOf(no);
    const j = lower.indexOf(yes);
    if (i >= 0 && j >= 0) return [levels[i], levels[j]];
  }
  return undefined;
}

const ignoreHint = (cells: CsvCells, c: number) =>
  `leave it out with --columns ${cells.columns[c].name}:ignore (data spec "columns": {"${cells.columns[c].name}": "ignore"})`;

/** The table's columns typed (label column as categorical, ignored columns dropped), checked as the header says. */
export function typeTable(cells: CsvCells, options: TypeOptions = {}): Table {
  const stated = options.columns ?? {};
  const statedBy = options.statedBy ?? '--columns';
  const names = cells.columns.map((column) => column.name);
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name))
      throw new DataError(
        `column "${name}" appears more than once in the header: columns are known by name`,
        {
          path: cells.headerLine ? `${cells.file}:${cells.headerLine}` : cells.file,
        },
      );
    seen.add(name);
  }
  const unknown = Object.keys(stated).filter((name) => !seen.has(name));
  if (unknown.length > 0)
    throw new UsageError(
      `${unknown.map((n) => `"${n}"`).join(', ')} ${unknown.length === 1 ? 'is not a column' : 'are not columns'} of ${cells.file}; its columns are ${names.join(', ')}`,
      { path: statedBy },
    );
  const train = options.trainRows ?? Int32Array.from({ length: cells.rows }, (_, i) => i);
  const columns: TableColumn[] = [];
  cells.columns.forEach((_, c) => {
    if (c === cells.labelIndex) {
      columns.push(categoryColumn(cells, c, 'categorical'));
      return;
    }
    const choice = stated[names[c]];
    if (choice === 'ignore') return;
    columns.push(typeColumn(cells, c, train, choice, statedBy, options.requireObserved ?? true));
  });
  if (columns.length === (cells.labelIndex >= 0 ? 1 : 0))
    throw new DataError('expected at least one column besides the label (every other one is ignored)', {
      path: cells.file,
    });
  return { name: cells.name, rows: cells.rows, columns, lines: cells.lines };
}

function typeColumn(
  cells: CsvCells,
  c: number,
  train: ArrayLike<number>,
  choice: ColumnType | undefined,
  statedBy: string,
  requireObserved: boolean,
): TableColumn {
  const { values, codes } = cells.columns[c];
  let observed = 0;
  let numbers = 0;
  let whole = true;
  let firstText = -1;
  for (let i = 0; i < train.length; i++) {
    const r = train[i];
    if (codes[r] <= MISSING_CODE) continue;
    observed++;
    const v = values[r];
    if (Number.isNaN(v)) {
      if (firstText < 0) firstText = r;
    } else {
      numbers++;
      if (!Number.isInteger(v)) whole = false;
    }
  }
  const label = columnLabel(cells, c);
  if (observed === 0 && (requireObserved || !choice))
    throw new DataError(
      `${label} has no observed cell in the ${train.length} training rows (every one is one of the missing tokens ${cells.missingTokens.map((t) => JSON.stringify(t)).join(', ')}): ${ignoreHint(cells, c)}`,
      { path: cells.file },
    );
  if (choice === 'numeric' || choice === 'integer')
    return numberColumn(cells, c, choice, statedBy, !requireObserved);
  if (choice) return categoryColumn(cells, c, choice, statedBy);
  if (numbers === observed) {
    return numberColumn(cells, c, whole ? 'integer' : 'numeric');
  }
  // Text beside numbers only because of an infinity: say so rather than make it a category.
  if (NON_FINITE.test(cellText(cells, c, firstText)) && onlyNonFiniteText(cells, c, train))
    throw new DataError(
      `${label}: expected a finite number, got ${JSON.stringify(cellText(cells, c, firstText))}`,
      { path: rowAt(cells, firstText) },
    );
  // Half or more numbers with some text is most often a gap written some other way ("-", "unknown") or a typo, not a
  // category whose levels are numbers: asked rather than guessed.
  if (numbers * 2 >= observed) {
    const text = cellText(cells, c, firstText);
    throw new DataError(
      `${label} holds numbers in ${numbers} of its ${observed} observed training cells, and the text ${JSON.stringify(text)} here: list the text as missing (--missing ${JSON.stringify(text)}) or state the column categorical (--columns ${cells.columns[c].name}:categorical)`,
      { path: rowAt(cells, firstText) },
    );
  }
  const trainLevels = new Set<string>();
  for (let i = 0; i < train.length; i++) {
    const r = train[i];
    if (codes[r] > MISSING_CODE) trainLevels.add(cellText(cells, c, r));
  }
  if (trainLevels.size > MAX_LEVELS && trainLevels.size > train.length / 2)
    throw new DataError(
      `${label} has ${trainLevels.size} distinct texts in ${train.length} training rows (e.g. ${[
        ...trainLevels,
      ]
        .slice(0, 3)
        .map((t) => JSON.stringify(t))
        .join(', ')}): an id or free text, not a category; ${ignoreHint(cells, c)}, or state its type`,
      { path: cells.file },
    );
  const pair = booleanLevels([...trainLevels]);
  return categoryColumn(cells, c, pair ? 'boolean' : 'categorical', undefined, pair);
}

function onlyNonFiniteText(cells: CsvCells, c: number, train: ArrayLike<number>): boolean {
  const { values, codes } = cells.columns[c];
  for (let i = 0; i < train.length; i++) {
    const r = train[i];
    if (codes[r] > MISSING_CODE && Number.isNaN(values[r]) && !NON_FINITE.test(cellText(cells, c, r)))
      return false;
  }
  return true;
}

/**
 * A number column over every row: a text cell is an error at its line (it is numbers in training, or stated so),
 * as is a fraction in a column stated integer.
 */
function numberColumn(
  cells: CsvCells,
  c: number,
  type: NumberColumn['type'],
  statedBy?: string,
  fixed = false,
): NumberColumn {
  const { values, codes } = cells.columns[c];
  const label = columnLabel(cells, c);
  const why = statedBy
    ? `is stated ${type} (${statedBy})`
    : 'holds only numbers in the training rows, so it is read as numbers';
  for (let r = 0; r < cells.rows; r++) {
    if (codes[r] <= MISSING_CODE) continue;
    const v = values[r];
    if (Number.isNaN(v)) {
      const text = cellText(cells, c, r);
      throw new DataError(
        NON_FINITE.test(text)
          ? `${label}: expected a finite number, got ${JSON.stringify(text)}`
          : `${label} ${why}, but this row has the text ${JSON.stringify(text)}: ${
              // A trained model's column types are fixed: only reading the text as missing is left.
              fixed ? '' : `state the column categorical (--columns ${cells.columns[c].name}:categorical) or `
            }list the text as missing (--missing ${JSON.stringify(text)})`,
        { path: rowAt(cells, r) },
      );
    }
    if (statedBy && type === 'integer' && !Number.isInteger(v))
      throw new DataError(`${label} ${why}, but this row has ${cellText(cells, c, r)}`, {
        path: rowAt(cells, r),
      });
  }
  // Missing cells already hold NaN: the values are the table's as read.
  return { name: cells.columns[c].name, type, values };
}

/** A category column over every row: levels are the distinct texts (booleans as [false, true], then any other). */
function categoryColumn(
  cells: CsvCells,
  c: number,
  type: CategoryColumnData['type'],
  statedBy?: string,
  trainPair?: readonly string[],
): CategoryColumnData {
  const { codes } = cells.columns[c];
  const texts = new Set<string>();
  for (let r = 0; r < cells.rows; r++) if (codes[r] > MISSING_CODE) texts.add(cellText(cells, c, r));
  let levels = sortedTexts(texts);
  if (type === 'boolean') {
    // Inferred booleans had two levels in training; held-out rows may bring others (read later as unseen).
    const pair = statedBy ? (booleanLevels(levels) ?? (levels.length <= 2 ? levels : undefined)) : trainPair;
    if (!pair)
      throw new DataError(
        `${columnLabel(cells, c)} is stated boolean (${statedBy}) but has ${levels.length} levels: ${levels.slice(0, 5).join(', ')}`,
        { path: cells.file },
      );
    levels = [...pair, ...levels.filter((level) => !pair.includes(level))];
  }
  const index = new Map(levels.map((level, i) => [level, i]));
  const out = new Int32Array(cells.rows);
  for (let r = 0; r < cells.rows; r++)
    out[r] = codes[r] <= MISSING_CODE ? -1 : (index.get(cellText(cells, c, r)) as number);
  return { name: cells.columns[c].name, type, levels, codes: out };
}
