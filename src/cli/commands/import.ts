// `latentlab import`: an encoder and a decoder exported to ONNX (from PyTorch, say) become an ordinary latentlab
// run (config.json, model/ with its manifest), which reconstruct, detect, embed, the server and the studio use;
// or safetensors weights (written in Python, say) go into an existing run's networks.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import type { DataSpec } from '../../data/spec.js';
import { tfl } from '../../engine/tf.js';
import { ConfigError, IoError, UsageError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { saveModel } from '../../io/model-files.js';
import { type ImportedNetwork, onnxToNetwork } from '../../io/onnx/import.js';
import { importSafetensors } from '../../io/safetensors.js';
import { parseModelConfig } from '../../models/registry.js';
import { Activation } from '../../models/shared/autoencoder-base.js';
import { resolveModelDir, runPaths } from '../../train/run-dir.js';
import { LATENTLAB_VERSION } from '../../version.js';
import { backendOption, dataSpecFrom, type GlobalOptions, parseNumber, startBackend } from '../shared.js';

/**
 * The families an imported encoder and decoder can be, and what each needs of them: how many outputs the encoder
 * gives (a code, or a VAE's mean and log-variance) and whether the body is convolutional.
 */
const IMPORT_KINDS = {
  'dense-ae': { encoderOutputs: 1, conv: false },
  'conv-ae': { encoderOutputs: 1, conv: true },
  vae: { encoderOutputs: 2, conv: false },
  'conv-vae': { encoderOutputs: 2, conv: true },
} as const;
type ImportKind = keyof typeof IMPORT_KINDS;
type Likelihood = 'bernoulli' | 'gaussian';

async function readNetwork(path: string, name: string, logits = false): Promise<ImportedNetwork> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new IoError('cannot read the ONNX model', { path, cause: error });
  }
  return onnxToNetwork(bytes, name, path, { logits });
}

/** Names that say which of a VAE encoder's two outputs is the log-variance (`logvar`, `log_var`, `log_variance`). */
const LOG_VARIANCE_NAME = /log_?var/i;

/**
 * A VAE encoder's outputs as latentlab's are, [mean, logVariance]: in the graph's order, unless the names say the
 * log-variance came first.
 */
function meanFirst(encoder: ImportedNetwork): ImportedNetwork {
  const [first, second] = encoder.outputNames;
  if (!(LOG_VARIANCE_NAME.test(first) && !LOG_VARIANCE_NAME.test(second))) return encoder;
  const outputs = encoder.network.outputs;
  const network = tfl.model({
    name: encoder.network.name,
    inputs: encoder.network.inputs,
    outputs: [outputs[1], outputs[0]],
  });
  return { ...encoder, network, outputNames: [second, first] };
}

const shapeText = (shape: readonly (number | null)[]) => `[${shape.map((d) => d ?? 'n').join(', ')}]`;

