// Compression with a VQ-VAE: each image's grid of code indices, range-coded under the model's own prior (a
// `.llq` file, src/io/vq-code-file.ts), and back. The coder's tables come from the prior's float probabilities
// by one fixed quantisation (range-coder.ts quantiseProbabilities), computed position by position from the codes
// before it, the same way and in the same batches on both sides, so the decoder rebuilds every table exactly.
import { type Dataset, sampleSize } from '../data/dataset.js';
import { tf } from '../engine/tf.js';
import { ConfigError, IoError } from '../errors.js';
import { type ImageQuality, QualityMeter } from '../eval/image-quality.js';
import {
  cumulative,
  MAX_TOTAL,
  quantiseProbabilities,
  RangeDecoder,
  RangeEncoder,
} from '../io/range-coder.js';
import { encodeVqCodeFile, type VqCodeFile } from '../io/vq-code-file.js';
import type { DiscreteCodeModel } from '../models/shared/discrete-codes.js';
import { decodeToImages } from './compress.js';

/** Images the prior runs on at once while coding (saved in the file: decoding batches the same way). */
export const VQ_CODING_BATCH = 500;

export interface VqCompressReport {
  images: number;
  grid: [number, number];
  codebookSize: number;
  file: {
    bytes: number;
    /** Whole file (header and checksum included) over the number of images. */
    bytesPerImage: number;
    /** The range coder's bytes only, over the number of images: what each further image costs. */
    payloadBytesPerImage: number;
    headerBytes: number;
  };
  /** Mean -log2 p(codes) under the prior's float probabilities: the bound an ideal coder meets. */
  priorBitsPerImage: number;
  /** The same under the quantised integer tables the coder uses. */
  tableBitsPerImage: number;
  /** Without a prior: log2(codebookSize) bits per position. */
  uniformBitsPerImage: number;
  /** Decompressed images against the originals. */
  quality: ImageQuality;
}

/**
 * Runs the prior position by position over `count` grids, in batches of `batch`, and hands `code` each image's
 * integer table at each position; `code` returns the symbol there (the known code when compressing, the decoded
 * one when decompressing). Returns every grid's indices [count, h·w] and the bits the tables give them, both
 * under the float probabilities and under the tables.
 */
function codeUnderPrior(
  model: DiscreteCodeModel,
  count: number,
  batch: number,
  code: (image: number, position: number, cum: Uint32Array) => number,
): { indices: Int32Array; priorBits: number; tableBits: number } {
  const [h, w] = model.codeGrid;
  const k = model.codebookSize;
  const per = h * w;
  const indices = new Int32Array(count * per);
  const frequencies = new Uint32Array(k);
  let priorBits = 0;
  let tableBits = 0;
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    // What the decoder knows at each step: the codes before the position, zeros after.
    const known = new Int32Array(n * per);
    for (let p = 0; p < per; p++) {
      const [row, col] = [Math.floor(p / w), p % w];
      const probabilities = tf.tidy(() =>
        tf.exp(tf.slice(model.rowLogProbabilities(known, n, row), [0, col, 0], [n, 1, k])),
      );
      const values = probabilities.dataSync() as Float32Array;
      probabilities.dispose();
      for (let i = 0; i < n; i++) {
        const table = values.subarray(i * k, (i + 1) * k);
        const cum = cumulative(quantiseProbabilities(table, MAX_TOTAL, frequencies));
        const symbol = code(start + i, p, cum);
        known[i * per + p] = symbol;
        indices[(start + i) * per + p] = symbol;
        priorBits -= Math.log2(Math.max(table[symbol], Number.MIN_VALUE));
        tableBits -= Math.log2((cum[symbol + 1] - cum[symbol]) / cum[k]);
      }
    }
  }
  return { indices, priorBits, tableBits };
}

/** The code indices of `dataset` [count, h·w], encoded in batches. */
export async function datasetCodeIndices(
  model: DiscreteCodeModel,
  dataset: Dataset,
  batchSize = 500,
): Promise<Int32Array> {
  const [h, w] = model.codeGrid;
  const per = sampleSize(dataset);
  const out = new Int32Array(dataset.size * h * w);
  for (let start = 0; start < dataset.size; start += batchSize) {
    const n = Math.min(batchSize, dataset.size - start);
    const indices = tf.tidy(() =>
      model.codeIndices(
        tf.tensor(dataset.x.subarray(start * per, (start + n) * per), [n, ...dataset.sampleShape]),
      ),
    );
    out.set(indices.dataSync() as Int32Array, start * h * w);
    indices.dispose();
  }
  return out;
}

/** Decoded images [count, ...sampleShape] in [0, 1], flat, from code indices [count, h·w]. */
export async function imagesFromIndices(model: DiscreteCodeModel, indices: Int32Array, count: number) {
  const [h, w] = model.codeGrid;
  const codes = tf.tidy(() => model.embedIndices(tf.tensor3d(indices, [count, h, w], 'int32')));
  const data = codes.dataSync() as Float32Array;
  codes.dispose();
  return decodeToImages(model, { rows: count, cols: model.latentSize, data });
}

