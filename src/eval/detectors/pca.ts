// PCA detector (Shyu et al. 2003): the sum over principal components of the squared projection divided by the
// component's variance, on features standardised as PyOD does; with every component it is the Mahalanobis
// distance, so deviations along low-variance directions count most.
import { type FeatureScaling, makeDataset } from '../../data/dataset.js';
import { applyScaling, fitScaling } from '../../data/scaling.js';
import type { Matrix } from '../../io/arrays.js';
import { fitPca, type PcaModel, pcaTransform } from '../pca.js';
import { checkColumns, type Detector, fitted } from './detector.js';

/** Below this a component's variance is noise (a constant or duplicated feature): its projection is skipped. */
const MIN_VARIANCE = 1e-6;

export class PcaDetector implements Detector {
  readonly name = 'pca';
  private state?: { model: PcaModel; scaling: FeatureScaling };

  async fit(x: Matrix): Promise<void> {
    const rows = makeDataset('pca', [x.cols], x.data);
    const scaling = fitScaling(rows, 'standard');
    this.state = { model: fitPca(applyScaling(rows, scaling), x.cols), scaling };
  }

  async score(x: Matrix): Promise<Float64Array> {
    const { model, scaling } = fitted(this.state, this.name);
    checkColumns(x, model.numFeatures, this.name);
    const codes = pcaTransform(model, applyScaling(makeDataset('pca', [x.cols], x.data), scaling));
    const k = model.numComponents;
    return Float64Array.from({ length: x.rows }, (_, i) => {
      let s = 0;
      for (let c = 0; c < k; c++) {
        const variance = model.explainedVariance[c];
        if (variance > MIN_VARIANCE) s += codes.data[i * k + c] ** 2 / variance;
      }
      return s;
    });
  }
}
