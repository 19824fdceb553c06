// Compression with an autoencoder: images → codes quantised to `bits` per dimension in a `.llz` file, and back.
// The report compares the file with raw 8-bit pixels, with PNG, and with PCA at the same bytes per image.
import { z } from 'zod';
import { type Dataset, head, sampleSize } from '../data/dataset.js';
import { tf } from '../engine/tf.js';
import { ConfigError, parseOrThrow } from '../errors.js';
import { encodeDataset } from '../eval/codes.js';
import { type ImageQuality, QualityMeter } from '../eval/image-quality.js';
import { fitPca, pcaInverse, pcaTransform } from '../eval/pca.js';
import type { Matrix } from '../io/arrays.js';
import {
  type CodeFile,
  checkCodeFileFits,
  dequantiseCodes,
  encodeCodeFile,
  quantiseCodes,
} from '../io/code-file.js';
import { encodeImage } from '../io/png.js';
import type { Autoencoder } from '../models/family.js';
import { refuseText } from './model-data.js';

export const CompressOptions = z.object({
  bits: z.number().int().min(1).max(16).default(8),
  batchSize: z.number().int().positive().default(500),
  /** Training samples PCA is fitted on (the first n of the split given); 0 skips the PCA comparison. */
  pcaSamples: z.number().int().min(0).default(10_000),
  ssimWindow: z.union([z.literal(7), z.literal(11)]).default(11),
});
export type CompressOptions = z.output<typeof CompressOptions>;
export type CompressOptionsInput = z.input<typeof CompressOptions>;

export interface CompressReport {
  images: number;
  bits: number;
  latent: number;
  file: {
    bytes: number;
    /** Whole file (header included) over the number of images. */
    bytesPerImage: number;
    /** Packed codes (and labels) only: what each further image costs. */
    payloadBytesPerImage: number;
  };
  /** 8-bit pixels: one byte per value. */
  raw: { bytesPerImage: number; ratio: number };
  /** Each image as its own 8-bit PNG (greyscale or RGB). */
  png: { bytesPerImage: number; ratio: number };
  /** Decompressed images against the originals. */
  quality: ImageQuality;
  /** The model's reconstructions from unquantised codes: what quantisation costs. */
  unquantised: ImageQuality;
  /** PCA with as many components as fit in the same payload, coefficients quantised the same way. */
  pca?: { components: number; fittedOn: number; payloadBytesPerImage: number; quality: ImageQuality };
}

function parseOptions(input: CompressOptionsInput): CompressOptions {
  return parseOrThrow(CompressOptions, input);
}

/** Decode codes [n, latent] into images in [0, 1], flat; conditional models take the labels. */
export async function decodeToImages(
  model: Autoencoder,
  codes: Matrix,
  labels?: Int32Array,
  batchSize = 500,
): Promise<Float32Array> {
  if (model.conditional && !labels) {
    throw new ConfigError(`"${model.kind}" is conditional: decoding needs a class label per code`);
  }
  const per = sampleSize(model.context);
  const out = new Float32Array(codes.rows * per);
  for (let start = 0; start < codes.rows; start += batchSize) {
    const count = Math.min(batchSize, codes.rows - start);
    const x = tf.tidy(() => {
      const z = tf.tensor2d(codes.data.subarray(start * codes.cols, (start + count) * codes.cols), [
        count,
        codes.cols,
      ]);
      const y = labels ? tf.tensor1d(labels.subarray(start, start + count), 'int32') : undefined;
      return tf.clipByValue(model.decode(z, y), 0, 1);
    });
    out.set((await x.data()) as Float32Array, start * per);
    x.dispose();
  }
  return out;
}

function labelBits(file: CodeFile): number {
  return file.labels ? (file.labels.some((l) => l > 255) ? 16 : 8) : 0;
}

/**
 * Compress `dataset` with `model` (whose saved-model id is `modelId`): the code file and its bytes, and the
 * report. `pcaTrain` is the data PCA is fitted on for the comparison (the model's training split, say).
 */
