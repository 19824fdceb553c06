// `latentlab compress` / `latentlab decompress`: images to a `.llz` file of quantised codes and back.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { compressDataset, decompressCodes, formatCompressReport, TEXT_INSTEAD } from '../../apps/compress.js';
import { readImageFolder } from '../../apps/image-folder.js';
import { refuseText } from '../../apps/model-data.js';
import { type Dataset, head, sampleSize } from '../../data/dataset.js';
import { loadData } from '../../data/load.js';
import { DataSpec } from '../../data/spec.js';
import { requireAutoencoder } from '../../eval/codes.js';
import { writeDirAtomic, writeFileAtomic } from '../../io/atomic.js';
import { modelId, readCodeFile } from '../../io/code-file.js';
import { loadModel } from '../../io/model-files.js';
import { encodeImage, encodeImageGrid } from '../../io/png.js';
import { resolveModelDir } from '../../train/run-dir.js';
import {
  backendOption,
  type DataFlags,
  datasetFor,
  type GlobalOptions,
  parseNumber,
  startBackend,
  withDataFlags,
} from '../shared.js';

interface CompressFlags extends DataFlags {
  images?: string;
  bits: number;
  out: string;
  pcaSamples: number;
  json?: boolean;
}

export function compressCommand(): Command {
  return withDataFlags(
    new Command('compress')
      .description(
        'encode images into a compact .llz file (codes quantised to --bits per dimension) and report bytes per ' +
          'image, ratios to raw pixels and PNG, and PSNR/SSIM beside PCA at the same bytes per image',
      )
      .argument('<run>', 'run directory (or its model directory)')
      .option('--images <dir>', 'a folder of PNG/JPEG images instead of --data')
      .option(
        '--bits <n>',
        'bits per code value, 1 to 16',
        parseNumber('--bits', { integer: true, min: 1 }),
        8,
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
      { bits: flags.bits, pcaSamples: flags.pcaSamples },
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

export function decompressCommand(): Command {
  return new Command('decompress')
    .description('decode a .llz file with the model that made it: a PNG grid, or a folder of PNGs')
    .argument('<file>', 'the .llz file')
    .requiredOption('--run <dir>', 'run directory (or model directory) that compressed it')
    .requiredOption('--out <dir|grid.png>', 'a .png path for one grid, else a directory of PNGs')
    .option('--cols <n>', 'grid columns', parseNumber('--cols', { integer: true, min: 1 }))
    .addOption(backendOption())
    .action(async (file: string, flags: GlobalOptions & { run: string; out: string; cols?: number }) => {
      await startBackend(flags);
      const codes = await readCodeFile(file);
      const dir = resolveModelDir(flags.run);
      const loaded = await loadModel(dir);
      const model = requireAutoencoder(loaded.model, 'decompress');
      const images = await decompressCodes(model, await modelId(dir), codes, file);
      const shape = codes.sampleShape;
      const per = sampleSize({ sampleShape: shape });
      await mkdir(dirname(flags.out), { recursive: true });
      if (flags.out.toLowerCase().endsWith('.png')) {
        const cols = flags.cols ?? Math.ceil(Math.sqrt(codes.count));
        const rows = Math.ceil(codes.count / cols);
        await writeFileAtomic(flags.out, encodeImageGrid(images, shape, { rows, cols, scale: 2 }));
      } else {
        const width = String(Math.max(0, codes.count - 1)).length;
        await writeDirAtomic(flags.out, async (temp) => {
          for (let i = 0; i < codes.count; i++) {
            await writeFile(
              join(temp, `${String(i).padStart(width, '0')}.png`),
              encodeImage(images.subarray(i * per, (i + 1) * per), shape),
            );
          }
        });
      }
      process.stdout.write(`${codes.count} images → ${flags.out}\n`);
    });
}
