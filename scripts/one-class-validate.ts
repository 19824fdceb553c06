// Choosing the one-class score without touching the test split: for runs trained by scripts/one-class-auroc.sh
// (class K's training images only), score the run's VALIDATION split (10% of Fashion-MNIST's training images, held
// out before training: class K's share is normal and unseen, the other classes' images are the anomalies) by every
// candidate score, and print the AUROC per class and the mean. The test split is never read.
//   node --import tsx scripts/one-class-validate.ts [--model conv-ae] [--runs runs/oneclass/conv-ae] [--classes 0,1,...]
// (runs named MODEL-K in RUNS, as scripts/one-class-auroc.sh writes them)
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  anomalyScorer,
  anomalyTruth,
  mahalanobisDistances,
  normalOnly,
  whitenCodes,
} from '../src/apps/detect.js';
import { modelData } from '../src/apps/model-data.js';
import { selectBackend } from '../src/engine/backend.js';
import { auroc, knnDistances } from '../src/eval/anomaly.js';
import { fitGaussian } from '../src/eval/code-prior.js';
import { encodeDataset, requireAutoencoder } from '../src/eval/codes.js';
import { loadModel } from '../src/io/model-files.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    model: { type: 'string', default: 'conv-ae' },
    classes: { type: 'string', default: '0,1,2,3,4,5,6,7,8,9' },
    neighbours: { type: 'string', default: '1,5,20' },
  },
});
const runs = values.runs ?? join('runs/oneclass', values.model);
const classes = values.classes.split(',').map(Number);
const ks = values.neighbours.split(',').map(Number);

/** Scores standardised by their mean and deviation over the normal validation samples, then summed. */
function standardisedSum(parts: Float32Array[], normal: Uint8Array): Float32Array {
  const out = new Float32Array(parts[0].length);
  for (const s of parts) {
    let n = 0;
    let mean = 0;
    for (let i = 0; i < s.length; i++) {
      if (!normal[i]) continue;
      mean += s[i];
      n++;
    }
    mean /= n;
    let variance = 0;
    for (let i = 0; i < s.length; i++) if (normal[i]) variance += (s[i] - mean) ** 2;
    const sd = Math.sqrt(variance / (n - 1));
    for (let i = 0; i < s.length; i++) out[i] += (s[i] - mean) / sd;
  }
  return out;
}

await selectBackend();
const table = new Map<string, number[]>();
const add = (name: string, value: number) => table.set(name, [...(table.get(name) ?? []), value]);
for (const K of classes) {
  const loaded = await loadModel(join(runs, `${values.model}-${K}`, 'model'));
  const ae = requireAutoencoder(loaded.model, 'the one-class scores');
  const splits = await modelData(loaded);
  const train = normalOnly(splits.train, [K]);
  const validation = splits.validation;
  const truth = anomalyTruth(validation, [K])?.truth as Uint8Array;
  const normal = truth.map((t) => 1 - t);
  const trainCodes = await encodeDataset(ae, train);
  const codes = await encodeDataset(ae, validation);
  const gaussian = fitGaussian(trainCodes);
  const mse = await (await anomalyScorer(loaded.model, 'mse')).scores(validation);
  const mahalanobis = mahalanobisDistances(gaussian, codes);
  add('mse', auroc(mse, truth));
  add('mahalanobis', auroc(mahalanobis, truth));
  const whiteTrain = whitenCodes(gaussian, trainCodes);
  const white = whitenCodes(gaussian, codes);
  for (const k of ks) {
    const knn = knnDistances(whiteTrain, white, k);
    add(`knn k=${k}`, auroc(knn, truth));
    add(`knn, codes not whitened, k=${k}`, auroc(knnDistances(trainCodes, codes, k), truth));
    add(`mse + knn k=${k}`, auroc(standardisedSum([mse, knn], normal), truth));
  }
  add('mse + mahalanobis', auroc(standardisedSum([mse, mahalanobis], normal), truth));
  loaded.model.dispose();
  process.stderr.write(`class ${K}: ${validation.size} validation images, ${train.size} training codes\n`);
}
const pct = (v: number) => (100 * v).toFixed(1);
console.log(`| score | ${classes.join(' | ')} | mean |`);
console.log(`| --- | ${classes.map(() => '---:').join(' | ')} | ---: |`);
for (const [name, v] of table)
  console.log(`| ${name} | ${v.map(pct).join(' | ')} | ${pct(v.reduce((a, b) => a + b, 0) / v.length)} |`);
