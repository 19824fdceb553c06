// `latentlab denoise`: corrupt images, denoise them with a model, score against median filter and Gaussian blur.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import {
  denoiseDataset,
  denoiseGrid,
  formatDenoiseReport,
  parseNoiseSpec,
  TEXT_INSTEAD,
} from '../../apps/denoise.js';
import { readImageFolder } from '../../apps/image-folder.js';
import { refuseText } from '../../apps/model-data.js';
import { type Dataset, head, sampleSize } from '../../data/dataset.js';
import { requireAutoencoder } from '../../eval/codes.js';
import { writeDirAtomic, writeFileAtomic } from '../../io/atomic.js';
import { loadModel } from '../../io/model-files.js';
import { encodeImage } from '../../io/png.js';
import type { InputNoise } from '../../models/shared/autoencoder-base.js';
import { resolveModelDir } from '../../train/run-dir.js';
import { type DataFlags, datasetFor, parseNumber, startBackend, withDataFlags } from '../shared.js';

interface DenoiseFlags extends DataFlags {
  images?: string;
  noise: InputNoise;
  seed: number;
  n: number;
  out?: string;
  grid?: string;
  clip: boolean;
  ssimWindow: 7 | 11;
  json?: boolean;
}

export function denoiseCommand(): Command {
  return withDataFlags(
    new Command('denoise')
      .description(
        'corrupt clean images (seeded), denoise them with the model, and report PSNR/SSIM of the noisy input, the ' +
          'output, a median filter and a Gaussian blur against the clean images; writes a picture of all five',
      )
      .argument('<run>', 'run directory (or its model directory)')
      .option('--images <dir>', 'a folder of PNG/JPEG images instead of --data (denoised copies go to --out)')
      .option(
        '--noise <type:level>',
        'gaussian:STD, salt-and-pepper:SHARE or masking:SHARE',
        (v: string) => parseNoiseSpec(v),
        parseNoiseSpec('gaussian:0.3'),
      )
      .option('--seed <s>', 'noise seed', parseNumber('--seed', { integer: true, min: 0 }), 0)
      .option('--n <count>', 'images in the picture', parseNumber('--n', { integer: true, min: 1 }), 16)
      .option('--out <dir>', 'write every denoised image here as PNG (named as the input files)')
      .option('--grid <file.png>', 'the picture (default RUN/denoising.png, or OUT/grid.png with --out)')
      .option('--no-clip', 'keep noisy values outside [0, 1] (default: clipped, as a stored image would be)')
      .option(
        '--ssim-window <n>',
        'side of the SSIM Gaussian window: 11 (Wang et al.) or 7',
        (v: string) => {
          if (v !== '7' && v !== '11')
            throw new InvalidArgumentError(`expected 7 or 11 for --ssim-window, got "${v}"`);
          return Number(v);
        },
        11,
      )
      .option('--json', 'print the report as JSON'),
  ).action(async (run: string, flags: DenoiseFlags) => {
    await startBackend(flags);
    const loaded = await loadModel(resolveModelDir(run));
    const model = requireAutoencoder(loaded.model, 'denoise');
    // Before any data is read: a text run's data would load only to be refused.
    refuseText(model, 'denoise', TEXT_INSTEAD);
    let files: string[] | undefined;
    let dataset: Dataset;
    if (flags.images) {
      const folder = await readImageFolder(flags.images, model.context.sampleShape);
      dataset = flags.limit ? head(folder.dataset, flags.limit) : folder.dataset;
      files = folder.files.slice(0, dataset.size);
    } else {
      dataset = await datasetFor(loaded, flags);
    }
    const result = await denoiseDataset(model, dataset, {
      noise: flags.noise,
      seed: flags.seed,
      preview: flags.n,
      clip: flags.clip,
      keepOutputs: flags.out !== undefined,
      ssimWindow: flags.ssimWindow,
    });
    const shape = dataset.sampleShape;
    const per = sampleSize({ sampleShape: shape });
    if (flags.out && result.denoised) {
      const outputs = result.denoised;
      const width = String(Math.max(0, dataset.size - 1)).length;
      const names = files
        ? files.map((f) => `${f.slice(0, f.length - extname(f).length)}.png`)
        : Array.from({ length: dataset.size }, (_, i) => `${String(i).padStart(width, '0')}.png`);
      await mkdir(dirname(flags.out), { recursive: true });
      await writeDirAtomic(flags.out, async (temp) => {
        for (let i = 0; i < names.length; i++) {
          await mkdir(dirname(join(temp, names[i])), { recursive: true });
          await writeFile(join(temp, names[i]), encodeImage(outputs.subarray(i * per, (i + 1) * per), shape));
        }
      });
    }
    const grid = flags.grid ?? (flags.out ? join(flags.out, 'grid.png') : join(run, 'denoising.png'));
    await mkdir(dirname(grid), { recursive: true });
    await writeFileAtomic(grid, denoiseGrid(result, shape));
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ ...result.report, grid, out: flags.out })}\n`);
      return;
    }
    const lines = [
      formatDenoiseReport(result.report),
      `picture (clean | noisy | denoised | median | blur): ${grid}`,
    ];
    if (flags.out) lines.push(`denoised images: ${flags.out} (${dataset.size} PNGs)`);
    process.stdout.write(`${lines.join('\n')}\n`);
  });
}
