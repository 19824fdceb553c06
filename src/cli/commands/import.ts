// `latentlab import`: an encoder and a decoder exported to ONNX (from PyTorch, say) become an ordinary latentlab
// run (config.json, model/ with its manifest), which reconstruct, detect, embed, the server and the studio use.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import type { DataSpec } from '../../data/spec.js';
import { ConfigError, IoError, UsageError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { saveModel } from '../../io/model-files.js';
import { type ImportedNetwork, onnxToNetwork } from '../../io/onnx/import.js';
import { parseModelConfig } from '../../models/registry.js';
import { Activation } from '../../models/shared/autoencoder-base.js';
import { runPaths } from '../../train/run-dir.js';
import { LATENTLAB_VERSION } from '../../version.js';
import { backendOption, dataSpecFrom, type GlobalOptions, startBackend } from '../shared.js';

/** The families an imported encoder and decoder can be: what each needs of the two networks. */
const AS = ['dense-ae', 'conv-ae'] as const;
type ImportKind = (typeof AS)[number];

async function readNetwork(path: string, name: string): Promise<ImportedNetwork> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new IoError('cannot read the ONNX model', { path, cause: error });
  }
  return onnxToNetwork(bytes, name, path);
}

const shapeText = (shape: readonly (number | null)[]) => `[${shape.map((d) => d ?? 'n').join(', ')}]`;

/** The sample shape and code size the two networks agree on, or an error saying where they do not. */
function checkPair(encoder: ImportedNetwork, decoder: ImportedNetwork, paths: [string, string]) {
  const [encoderPath, decoderPath] = paths;
  if (encoder.network.inputs.length !== 1 || encoder.network.outputs.length !== 1)
    throw new UsageError(
      `${encoderPath}: an autoencoder's encoder takes samples and gives codes (one input, one output); this one has ${encoder.network.inputs.length} and ${encoder.network.outputs.length}`,
    );
  if (decoder.network.inputs.length !== 1 || decoder.network.outputs.length !== 1)
    throw new UsageError(
      `${decoderPath}: the decoder must take codes and give samples (one input, one output)`,
    );
  const sampleShape = encoder.network.inputs[0].shape.slice(1).map(Number);
  const codeShape = encoder.network.outputs[0].shape;
  if (codeShape.length !== 2)
    throw new UsageError(
      `${encoderPath}: the encoder gives ${shapeText(codeShape)}; codes must be [n, latent]`,
    );
  const latent = Number(codeShape[1]);
  const decoderIn = decoder.network.inputs[0].shape;
  if (decoderIn.length !== 2 || decoderIn[1] !== latent)
    throw new UsageError(
      `${decoderPath}: the decoder takes ${shapeText(decoderIn)}, the encoder gives codes [n, ${latent}]`,
    );
  const decoderOut = decoder.network.outputs[0].shape.slice(1).map(Number);
  if (decoderOut.join('x') !== sampleShape.join('x'))
    throw new UsageError(
      `${decoderPath}: the decoder gives samples ${shapeText(decoderOut)} (channels-last), the encoder takes ${shapeText(sampleShape)}`,
    );
  return { sampleShape, latent };
}

/** The first activation after a layer, in the config's word (relu when the graph has none it names). */
function hiddenActivation(network: ImportedNetwork): Activation {
  const found = network.layers.find((l) => Activation.safeParse(l.op).success);
  return found ? (found.op as Activation) : 'relu';
}

/** The family's config in its own words, read off the networks (informational: the networks are used as they are). */
function configFor(kind: ImportKind, encoder: ImportedNetwork, decoder: ImportedNetwork, latent: number) {
  const outputActivation = decoder.endsInSigmoid ? 'sigmoid' : 'linear';
  const common = { latent, activation: hiddenActivation(encoder), outputActivation };
  if (kind === 'dense-ae') {
    const widths = encoder.layers.filter((l) => l.op === 'Dense').map((l) => l.units as number);
    return { kind, ...common, hidden: widths.slice(0, -1) };
  }
  const convs = encoder.layers.filter((l) => l.op === 'Conv2D');
  if (convs.length === 0)
    throw new ConfigError(
      'conv-ae needs an encoder with convolutions; this one has none (import it --as dense-ae)',
      { path: '--as' },
    );
  return {
    kind,
    ...common,
    filters: convs.map((l) => l.filters as number),
    kernelSize: convs[0].kernel as number,
  };
}

export function importCommand(): Command {
  return new Command('import')
    .description(
      'make a latentlab run of an encoder and a decoder in ONNX (e.g. from torch.onnx.export: Gemm, Conv, ConvTranspose, batch norm, the usual activations); images NCHW in the ONNX graph are NHWC in the run',
    )
    .argument('<encoder>', 'the encoder, ONNX: samples [n, ...] → codes [n, latent]')
    .argument('<decoder>', 'the decoder, ONNX: codes [n, latent] → samples')
    .addOption(new Option('--as <kind>', 'the family the run is').choices([...AS]).makeOptionMandatory())
    .requiredOption('--out <run>', 'run directory to create (must not exist, or be empty)')
    .option(
      '--data <spec>',
      'the data it is for (mnist, npy:PATH …), saved so commands use it without --data',
    )
    .addOption(backendOption())
    .action(
      async (
        encoderPath: string,
        decoderPath: string,
        flags: GlobalOptions & { as: ImportKind; out: string; data?: string },
      ) => {
        await startBackend(flags);
        if (existsSync(flags.out) && (await readdir(flags.out)).length > 0)
          throw new UsageError(`--out ${flags.out} exists and is not empty: name a new run directory`);
        const data: DataSpec | undefined = flags.data ? dataSpecFrom(flags.data, {}) : undefined;
        const encoder = await readNetwork(encoderPath, 'encoder');
        const decoder = await readNetwork(decoderPath, 'decoder');
        const { sampleShape, latent } = checkPair(encoder, decoder, [encoderPath, decoderPath]);
        if (flags.as === 'conv-ae' && sampleShape.length !== 3)
          throw new UsageError(`conv-ae takes images; the encoder takes samples ${shapeText(sampleShape)}`);
        const { family, config } = parseModelConfig(configFor(flags.as, encoder, decoder, latent), '--as');
        const model = family.restore(
          config,
          { sampleShape, seed: 0 },
          {
            encoder: encoder.network,
            decoder: decoder.network,
          },
        );
        try {
          const paths = runPaths(flags.out);
          await mkdir(flags.out, { recursive: true });
          await saveModel(model, paths.model, { data });
          const run = {
            model: config,
            ...(data ? { data } : {}),
            importedFrom: { format: 'onnx', encoder: encoderPath, decoder: decoderPath },
            latentlabVersion: LATENTLAB_VERSION,
          };
          await writeFileAtomic(paths.config, `${JSON.stringify(run, null, 2)}\n`);
        } finally {
          model.dispose();
        }
        process.stdout.write(
          `wrote ${flags.out}: ${flags.as}, samples ${shapeText(sampleShape)} (channels-last), code ${latent}; ` +
            `encoder ${encoder.layers.length} layers, decoder ${decoder.layers.length}\n`,
        );
      },
    );
}
