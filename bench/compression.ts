// The VQ-VAE compression figure of docs/zoo/vq-vae.md: `train RUN` trains the VQ-VAE on Fashion-MNIST (without
// the per-epoch sample monitor, whose 1,000 ancestral samples an epoch would cost more than the epoch itself);
// `report RUN` measures it on the test split beside PNG, JPEG and WebP (sharp) at the VQ-VAE's PSNR.
// Usage: node --import tsx bench/compression.ts train RUN [autoencoderEpochs] [priorEpochs]
//        node --import tsx bench/compression.ts report RUN [images]
// `report` writes RUN/test.llq, RUN/vq-vae-samples.png and RUN/vq-vae-reconstructions.png.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { compressVq, datasetCodeIndices, decodeVqCodes, imagesFromIndices } from '../src/apps/vq-compress.js';
import { type Dataset, head } from '../src/data/dataset.js';
import { loadData } from '../src/data/load.js';
import { DataSpec } from '../src/data/spec.js';
import { selectBackend, tf } from '../src/engine/index.js';
import { QualityMeter } from '../src/eval/image-quality.js';
import { modelId } from '../src/io/code-file.js';
import { loadModel } from '../src/io/model-files.js';
import { encodeImage, encodeImageGrid } from '../src/io/png.js';
import { decodeVqCodeFile } from '../src/io/vq-code-file.js';
import { hasDiscreteCodes } from '../src/models/shared/discrete-codes.js';
import type { VqVaeModel } from '../src/models/vq-vae/model.js';
import { trainRun } from '../src/train/run.js';

const [mode, run, ...rest] = process.argv.slice(2);

async function train(dir: string, autoencoderEpochs: number, priorEpochs: number): Promise<void> {
  const started = performance.now();
  const result = await trainRun(
    {
      seed: 0,
      model: { kind: 'vq-vae', autoencoderEpochs, priorEpochs },
      data: { source: 'fashion-mnist' },
      // 20,000 training images: this machine's two shared cores give each epoch of the 54,000 about 3 minutes.
      train: { epochs: autoencoderEpochs + priorEpochs, limit: 20_000 },
    },
    dir,
    {
      monitor: false,
      callbacks: {
        onEpochEnd: (r) =>
          console.log(
            `epoch ${r.epoch}: ${((performance.now() - started) / 1000).toFixed(0)} s`,
            JSON.stringify({ train: r.train, validation: r.validation }),
          ),
      },
    },
  );
  console.log('test', JSON.stringify(result.test));
  result.model.dispose();
}

/** Mean per-image PSNR (dB) of `decoded` against `original`, both flat [n, 28, 28, 1] in [0, 1]. */
function psnr(original: Float32Array, decoded: Float32Array): number {
  return new QualityMeter([28, 28, 1], { window: 11 }).add(original, decoded).result().psnr;
}

/** Each image through sharp's JPEG or WebP at `quality` and back: mean bytes per image and mean PSNR. */
async function codec(data: Dataset, format: 'jpeg' | 'webp', quality: number) {
  const per = 28 * 28;
  const back = new Float32Array(data.x.length);
  let bytes = 0;
  for (let i = 0; i < data.size; i++) {
    const pixels = Buffer.from(
      Array.from(data.x.subarray(i * per, (i + 1) * per), (v) => Math.round(v * 255)),
    );
    const raw = { raw: { width: 28, height: 28, channels: 1 as const } };
    const image = sharp(pixels, raw).toColourspace('b-w');
    const file =
      format === 'jpeg'
        ? await image.jpeg({ quality, chromaSubsampling: '4:4:4' }).toBuffer()
        : await image.webp({ quality }).toBuffer();
    bytes += file.length;
    const decoded = await sharp(file).extractChannel(0).raw().toBuffer();
    for (let j = 0; j < per; j++) back[i * per + j] = decoded[j] / 255;
  }
  return { quality, bytesPerImage: bytes / data.size, psnr: psnr(data.x, back) };
}

/** The lowest quality (1 to 100) whose mean PSNR reaches `target`, by bisection (PSNR rises with quality). */
async function matchPsnr(data: Dataset, format: 'jpeg' | 'webp', target: number) {
  let [lo, hi] = [1, 100];
  const tried = new Map<number, Awaited<ReturnType<typeof codec>>>();
  const at = async (q: number) => tried.get(q) ?? tried.set(q, await codec(data, format, q)).get(q)!;
  if ((await at(hi)).psnr < target) return { match: await at(hi), below: undefined };
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if ((await at(mid)).psnr >= target) hi = mid;
    else lo = mid + 1;
  }
  return { match: await at(lo), below: lo > 1 ? await at(lo - 1) : undefined };
}