/** Compress `dataset` with `model` (saved-model id `modelId`): the `.llq` bytes, the codes and the report. */
export async function compressVq(
  model: DiscreteCodeModel,
  modelId: string,
  dataset: Dataset,
  batch = VQ_CODING_BATCH,
): Promise<{ bytes: Buffer; indices: Int32Array; report: VqCompressReport }> {
  const shape = model.context.sampleShape;
  if (dataset.sampleShape.join('x') !== shape.join('x'))
    throw new ConfigError(
      `the model expects samples of shape [${shape}], the data has [${dataset.sampleShape}]`,
      {
        path: dataset.name,
      },
    );
  if (dataset.size === 0) throw new ConfigError('no images to compress', { path: dataset.name });
  const codes = await datasetCodeIndices(model, dataset);
  const encoder = new RangeEncoder();
  const per = model.codeGrid[0] * model.codeGrid[1];
  const coded = codeUnderPrior(model, dataset.size, batch, (image, position, cum) => {
    const symbol = codes[image * per + position];
    encoder.encode(symbol, cum);
    return symbol;
  });
  const file: VqCodeFile = {
    modelId,
    backend: tf.getBackend(),
    sampleShape: [...shape],
    grid: [...model.codeGrid] as [number, number],
    codebookSize: model.codebookSize,
    batch,
    count: dataset.size,
    payload: encoder.finish(),
  };
  const bytes = encodeVqCodeFile(file);
  const decoded = await imagesFromIndices(model, codes, dataset.size);
  const report: VqCompressReport = {
    images: dataset.size,
    grid: file.grid,
    codebookSize: model.codebookSize,
    file: {
      bytes: bytes.length,
      bytesPerImage: bytes.length / dataset.size,
      payloadBytesPerImage: file.payload.length / dataset.size,
      headerBytes: bytes.length - file.payload.length,
    },
    priorBitsPerImage: coded.priorBits / dataset.size,
    tableBitsPerImage: coded.tableBits / dataset.size,
    uniformBitsPerImage: per * Math.log2(model.codebookSize),
    quality: new QualityMeter(shape, { window: 11 }).add(dataset.x, decoded).result(),
  };
  return { bytes, indices: codes, report };
}

/** The code indices [count, h·w] a `.llq` file holds, after checking it was made by this model. */
export function decodeVqCodes(model: DiscreteCodeModel, modelId: string, file: VqCodeFile, path: string) {
  if (file.modelId !== modelId)
    throw new IoError(
      `made with another model (model id ${file.modelId}; this model's id is ${modelId}): decompress with the run that compressed it`,
      { path },
    );
  const shape = model.context.sampleShape;
  if (file.sampleShape.join('x') !== shape.join('x'))
    throw new IoError(`holds samples of shape [${file.sampleShape}], the model makes [${shape}]`, { path });
  if (file.grid.join('x') !== model.codeGrid.join('x') || file.codebookSize !== model.codebookSize)
    throw new IoError(
      `holds ${file.grid.join('x')} grids of ${file.codebookSize} codes, the model's are ${model.codeGrid.join('x')} of ${model.codebookSize}`,
      { path },
    );
  const backend = tf.getBackend();
  if (file.backend !== 'unknown' && file.backend !== backend)
    throw new IoError(
      `coded on the ${file.backend} backend, and this process runs ${backend}: decompress with --backend ${file.backend} (range decoding needs the prior's probabilities bit for bit, and backends round differently)`,
      { path },
    );
  const decoder = new RangeDecoder(file.payload);
  const { indices } = codeUnderPrior(model, file.count, file.batch, (_image, _position, cum) =>
    decoder.decode(cum),
  );
  // A damaged payload that slipped past the checksum decodes to something; reading far past its end says so.
  if (decoder.bytesRead > file.payload.length + 8)
    throw new IoError(
      `corrupt VQ code file: the payload ran out ${decoder.bytesRead - file.payload.length} bytes early`,
      {
        path,
      },
    );
  return indices;
}

/** Images [count, ...sampleShape] from a `.llq` file made by this model. */
export async function decompressVq(
  model: DiscreteCodeModel,
  modelId: string,
  file: VqCodeFile,
  path: string,
): Promise<Float32Array> {
  return imagesFromIndices(model, decodeVqCodes(model, modelId, file, path), file.count);
}

export function formatVqCompressReport(report: VqCompressReport): string {
  const { file, quality } = report;
  return [
    `${report.images} images, ${report.grid.join('x')} grids of ${report.codebookSize} codes, range-coded under the prior: ` +
      `${file.bytes} bytes, ${file.bytesPerImage.toFixed(2)} bytes per image (${file.payloadBytesPerImage.toFixed(2)} without the ${file.headerBytes}-byte header and checksum)`,
    `prior: ${report.priorBitsPerImage.toFixed(1)} bits per image (${(report.priorBitsPerImage / 8).toFixed(2)} bytes; ` +
      `${report.tableBitsPerImage.toFixed(1)} bits under the coder's integer tables; ${report.uniformBitsPerImage.toFixed(0)} without a prior)`,
    `decompressed: PSNR ${quality.psnr.toFixed(2)} dB, SSIM ${quality.ssim.toFixed(4)}`,
  ].join('\n');
}
