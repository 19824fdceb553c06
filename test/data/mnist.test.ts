// The embedded MNIST subset through loadData: fixed split sizes, determinism by seed, pixel range.
import { describe, expect, it } from 'vitest';
import { listLocalDatasets, loadData } from '../../src/data/load.js';

describe('mnist', () => {
  it('splits 10,000 digits into 7,200 / 800 / 2,000', async () => {
    const splits = await loadData({ source: 'mnist' });
    expect(splits.train.size).toBe(7200);
    expect(splits.validation.size).toBe(800);
    expect(splits.test.size).toBe(2000);
    expect(splits.train.sampleShape).toEqual([28, 28, 1]);
    expect(splits.train.classNames).toHaveLength(10);
    expect(splits.scaling).toBeUndefined();
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const v of splits.train.x) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect(min).toBe(0);
    expect(max).toBeLessThanOrEqual(1);
    expect(max).toBeGreaterThan(0.9);
    expect(Math.max(...splits.test.labels!)).toBe(9);
  });

  it('gives the same split for the same seed and another for another seed', async () => {
    const first = (await loadData({ source: 'mnist' }, { seed: 0 })).test.labels!.subarray(0, 50);
    const again = (await loadData({ source: 'mnist' }, { seed: 0 })).test.labels!.subarray(0, 50);
    const other = (await loadData({ source: 'mnist' }, { seed: 1 })).test.labels!.subarray(0, 50);
    expect(Array.from(again)).toEqual(Array.from(first));
    expect(Array.from(other)).not.toEqual(Array.from(first));
  });

  it('honours validation and test fractions', async () => {
    const splits = await loadData({ source: 'mnist' }, { validationFraction: 0.25, testFraction: 0.5 });
    expect([splits.train.size, splits.validation.size, splits.test.size]).toEqual([3750, 1250, 5000]);
  });
});

describe('listLocalDatasets', () => {
  it('always lists mnist as available and says where fashion-mnist is or how to get it', async () => {
    const list = await listLocalDatasets();
    const mnist = list.find((d) => d.name === 'mnist')!;
    expect(mnist).toMatchObject({ spec: 'mnist', available: true, train: 8000, test: 2000 });
    const fashion = list.find((d) => d.name === 'fashion-mnist')!;
    if (fashion.available) expect(fashion.location).toBeTruthy();
    else expect(fashion.note).toContain('apt-get install -y dataset-fashion-mnist');
  });
});
