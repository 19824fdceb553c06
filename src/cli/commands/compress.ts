// `latentlab compress` / `latentlab decompress`: images to a `.llz` file of quantised codes and back.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { Command } from 'commander';
import {
  compressAudio,
  compressDataset,
  decompressCodes,
  formatAudioCompressReport,
  formatCompressReport,
  TEXT_INSTEAD,
} from '../../apps/compress.js';
import { readImageFolder } from '../../apps/image-folder.js';
import { modelAudio, refuseText } from '../../apps/model-data.js';
import { compressVq, decompressVq, formatVqCompressReport } from '../../apps/vq-compress.js';
import type { AudioFeatures } from '../../data/audio/features.js';
import { type Dataset, head, sampleSize } from '../../data/dataset.js';
import { loadData } from '../../data/load.js';
import { DataSpec } from '../../data/spec.js';
import { UsageError } from '../../errors.js';
import { requireAutoencoder } from '../../eval/codes.js';
import { writeDirAtomic, writeFileAtomic } from '../../io/atomic.js';
import {
  rowsOf,
  spectrogramGrid,
  spectrogramOf,
  writeAudioOutputs,
  writeClips,
} from '../../io/audio-files.js';
import { decodeCodeFile, modelId, readCodeFileBytes } from '../../io/code-file.js';
import { type LoadedModel, loadModel } from '../../io/model-files.js';
import { encodeImage, encodeImageGrid } from '../../io/png.js';
import { decodeVqCodeFile, isVqCodeFile, type VqCodeFile } from '../../io/vq-code-file.js';
import type { Autoencoder } from '../../models/family.js';
import { type DiscreteCodeModel, hasDiscreteCodes } from '../../models/shared/discrete-codes.js';
import { resolveModelDir } from '../../train/run-dir.js';
import {
  backendOption,
  type DataFlags,
  dataSpecFrom,
  datasetFor,
  type GlobalOptions,
  parseNumber,
  startBackend,
  withDataFlags,
} from '../shared.js';

interface CompressFlags extends DataFlags {
  images?: string;
  bits?: number;
  kbps?: number;
  opusKbps: number;
  iterations: number;
  lsdFloor?: number;
  examples?: string;
  n: number;
  out: string;
  pcaSamples: number;
  json?: boolean;
}