async function report(dir: string, images: number): Promise<void> {
  const modelDir = join(dir, 'model');
  const loaded = await loadModel(modelDir);
  if (!hasDiscreteCodes(loaded.model)) throw new Error(`${dir} is not a vq-vae run`);
  const model = loaded.model as VqVaeModel;
  const splits = await loadData(DataSpec.parse(loaded.manifest.data), {
    seed: loaded.manifest.context.seed,
    scaling: loaded.manifest.scaling,
  });
  const test = splits.test;
  const [h, w] = model.codeGrid;
  // The whole test split: reconstruction error and the prior's bits per image (one pass per batch).
  const indices = await datasetCodeIndices(model, test);
  const decoded = await imagesFromIndices(model, indices, test.size);
  let squared = 0;
  for (let i = 0; i < decoded.length; i++) squared += (decoded[i] - test.x[i]) ** 2;
  let nats = 0;
  for (let start = 0; start < test.size; start += 500) {
    const n = Math.min(500, test.size - start);
    const sum = tf.tidy(() => {
      const grid = tf.tensor3d(indices.subarray(start * h * w, (start + n) * h * w), [n, h, w], 'int32');
      return tf.sum(model.codeLogProbabilities(grid));
    });
    nats -= sum.dataSync()[0];
    sum.dispose();
  }
  const whole = {
    images: test.size,
    mse: squared / decoded.length,
    psnr: psnr(test.x, decoded),
    priorBitsPerImage: nats / Math.LN2 / test.size,
  };
  console.log('test split', JSON.stringify(whole));

  // The first `images` test images: the range-coded file, decoded back, beside PNG, JPEG and WebP.
  const part = head(test, images);
  const id = await modelId(modelDir);
  const started = performance.now();
  const vq = await compressVq(model, id, part);
  const encodeSeconds = (performance.now() - started) / 1000;
  const back = decodeVqCodes(model, id, decodeVqCodeFile(vq.bytes, 'memory'), 'memory');
  const decodeSeconds = (performance.now() - started) / 1000 - encodeSeconds;
  if (back.some((v, i) => v !== vq.indices[i])) throw new Error('the range-coded codes did not decode back');
  await writeFile(join(dir, 'test.llq'), vq.bytes);
  let png = 0;
  for (let i = 0; i < part.size; i++)
    png += encodeImage(part.x.subarray(i * 784, (i + 1) * 784), [28, 28, 1]).length;
  const target = vq.report.quality.psnr;
  const jpeg = await matchPsnr(part, 'jpeg', target);
  const webp = await matchPsnr(part, 'webp', target);
  console.log(
    'coded',
    JSON.stringify({
      ...vq.report,
      encodeSeconds,
      decodeSeconds,
      roundTrip: 'exact',
      png: png / part.size,
      jpeg,
      webp,
    }),
  );

  // Pictures: 64 prior samples (seed 0), and 16 test images above their reconstructions.
  const samples = tf.tidy(() => tf.clipByValue(model.generate(model.samplePrior(64, 0)), 0, 1));
  await writeFile(
    join(dir, 'vq-vae-samples.png'),
    encodeImageGrid(samples.dataSync() as Float32Array, [28, 28, 1], { rows: 8, cols: 8, scale: 2 }),
  );
  samples.dispose();
  const pair = new Float32Array(32 * 784);
  pair.set(test.x.subarray(0, 16 * 784));
  pair.set(decoded.subarray(0, 16 * 784), 16 * 784);
  await writeFile(
    join(dir, 'vq-vae-reconstructions.png'),
    encodeImageGrid(pair, [28, 28, 1], { rows: 2, cols: 16, scale: 2 }),
  );
  model.dispose();
}

await selectBackend({});
if (mode === 'train' && run) await train(run, Number(rest[0] ?? 8), Number(rest[1] ?? 6));
else if (mode === 'report' && run) await report(run, Number(rest[0] ?? 1000));
else {
  console.error(
    'usage: bench/compression.ts train RUN [autoencoderEpochs] [priorEpochs] | report RUN [images]',
  );
  process.exit(2);
}
