// `latentlab denoise`: corrupt images, denoise them with a model, score against median filter and Gaussian blur.

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  denoiseAudio,
  denoiseDataset,
  denoiseGrid,
  denoiseSpectrograms,
  formatAudioDenoiseReport,
  formatDenoiseReport,
  parseAudioNoiseSpec,
  parseNoiseSpec,
  TEXT_INSTEAD,
  writeDenoiseExamples,
} from '../../apps/denoise.js';
import { readImageFolder } from '../../apps/image-folder.js';
import { modelAudio, refuseText } from '../../apps/model-data.js';
import type { AudioFeatures } from '../../data/audio/features.js';
import { type Dataset, head, sampleSize } from '../../data/dataset.js';
import { UsageError } from '../../errors.js';
import { requireAutoencoder } from '../../eval/codes.js';
import { writeDirAtomic, writeFileAtomic } from '../../io/atomic.js';
import { type LoadedModel, loadModel } from '../../io/model-files.js';
import { encodeImage } from '../../io/png.js';
import type { Autoencoder } from '../../models/family.js';
import { resolveModelDir } from '../../train/run-dir.js';
import {
  type DataFlags,
  dataSpecFrom,
  datasetFor,
  parseNumber,
  startBackend,
  withDataFlags,
} from '../shared.js';

interface DenoiseFlags extends DataFlags {
  images?: string;
  /** Parsed once the run says whether it is audio: pixel noise and audio noise read differently. */
  noise?: string;
  seed: number;
  n?: number;
  phaseIterations: number;
  restore?: 'mask' | 'magnitudes';
  lsdFloor?: number;
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
          'output, a median filter and a Gaussian blur against the clean images; writes a picture of all five. ' +
          'Audio runs: noise mixed into the clips at an SNR, scored by SNR and log-spectral distance beside a Wiener filter',
      )
      .argument('<run>', 'run directory (or its model directory)')
      .option('--images <dir>', 'a folder of PNG/JPEG images instead of --data (denoised copies go to --out)')
      .option(
        '--noise <type:level>',
        'images: gaussian:STD, salt-and-pepper:SHARE or masking:SHARE (default gaussian:0.3); audio: white:SNR or ' +
          'speech:SNR, the SNR in dB (speech: another clip of the split, another speaker where known; default white:5)',
      )
      .option('--seed <s>', 'noise seed', parseNumber('--seed', { integer: true, min: 0 }), 0)
      .option(
        '--n <count>',
        'images in the picture (default 16); audio: example clips written with --out (default 4)',
        parseNumber('--n', { integer: true, min: 1 }),
      )
      .addOption(
        new Option(
          '--restore <how>',
          "audio spectrogram runs: mask (the model's clean-to-noisy band ratios scale the noisy STFT; default) or magnitudes (rebuilt from the bands under the noisy phase)",
        ).choices(['mask', 'magnitudes']),
      )
      .option(
        '--phase-iterations <n>',
        'audio spectrogram runs, --restore magnitudes: Griffin-Lim iterations from the noisy phase (0: the noisy phase as is)',
        parseNumber('--phase-iterations', { integer: true, min: 0 }),
        0,
      )
      .option(
        '--lsd-floor <dB>',
        "audio: floor of the log-spectral distance's power spectra, dB re full scale (default the features' minDb)",
        parseNumber('--lsd-floor'),
      )
      .option(
        '--out <dir>',
        'write every denoised image here as PNG (named as the input files); audio: example WAVs and spectrograms',
      )
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
    if (loaded.manifest.audio) return denoiseAudioRun(loaded, model, flags);
    const noise = parseNoiseSpec(flags.noise ?? 'gaussian:0.3');
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
      noise,
      seed: flags.seed,
      preview: flags.n ?? 16,
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

/** An audio run: noise mixed into the split's clips, the model beside a Wiener filter; examples with --out. */
async function denoiseAudioRun(loaded: LoadedModel, model: Autoencoder, flags: DenoiseFlags): Promise<void> {
  const noise = parseAudioNoiseSpec(flags.noise ?? 'white:5');
  if (flags.images)
    throw new UsageError('reads images, and this run was trained on audio: give audio with --data', {
      path: '--images',
    });
  const features = loaded.manifest.audio as AudioFeatures;
  const audio = await modelAudio(loaded, flags.data ? dataSpecFrom(flags.data, flags) : undefined);
  const split = audio.waves[flags.split];
  const waves = flags.limit ? head(split, flags.limit) : split;
  const { report, preview } = await denoiseAudio(model, waves, features, {
    noise,
    seed: flags.seed,
    phaseIterations: flags.phaseIterations,
    restore: flags.restore,
    lsdFloorDb: flags.lsdFloor,
    preview: flags.out || flags.grid ? (flags.n ?? 4) : 0,
  });
  // Examples only when asked for (--out, or --grid alone for the spectrograms): WAVs are large beside a picture.
  const grid = flags.grid ?? (flags.out ? join(flags.out, 'grid.png') : undefined);
  if (flags.out) {
    await mkdir(dirname(flags.out), { recursive: true });
    await writeDirAtomic(flags.out, (temp) => writeDenoiseExamples(temp, preview, features));
  }
  if (grid) {
    await mkdir(dirname(grid), { recursive: true });
    await writeFileAtomic(grid, denoiseSpectrograms(preview, features));
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ ...report, split: flags.split, out: flags.out, grid })}\n`);
    return;
  }
  const lines = [formatAudioDenoiseReport(report)];
  if (flags.out)
    lines.push(
      `examples: ${flags.out} (clean, noisy, model, wiener: ${preview.clean.length} WAVs and spectrogram PNGs each); spectrograms: ${grid}`,
    );
  process.stdout.write(`${lines.join('\n')}\n`);
}
