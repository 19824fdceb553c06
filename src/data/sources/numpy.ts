// `npz:PATH` and `npy:PATH`: numpy's formats, as ADBench and many Python pipelines ship tables. An npz gives its
// `X` (rows x features) and, when present, `y` (one integer label per row: class names are the distinct values,
// so ADBench's 0/1 read as classes "0" normal and "1" anomaly); an npy is one 2-D array of features.
import { basename } from 'node:path';
import { DataError } from '../../errors.js';
import { type NumpyArray, readNpy, readNpz } from '../../io/numpy.js';
import type { RawData } from '../dataset.js';
import { readBytes } from './files.js';

/** X as float32 rows, refused unless 2-D and finite (the cell named). */
function featuresOf(X: NumpyArray, file: string): { x: Float32Array; rows: number; cols: number } {
  if (X.shape.length !== 2)
    throw new DataError(`X: expected a 2-D array (rows, features), got shape (${X.shape.join(', ')})`, {
      path: file,
    });
  const [rows, cols] = X.shape;
  if (rows === 0 || cols === 0)
    throw new DataError(`X: expected rows and features, got shape (${rows}, ${cols})`, { path: file });
  const x = Float32Array.from(X.data);
  const bad = x.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0)
    throw new DataError(
      `X: value ${X.data[bad]} at row ${Math.floor(bad / cols)}, column ${bad % cols} is not a finite float32 number`,
      { path: file },
    );
  return { x, rows, cols };
}

/** y as class indices into the sorted distinct values (numerically sorted, so 10 comes after 9). */
function labelsOf(Y: NumpyArray, rows: number, file: string): { labels: Int32Array; classNames: string[] } {
  const count = Y.shape.reduce((a, b) => a * b, 1);
  if (count !== rows || Y.shape.length > 2 || (Y.shape.length === 2 && Y.shape[1] !== 1))
    throw new DataError(`y: expected one label per row of X (${rows}), got shape (${Y.shape.join(', ')})`, {
      path: file,
    });
  for (let i = 0; i < rows; i++)
    if (!Number.isInteger(Y.data[i]))
      throw new DataError(`y: expected integer class labels, got ${Y.data[i]} at row ${i}`, { path: file });
  const classes = [...new Set(Y.data)].sort((a, b) => a - b);
  const index = new Map(classes.map((value, i) => [value, i]));
  return {
    labels: Int32Array.from(Y.data, (value) => index.get(value) as number),
    classNames: classes.map(String),
  };
}

const rowIds = (rows: number) => Array.from({ length: rows }, (_, i) => String(i));

export async function loadNpz(spec: { path: string }): Promise<RawData> {
  const file = spec.path;
  const arrays = readNpz(await readBytes(file), file);
  if (!arrays.X) {
    const names = Object.keys(arrays);
    throw new DataError(
      `no array named X (the features): the npz holds ${names.length ? names.map((n) => `"${n}"`).join(', ') : 'no arrays'}; save it with numpy.savez(path, X=features, y=labels)`,
      { path: file },
    );
  }
  const { x, rows, cols } = featuresOf(arrays.X, file);
  const labelled = arrays.y ? labelsOf(arrays.y, rows, file) : undefined;
  return {
    name: basename(file),
    sampleShape: [cols],
    classNames: labelled?.classNames,
    // Row indices from 0, as numpy indexes them.
    train: { x, labels: labelled?.labels, ids: rowIds(rows) },
  };
}

export async function loadNpy(spec: { path: string }): Promise<RawData> {
  const file = spec.path;
  const { x, rows, cols } = featuresOf(readNpy(await readBytes(file), file), file);
  return { name: basename(file), sampleShape: [cols], train: { x, ids: rowIds(rows) } };
}