export function compressCommand(): Command {
  return withDataFlags(
    new Command('compress')
      .description(
        'encode images into a compact .llz file (codes quantised to --bits per dimension) and report bytes per ' +
          'image, ratios to raw pixels and PNG, and PSNR/SSIM beside PCA at the same bytes per image. Audio runs: ' +
          'codes at --kbps, resynthesised, SNR and log-spectral distance beside Opus',
      )
      .argument('<run>', 'run directory (or its model directory)')
      .option('--images <dir>', 'a folder of PNG/JPEG images instead of --data')
      .option(
        '--bits <n>',
        'bits per code value, 1 to 16 (default 8)',
        parseNumber('--bits', { integer: true, min: 1 }),
      )
      .option(
        '--kbps <rate>',
        'audio: the bitrate to meet, kbps; the most bits per dimension whose codes take at most that',
        parseNumber('--kbps', { min: 0.001 }),
      )
      .option(
        '--opus-kbps <rate>',
        'audio: Opus beside it at this bitrate (opusenc --hard-cbr; 6 is its lowest; 0: no Opus)',
        parseNumber('--opus-kbps', { min: 0 }),
        6,
      )
      .option(
        '--iterations <n>',
        'audio spectrogram runs: Griffin-Lim iterations of the resynthesis',
        parseNumber('--iterations', { integer: true, min: 0 }),
        64,
      )
      .option(
        '--examples <dir>',
        'audio: write example clips here (original, decoded, Opus) as WAV + spectrogram PNG',
      )
      .option(
        '--n <count>',
        'audio: example clips written with --examples',
        parseNumber('--n', { integer: true, min: 1 }),
        4,
      )
      .option(
        '--lsd-floor <dB>',
        "audio: floor of the log-spectral distance's power spectra, dB re full scale (default the features' minDb)",
        parseNumber('--lsd-floor'),
      )
      .requiredOption('--out <file.llz>', 'the compressed file')
      .option(
        '--pca-samples <n>',
        "training images PCA is fitted on, from the model's own data (0: no PCA comparison)",
        parseNumber('--pca-samples', { integer: true, min: 0 }),
        10_000,
      )
      .option('--json', 'print the report as JSON'),
  ).action(async (run: string, flags: CompressFlags) => {
    await startBackend(flags);
    const dir = resolveModelDir(run);
    const loaded = await loadModel(dir);
    const model = requireAutoencoder(loaded.model, 'compress');
    // Before any data is read: a text run's data would load only to be refused.
    refuseText(model, 'compress', TEXT_INSTEAD);
    checkExtension(flags.out, hasDiscreteCodes(model) ? '.llq' : '.llz');
    if (loaded.manifest.audio) return compressAudioRun(dir, loaded, model, flags);
    if (hasDiscreteCodes(model)) return compressVqRun(dir, loaded, model, flags);
    for (const [flag, value] of [
      ['--kbps', flags.kbps],
      ['--examples', flags.examples],
    ] as const)
      if (value !== undefined)
        throw new UsageError('is for audio runs, and this run was not trained on audio: give --bits', {
          path: flag,
        });
    let dataset: Dataset;
    if (flags.images) {
      const folder = await readImageFolder(flags.images, model.context.sampleShape);
      dataset = flags.limit ? head(folder.dataset, flags.limit) : folder.dataset;
    } else {
      dataset = await datasetFor(loaded, flags);
    }
    let pcaTrain: Dataset | undefined;
    if (flags.pcaSamples > 0) {
      const splits = await loadData(DataSpec.parse(loaded.manifest.data), {
        seed: loaded.manifest.context.seed,
        scaling: loaded.manifest.scaling,
      });
      pcaTrain = splits.train;
    }
    const id = await modelId(dir);
    const { bytes, report } = await compressDataset(
      model,
      id,
      dataset,
      { bits: flags.bits ?? 8, pcaSamples: flags.pcaSamples },
      pcaTrain,
    );
    await mkdir(dirname(flags.out), { recursive: true });
    await writeFileAtomic(flags.out, bytes);
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ ...report, out: flags.out, modelId: id })}\n`);
      return;
    }
    process.stdout.write(`${formatCompressReport(report)}\nfile: ${flags.out} (model id ${id})\n`);
  });
}

const FORMATS: Record<string, string> = {
  '.llz': 'quantised codes',
  '.llq': 'code indices range-coded under the prior',
};

/** --out named for the other format would mislead whoever reads the name: refuse it (other names pass). */
function checkExtension(out: string, writes: '.llz' | '.llq'): void {
  const given = extname(out).toLowerCase();
  if (given in FORMATS && given !== writes)
    throw new UsageError(
      `this run writes a ${writes} file (${FORMATS[writes]}), not ${given} (${FORMATS[given]}): name it ${out.slice(0, -given.length)}${writes}`,
      { path: '--out' },
    );
}

/** A run with discrete codes and a prior (vq-vae): the code grids range-coded under the prior, a `.llq` file. */
async function compressVqRun(
  dir: string,
  loaded: LoadedModel,
  model: DiscreteCodeModel,
  flags: CompressFlags,
): Promise<void> {
  for (const [flag, value] of [
    ['--bits', flags.bits],
    ['--kbps', flags.kbps],
    ['--examples', flags.examples],
  ] as const)
    if (value !== undefined)
      throw new UsageError(
        'is for .llz files of quantised codes; this run codes its code indices under its prior, losslessly',
        { path: flag },
      );
  const dataset = flags.images
    ? (await readImageFolder(flags.images, model.context.sampleShape)).dataset
    : await datasetFor(loaded, flags);
  const id = await modelId(dir);
  const { bytes, report } = await compressVq(model, id, flags.limit ? head(dataset, flags.limit) : dataset);
  await mkdir(dirname(flags.out), { recursive: true });
  await writeFileAtomic(flags.out, bytes);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ ...report, out: flags.out, modelId: id })}\n`);
    return;
  }
  process.stdout.write(`${formatVqCompressReport(report)}\nfile: ${flags.out} (model id ${id})\n`);
}