export async function compressDataset(
  model: Autoencoder,
  modelId: string,
  dataset: Dataset,
  input: CompressOptionsInput,
  pcaTrain?: Dataset,
): Promise<{ file: CodeFile; bytes: Buffer; report: CompressReport }> {
  const options = parseOptions(input);
  refuseText(model, 'compress', TEXT_INSTEAD);
  const shape = model.context.sampleShape;
  if (dataset.sampleShape.join('x') !== shape.join('x')) {
    throw new ConfigError(
      `the model expects samples of shape [${shape}], the data has [${dataset.sampleShape}]`,
      {
        path: dataset.name,
      },
    );
  }
  if (dataset.size === 0) throw new ConfigError('no images to compress', { path: dataset.name });
  if (model.conditional && !dataset.labels) {
    throw new ConfigError(`"${model.kind}" is conditional: compressing needs labelled images`, {
      path: dataset.name,
    });
  }
  const codes = await encodeDataset(model, dataset, options.batchSize);
  const quantised = quantiseCodes(codes, options.bits);
  const file: CodeFile = {
    modelId,
    sampleShape: [...shape],
    latentSize: model.latentSize,
    bits: options.bits,
    count: dataset.size,
    ...quantised,
    labels: model.conditional ? dataset.labels : undefined,
  };
  const bytes = encodeCodeFile(file);
  const per = sampleSize(dataset);
  const ssim = { window: options.ssimWindow };
  const decoded = await decodeToImages(model, dequantiseCodes(file), file.labels, options.batchSize);
  const quality = new QualityMeter(shape, ssim).add(dataset.x, decoded).result();
  const exact = await decodeToImages(model, codes, file.labels, options.batchSize);
  const unquantised = new QualityMeter(shape, ssim).add(dataset.x, exact).result();

  let pngBytes = 0;
  for (let i = 0; i < dataset.size; i++)
    pngBytes += encodeImage(dataset.x.subarray(i * per, (i + 1) * per), shape).length;
  const bytesPerImage = bytes.length / dataset.size;
  const payloadBits = model.latentSize * options.bits + labelBits(file);
  const report: CompressReport = {
    images: dataset.size,
    bits: options.bits,
    latent: model.latentSize,
    file: { bytes: bytes.length, bytesPerImage, payloadBytesPerImage: payloadBits / 8 },
    raw: { bytesPerImage: per, ratio: per / bytesPerImage },
    png: { bytesPerImage: pngBytes / dataset.size, ratio: pngBytes / dataset.size / bytesPerImage },
    quality,
    unquantised,
  };
  if (pcaTrain && options.pcaSamples > 0) {
    const fit = head(pcaTrain, options.pcaSamples);
    const components = Math.min(Math.floor(payloadBits / options.bits), per, fit.size - 1);
    const pca = fitPca(fit, components);
    const q = quantiseCodes(pcaTransform(pca, dataset), options.bits);
    const back = pcaInverse(
      pca,
      dequantiseCodes({ ...q, bits: options.bits, count: dataset.size, latentSize: components }),
    );
    for (let i = 0; i < back.length; i++) back[i] = Math.min(1, Math.max(0, back[i]));
    report.pca = {
      components,
      fittedOn: fit.size,
      payloadBytesPerImage: (components * options.bits) / 8,
      quality: new QualityMeter(shape, ssim).add(dataset.x, back).result(),
    };
  }
  return { file, bytes, report };
}

/** What a text model is pointed to instead of compress and decompress. */
export const TEXT_INSTEAD =
  "quantised codes decoded back to pixels mean nothing for sentences (use latentlab encode for a text model's codes, latentlab reconstruct for its sentences)";

/** Images [count, ...sampleShape] from a code file, after checking it was made by this model. */
export async function decompressCodes(
  model: Autoencoder,
  modelId: string,
  file: CodeFile,
  path: string,
): Promise<Float32Array> {
  refuseText(model, 'decompress', TEXT_INSTEAD);
  checkCodeFileFits(
    file,
    { modelId, sampleShape: model.context.sampleShape, latentSize: model.latentSize },
    path,
  );
  return decodeToImages(model, dequantiseCodes(file), file.labels);
}

export function formatCompressReport(report: CompressReport): string {
  const q = (x: ImageQuality) => `PSNR ${x.psnr.toFixed(2)} dB, SSIM ${x.ssim.toFixed(4)}`;
  const lines = [
    `${report.images} images, ${report.latent}-D codes at ${report.bits} bits: ${report.file.bytes} bytes, ` +
      `${report.file.bytesPerImage.toFixed(2)} bytes per image (${report.file.payloadBytesPerImage} without the header)`,
    `ratio to raw 8-bit pixels (${report.raw.bytesPerImage} bytes per image): ${report.raw.ratio.toFixed(1)}x; ` +
      `to PNG (${report.png.bytesPerImage.toFixed(1)} bytes per image): ${report.png.ratio.toFixed(1)}x`,
    `decompressed: ${q(report.quality)} (unquantised codes: ${q(report.unquantised)})`,
  ];
  if (report.pca) {
    lines.push(
      `PCA, ${report.pca.components} components at ${report.bits} bits (${report.pca.payloadBytesPerImage} bytes per image, ` +
        `fitted on ${report.pca.fittedOn} training images): ${q(report.pca.quality)}`,
    );
  }
  return lines.join('\n');
}
