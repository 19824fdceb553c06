// Keeping some classes (one-class training) and some labels per class (semi-supervised training).
import { describe, expect, it } from 'vitest';
import { keepLabelsPerClass, makeDataset, onlyClasses } from '../../src/data/dataset.js';

const labels = Int32Array.from([0, 1, 0, 2, 1, 0, 2, 2, 1]);
const dataset = makeDataset(
  'toy',
  [1],
  Float32Array.from(labels, (_, i) => i),
  labels,
  ['a', 'b', 'c'],
);

describe('onlyClasses', () => {
  it('keeps the samples of the given classes, in order, with the class names and numbers unchanged', () => {
    const kept = onlyClasses(dataset, [2, 0]);
    expect(Array.from(kept.x)).toEqual([0, 2, 3, 5, 6, 7]);
    expect(Array.from(kept.labels!)).toEqual([0, 0, 2, 0, 2, 2]);
    expect(kept.classNames).toEqual(['a', 'b', 'c']);
  });

  it('names a class the data does not have', () => {
    expect(() => onlyClasses(dataset, [3])).toThrow(/class 3 does not exist: the data has classes 0-2/);
  });
});

describe('keepLabelsPerClass', () => {
  it('keeps the first n labels of each class and marks the rest unlabelled', () => {
    const { partial, labelledOnly } = keepLabelsPerClass(dataset, 2);
    expect(Array.from(partial.labels!)).toEqual([0, 1, 0, 2, 1, -1, 2, -1, -1]);
    expect(Array.from(labelledOnly.x)).toEqual([0, 1, 2, 3, 4, 6]);
    expect(() => keepLabelsPerClass(dataset, 4)).toThrow(
      /class "a" has 3 training samples, fewer than the 4/,
    );
  });
});