/** The sample shape and code size the two networks agree on, or an error saying where they do not. */
function checkPair(
  kind: ImportKind,
  encoder: ImportedNetwork,
  decoder: ImportedNetwork,
  paths: [string, string],
) {
  const [encoderPath, decoderPath] = paths;
  const wanted = IMPORT_KINDS[kind].encoderOutputs;
  if (encoder.network.inputs.length !== 1 || encoder.network.outputs.length !== wanted)
    throw new UsageError(
      wanted === 1
        ? `${encoderPath}: an autoencoder's encoder takes samples and gives codes (one input, one output); this one has ${encoder.network.inputs.length} and ${encoder.network.outputs.length}${encoder.network.outputs.length === 2 ? ' (a VAE encoder with mean and log-variance? import it --as vae or conv-vae)' : ''}`
        : `${encoderPath}: a ${kind} encoder takes samples and gives the mean and log-variance of q(z|x) (one input, two outputs); this one has ${encoder.network.inputs.length} and ${encoder.network.outputs.length}`,
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
  const logVarShape = encoder.network.outputs[1]?.shape;
  if (logVarShape && (logVarShape.length !== 2 || logVarShape[1] !== latent))
    throw new UsageError(
      `${encoderPath}: the encoder's log-variance "${encoder.outputNames[1]}" is ${shapeText(logVarShape)}, its mean "${encoder.outputNames[0]}" [n, ${latent}]`,
    );
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

/** What a VAE's decoder gives and how its data is modelled (the autoencoders have neither). */
interface VaeFlags {
  likelihood: Likelihood;
  sigma: number;
}

/** The family's config in its own words, read off the networks (informational: the networks are used as they are). */
function configFor(
  kind: ImportKind,
  encoder: ImportedNetwork,
  decoder: ImportedNetwork,
  latent: number,
  vae: VaeFlags,
) {
  const outputActivation = decoder.endsInSigmoid ? 'sigmoid' : 'linear';
  const { encoderOutputs, conv } = IMPORT_KINDS[kind];
  const common = {
    latent,
    activation: hiddenActivation(encoder),
    // A Bernoulli decoder gives logits and latentlab applies the sigmoid (decode() gives probabilities).
    ...(encoderOutputs === 2
      ? vae.likelihood === 'bernoulli'
        ? { likelihood: 'bernoulli', outputActivation: 'sigmoid' }
        : { likelihood: 'gaussian', sigma: vae.sigma, outputActivation }
      : { outputActivation }),
  };
  const denseLayers = encoder.layers.filter((l) => l.op === 'Dense').map((l) => l.units as number);
  // The widths before the code (and, for a VAE, before its two heads).
  if (!conv) return { kind, ...common, hidden: denseLayers.slice(0, -encoderOutputs) };
  const convs = encoder.layers.filter((l) => l.op === 'Conv2D');
  if (convs.length === 0)
    throw new ConfigError(
      `${kind} needs an encoder with convolutions; this one has none (import it --as ${encoderOutputs === 2 ? 'vae' : 'dense-ae'})`,
      { path: '--as' },
    );
  return {
    kind,
    ...common,
    filters: convs.map((l) => l.filters as number),
    kernelSize: convs[0].kernel as number,
  };
}

interface ImportFlags extends GlobalOptions {
  as?: ImportKind;
  out?: string;
  data?: string;
  likelihood: Likelihood;
  sigma: number;
  into?: string;
  network?: string;
}

/** ENCODER.onnx DECODER.onnx --as KIND --out RUN: a new run of the two networks. */
async function importOnnx(encoderPath: string, decoderPath: string | undefined, flags: ImportFlags) {
  const { as: kind, out } = flags;
  if (!decoderPath || !kind || !out)
    throw new UsageError(
      'an ONNX import takes ENCODER.onnx DECODER.onnx --as KIND --out RUN (safetensors weights go --into a run)',
    );
  if (existsSync(out) && (await readdir(out)).length > 0)
    throw new UsageError(`--out ${out} exists and is not empty: name a new run directory`);
  const data: DataSpec | undefined = flags.data ? dataSpecFrom(flags.data, {}) : undefined;
  const isVae = IMPORT_KINDS[kind].encoderOutputs === 2;
  let encoder = await readNetwork(encoderPath, 'encoder');
  if (isVae && encoder.network.outputs.length === 2) encoder = meanFirst(encoder);
  // A Bernoulli VAE's decoder gives logits: a last Sigmoid in the graph is left to latentlab.
  const decoder = await readNetwork(decoderPath, 'decoder', isVae && flags.likelihood === 'bernoulli');
  const { sampleShape, latent } = checkPair(kind, encoder, decoder, [encoderPath, decoderPath]);
  if (IMPORT_KINDS[kind].conv && sampleShape.length !== 3)
    throw new UsageError(`${kind} takes images; the encoder takes samples ${shapeText(sampleShape)}`);
  const { family, config } = parseModelConfig(configFor(kind, encoder, decoder, latent, flags), '--as');
  const model = family.restore(
    config,
    { sampleShape, seed: 0 },
    { encoder: encoder.network, decoder: decoder.network },
  );
  try {
    const paths = runPaths(out);
    await mkdir(out, { recursive: true });
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
  const decoderGives = !isVae
    ? ''
    : flags.likelihood === 'bernoulli'
      ? `; decoder gives logits${decoder.sigmoidLeftOut ? ' (its last Sigmoid left to latentlab)' : ''}`
      : `; decoder gives the Gaussian mean, sigma ${flags.sigma}`;
  process.stdout.write(
    `wrote ${out}: ${kind}, samples ${shapeText(sampleShape)} (channels-last), code ${latent}; ` +
      `encoder ${encoder.layers.length} layers, decoder ${decoder.layers.length}${decoderGives}\n`,
  );
}

/** WEIGHTS.safetensors ... --into RUN: weights (latentlab's export, or written in Python) into a run's networks. */
async function importWeights(paths: string[], flags: ImportFlags) {
  const into = flags.into as string;
  if (flags.as || flags.out)
    throw new UsageError('--into puts weights into an existing run; --as and --out are for ONNX imports');
  if (flags.network && paths.length > 1)
    throw new UsageError('--network names the network of one file; give one safetensors file with it');
  const notWeights = paths.find((path) => !path.endsWith('.safetensors'));
  if (notWeights !== undefined)
    throw new UsageError(`--into reads .safetensors files; ${notWeights} is not one`);
  const modelDir = resolveModelDir(into);
  const done = await importSafetensors(
    modelDir,
    paths.map((path) => ({ path, network: flags.network })),
  );
  for (const { network, path, tensors } of done)
    process.stdout.write(`${network}: ${tensors} tensors from ${path}\n`);
  process.stdout.write(`wrote ${modelDir}\n`);
  const checkpoint = runPaths(into).checkpoint;
  if (existsSync(checkpoint))
    process.stderr.write(
      `note: ${checkpoint} still holds the weights training reached; resume continues from those, every other command uses the imported ones\n`,
    );
}

export function importCommand(): Command {
  return new Command('import')
    .description(
      'make a latentlab run of an encoder and a decoder in ONNX (e.g. from torch.onnx.export: Gemm, Conv, ConvTranspose, batch norm, the usual activations; images NCHW in the ONNX graph are NHWC in the run), ' +
        'or put safetensors weights into an existing run (--into)',
    )
    .argument(
      '<encoder>',
      'the encoder, ONNX: samples [n, ...] → codes [n, latent] (a VAE: → mean, log-variance); or WEIGHTS.safetensors with --into',
    )
    .argument(
      '[decoder...]',
      'the decoder, ONNX: codes [n, latent] → samples; or more .safetensors files with --into',
    )
    .addOption(new Option('--as <kind>', 'the family the run is (ONNX)').choices(Object.keys(IMPORT_KINDS)))
    .option('--out <run>', 'run directory to create (ONNX; must not exist, or be empty)')
    .option(
      '--data <spec>',
      'the data it is for (mnist, npy:PATH …), saved so commands use it without --data',
    )
    .addOption(
      new Option(
        '--likelihood <likelihood>',
        "a VAE's p(x|z): bernoulli (the decoder gives logits, or probabilities through a last Sigmoid) or gaussian (it gives the mean)",
      )
        .choices(['bernoulli', 'gaussian'])
        .default('bernoulli'),
    )
    .option(
      '--sigma <s>',
      "a gaussian VAE's fixed standard deviation of p(x|z)",
      parseNumber('--sigma', { min: Number.MIN_VALUE }),
      1,
    )
    .option('--into <run>', 'put the .safetensors weights into this run (or model directory)')
    .option(
      '--network <name>',
      "with --into: the network the file's weights are for (default: its metadata's latentlab_network, else its file name)",
    )
    .addOption(backendOption())
    .action(async (encoderPath: string, rest: string[], flags: ImportFlags) => {
      await startBackend(flags);
      if (flags.into) return importWeights([encoderPath, ...rest], flags);
      if (rest.length > 1)
        throw new UsageError(
          `an ONNX import takes two files, an encoder and a decoder; got ${rest.length + 1}`,
        );
      return importOnnx(encoderPath, rest[0], flags);
    });
}
