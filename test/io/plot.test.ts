// Charts people can read: the scatter of codes or a map names its classes in a legend beside the data and titles
// its axes; the loss chart has a panel per loss term with a point per epoch for train and validation; both come
// out as PNGs of a sensible size.
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { FASHION_MNIST_CLASSES } from '../../src/data/sources/fashion-mnist.js';
import { encodeLossChart, encodeScatter, lossChartSpec, renderSvg, scatterSpec } from '../../src/io/plot.js';

const FASHION = [...FASHION_MNIST_CLASSES];

/** 300 points in three blobs far from the origin, labels 0, 1 and 9. */
function blobs(): { points: Float32Array; labels: Int32Array } {
  const n = 300;
  const points = new Float32Array(n * 2);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = [0, 1, 9][i % 3];
    labels[i] = label;
    points[i * 2] = 40 + label + Math.sin(i) * 0.5;
    points[i * 2 + 1] = -30 + label * 0.5 + Math.cos(i * 1.3) * 0.5;
  }
  return { points, labels };
}

const svgTexts = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

describe('scatter charts', () => {
  it('name the classes in the legend, in label order, and title the chart and both axes', async () => {
    const { points, labels } = blobs();
    const options = {
      classNames: FASHION,
      title: 'UMAP of the codes',
      axisTitles: ['UMAP 1', 'UMAP 2'] as const,
    };
    const spec = scatterSpec(points, labels, options) as unknown as {
      encoding: Record<string, { scale: object }>;
    };
    expect(spec.encoding.color.scale).toMatchObject({ domain: ['T-shirt/top', 'Trouser', 'Ankle boot'] });
    // No forced zero: the data sit far from the origin and the axes span the data.
    expect(spec.encoding.x.scale).toMatchObject({ zero: false });
    const texts = svgTexts(await renderSvg(spec as never));
    for (const text of [
      'T-shirt/top',
      'Trouser',
      'Ankle boot',
      'UMAP of the codes',
      'UMAP 1',
      'UMAP 2',
      'class',
    ])
      expect(texts).toContain(text);
    // Tick labels: numbers along both axes, none of them 0 here.
    expect(texts.filter((t) => /^−?\d+(\.\d+)?$/.test(t)).length).toBeGreaterThanOrEqual(6);
    expect(texts).not.toContain('0');
  });

  it('show a label without a class name as its number, and no legend for unlabelled points', async () => {
    const { points, labels } = blobs();
    expect(svgTexts(await renderSvg(scatterSpec(points, labels, { classNames: ['zero', 'one'] })))).toEqual(
      expect.arrayContaining(['zero', 'one', '9']),
    );
    expect(svgTexts(await renderSvg(scatterSpec(points)))).not.toContain('class');
  });

  it('come out as a PNG wider than tall (the legend sits to the right of a square data area)', async () => {
    const { points, labels } = blobs();
    const png = PNG.sync.read(await encodeScatter(points, labels, { classNames: FASHION }));
    expect(png.width).toBeGreaterThan(png.height);
    expect(png.height).toBeGreaterThanOrEqual(800);
    expect(png.width).toBeLessThan(2000);
  });
});

const history = (epochs: number) =>
  Array.from({ length: epochs }, (_, i) => ({
    epoch: i + 1,
    train: { loss: 10 / (i + 1), reconstruction: 9 / (i + 1), kl: 1 + i },
    validation: { loss: 11 / (i + 1), reconstruction: 10 / (i + 1), kl: 1.1 + i },
  }));

describe('loss charts', () => {
  it('plot each loss term in its own panel, one train and one validation point per epoch', async () => {
    const spec = lossChartSpec(history(5)) as unknown as {
      data: { values: { term: string; split: string }[] };
    };
    for (const term of ['loss', 'reconstruction', 'kl'])
      for (const split of ['train', 'validation'])
        expect(spec.data.values.filter((v) => v.term === term && v.split === split)).toHaveLength(5);
    const texts = svgTexts(await renderSvg(spec as never));
    for (const text of ['loss', 'reconstruction', 'kl', 'epoch', 'train', 'validation', 'Loss per epoch'])
      expect(texts).toContain(text);
  });

  it('leave out a term equal to the loss at every epoch, and a run without validation has train lines only', () => {
    const plain = [1, 2].map((epoch) => ({
      epoch,
      train: { loss: 1 / epoch, mse: 1 / epoch },
      validation: {},
    }));
    const spec = lossChartSpec(plain) as unknown as { data: { values: { term: string; split: string }[] } };
    expect(spec.data.values.map((v) => `${v.term}/${v.split}`)).toEqual(['loss/train', 'loss/train']);
  });

  it('come out as a PNG three panels wide', async () => {
    const png = PNG.sync.read(await encodeLossChart(history(3), { title: 'vae-mnist' }));
    expect(png.width).toBeGreaterThan(png.height * 2.5);
    expect(png.height).toBeGreaterThanOrEqual(400);
  });
});
