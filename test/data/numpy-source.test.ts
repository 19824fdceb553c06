// npz:PATH and npy:PATH as data: numpy's X and y arrays (ADBench's layout) as a table of numbers, split and scaled
// like a CSV of numbers; fixtures written by scripts/make-numpy-fixtures.py.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadData, loadRaw } from '../../src/data/load.js';
import { parseDataSpec } from '../../src/data/spec.js';

const fixture = (name: string) => join(import.meta.dirname, '..', 'fixtures', 'numpy', name);

describe('npz and npy data sources', () => {
  it('reads X and y from an npz: labels as classes of the distinct values, rows as ids', async () => {
    const raw = await loadRaw(parseDataSpec(`npz:${fixture('obvious.npz')}`));
    expect(raw.sampleShape.length).toBe(1);
    const rows = raw.train.x.length / raw.sampleShape[0];
    expect(raw.classNames).toEqual(['0', '1']);
    expect(raw.train.labels?.length).toBe(rows);
    expect(raw.train.ids?.[0]).toBe('0');
  });

  it('splits and scales an npz like a CSV of numbers (min-max fitted on the training split)', async () => {
    const splits = await loadData(parseDataSpec(`npz:${fixture('obvious.npz')}`));
    expect(splits.scaling?.method).toBe('minmax');
    const train = splits.train.x;
    expect(Math.min(...train)).toBeCloseTo(0, 6);
    expect(Math.max(...train)).toBeCloseTo(1, 6);
    const standard = await loadData(parseDataSpec(`npz:${fixture('obvious.npz')}`, { scaling: 'standard' }));
    expect(standard.scaling?.method).toBe('standard');
  });

  it('reads one 2-D array from an npy as unlabelled rows', async () => {
    const raw = await loadRaw(parseDataSpec(`npy:${fixture('f8.npy')}`));
    expect(raw.classNames).toBeUndefined();
    expect(raw.train.x.length % raw.sampleShape[0]).toBe(0);
  });

  it('names the arrays an npz without X holds', async () => {
    await expect(loadRaw(parseDataSpec(`npz:${fixture('no-x.npz')}`))).rejects.toThrow(
      /no-x\.npz: no array named X \(the features\): the npz holds "/,
    );
  });

  it('refuses a y with a label per row missing', async () => {
    await expect(loadRaw(parseDataSpec(`npz:${fixture('short-y.npz')}`))).rejects.toThrow(
      /y: expected one label per row of X/,
    );
  });

  it('refuses an npy that is not 2-D, naming its shape', async () => {
    await expect(loadRaw(parseDataSpec(`npy:${fixture('scalar.npy')}`))).rejects.toThrow(
      /X: expected a 2-D array \(rows, features\), got shape/,
    );
  });
});