/** An audio run: the split's clips at a bitrate, resynthesised, beside Opus; examples with --examples. */
async function compressAudioRun(
  dir: string,
  loaded: LoadedModel,
  model: Autoencoder,
  flags: CompressFlags,
): Promise<void> {
  if (flags.images)
    throw new UsageError('reads images, and this run was trained on audio: give audio with --data', {
      path: '--images',
    });
  if (flags.kbps !== undefined && flags.bits !== undefined)
    throw new UsageError('give --kbps or --bits, not both', { path: '--kbps' });
  const features = loaded.manifest.audio as AudioFeatures;
  const audio = await modelAudio(loaded, flags.data ? dataSpecFrom(flags.data, flags) : undefined);
  const cut = (d: Dataset) => (flags.limit ? head(d, flags.limit) : d);
  const id = await modelId(dir);
  const { bytes, report, preview } = await compressAudio(
    model,
    id,
    cut(audio.splits[flags.split]),
    cut(audio.waves[flags.split]),
    features,
    {
      kbps: flags.kbps,
      bits: flags.bits,
      opusKbps: flags.opusKbps,
      iterations: flags.iterations,
      lsdFloorDb: flags.lsdFloor,
      preview: flags.examples ? flags.n : 0,
    },
  );
  await mkdir(dirname(flags.out), { recursive: true });
  await writeFileAtomic(flags.out, bytes);
  if (flags.examples) {
    const waveforms: AudioFeatures = { ...features, representation: 'waveform' };
    const rows = [preview.original, preview.decoded, ...(preview.opus ? [preview.opus] : [])];
    await mkdir(dirname(flags.examples), { recursive: true });
    await writeDirAtomic(flags.examples, async (temp) => {
      await writeClips(temp, 'original', preview.original, waveforms);
      await writeClips(temp, 'latentlab', preview.decoded, waveforms);
      if (preview.opus) await writeClips(temp, 'opus', preview.opus, waveforms);
      // One row per clip: original | latentlab | Opus.
      const cells = preview.original.flatMap((_, i) => rows.map((row) => spectrogramOf(row[i], waveforms)));
      await writeFileAtomic(join(temp, 'grid.png'), spectrogramGrid(cells, features, { cols: rows.length }));
    });
  }
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify({ ...report, split: flags.split, out: flags.out, modelId: id, examples: flags.examples })}\n`,
    );
    return;
  }
  const lines = [formatAudioCompressReport(report), `file: ${flags.out} (model id ${id})`];
  if (flags.examples) lines.push(`examples: ${flags.examples} (WAVs, spectrogram PNGs and grid.png)`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function decompressCommand(): Command {
  return new Command('decompress')
    .description(
      'decode a .llz file with the model that made it: a PNG grid, or a folder of PNGs (audio runs: WAVs with their spectrograms)',
    )
    .argument('<file>', 'the .llz file')
    .requiredOption('--run <dir>', 'run directory (or model directory) that compressed it')
    .requiredOption('--out <dir|grid.png>', 'a .png path for one grid, else a directory of PNGs')
    .option('--cols <n>', 'grid columns', parseNumber('--cols', { integer: true, min: 1 }))
    .addOption(backendOption())
    .action(async (file: string, flags: GlobalOptions & { run: string; out: string; cols?: number }) => {
      await startBackend(flags);
      // Read once; the magic says which format it is.
      const bytes = await readCodeFileBytes(file);
      if (isVqCodeFile(bytes)) return decompressVqFile(decodeVqCodeFile(bytes, file), file, flags);
      const codes = decodeCodeFile(bytes, file);
      const dir = resolveModelDir(flags.run);
      const loaded = await loadModel(dir);
      const model = requireAutoencoder(loaded.model, 'decompress');
      const audio = loaded.manifest.audio;
      const images = await decompressCodes(model, await modelId(dir), codes, file, audio);
      const shape = codes.sampleShape;
      await mkdir(dirname(flags.out), { recursive: true });
      if (audio) {
        // Sound: a WAV and its spectrogram per clip, beside a grid (a .png path) or in a folder of their own.
        const clips = rowsOf(images, codes.count);
        if (flags.out.toLowerCase().endsWith('.png')) {
          const folder = await writeAudioOutputs(flags.out, [{ prefix: 'clip', samples: clips }], audio, {
            cols: flags.cols ?? Math.ceil(Math.sqrt(codes.count)),
          });
          process.stdout.write(
            `${codes.count} clips → ${flags.out} (spectrograms) and ${folder}/ (WAV and PNG each)\n`,
          );
        } else {
          await writeDirAtomic(flags.out, async (temp) => {
            await writeClips(temp, 'clip', clips, audio);
          });
          process.stdout.write(`${codes.count} clips → ${flags.out}/ (WAV and PNG each)\n`);
        }
        return;
      }
      await writeImages(images, shape, codes.count, flags);
    });
}

/** A `.llq` file: the code grids decoded under the run's prior, then the images, as for a `.llz`. */
async function decompressVqFile(
  codes: VqCodeFile,
  file: string,
  flags: GlobalOptions & { run: string; out: string; cols?: number },
): Promise<void> {
  const dir = resolveModelDir(flags.run);
  const loaded = await loadModel(dir);
  const model = requireAutoencoder(loaded.model, 'decompress');
  if (!hasDiscreteCodes(model))
    throw new UsageError(
      `${file} holds range-coded code indices, and a "${model.kind}" run has no discrete codes: decompress it with the vq-vae run that made it`,
      { path: '--run' },
    );
  const images = await decompressVq(model, await modelId(dir), codes, file);
  await writeImages(images, codes.sampleShape, codes.count, flags);
}

/** Decompressed images as one PNG grid (a .png path) or a folder of PNGs. */
async function writeImages(
  images: Float32Array,
  shape: number[],
  count: number,
  flags: { out: string; cols?: number },
): Promise<void> {
  const per = sampleSize({ sampleShape: shape });
  await mkdir(dirname(flags.out), { recursive: true });
  if (flags.out.toLowerCase().endsWith('.png')) {
    const cols = flags.cols ?? Math.ceil(Math.sqrt(count));
    const rows = Math.ceil(count / cols);
    await writeFileAtomic(flags.out, encodeImageGrid(images, shape, { rows, cols, scale: 2 }));
  } else {
    const width = String(Math.max(0, count - 1)).length;
    await writeDirAtomic(flags.out, async (temp) => {
      for (let i = 0; i < count; i++) {
        await writeFile(
          join(temp, `${String(i).padStart(width, '0')}.png`),
          encodeImage(images.subarray(i * per, (i + 1) * per), shape),
        );
      }
    });
  }
  process.stdout.write(`${count} images → ${flags.out}\n`);
}
