// Models across tools through the CLI: `export` writes a run's networks as ONNX (run in ONNX Runtime) or refuses
// naming the layer; `import` makes a run of a PyTorch autoencoder exported by bench/peers/torch-autoencoder.py
// (Debian's python3-torch, where installed) whose outputs are PyTorch's to 1e-5, and which reconstruct uses;
// ops it cannot read are refused naming the node. Weights go to Python as safetensors and come back (`import --into`),
// checked with plain json + numpy.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.js';
import { loadModel, saveModel } from '../../src/io/model-files.js';
import { readNpy } from '../../src/io/numpy.js';
import { encodeModel, floatValueInfo, GraphBuilder } from '../../src/io/onnx/graph.js';
import { onnxToNetwork } from '../../src/io/onnx/import.js';
import { networkArrays } from '../../src/io/safetensors.js';
import type { Autoencoder } from '../../src/models/family.js';
import { parseModelConfig } from '../../src/models/registry.js';
import { ROOT, runInProcess } from '../apps/cli-helper.js';
import { useBackend, withTempDir } from '../helpers.js';

beforeAll(async () => {
  await useBackend('wasm');
});

const PYTHON = '/usr/bin/python3';
const hasTorch = (() => {
  try {
    execFileSync(PYTHON, ['-c', 'import torch, numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

async function npy(path: string): Promise<tf.Tensor> {
  const array = readNpy(await readFile(path), path);
  return tf.tensor(Float32Array.from(array.data as ArrayLike<number>), array.shape);
}

function largest(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe('latentlab export', () => {
  it('writes a saved Sequential conv-ae as ONNX that ONNX Runtime runs to latentlab outputs', async () => {
    await withTempDir(async (dir) => {
      const { family, config } = parseModelConfig({
        kind: 'conv-ae',
        filters: [4, 8],
        latent: 3,
        activation: 'leakyRelu',
      });
      const model = family.build(config, { sampleShape: [8, 8, 2], seed: 3 }) as Autoencoder;
      await saveModel(model, join(dir, 'run', 'model'));
      const r = await runInProcess([
        'export',
        join(dir, 'run'),
        '--format',
        'onnx',
        '--out',
        join(dir, 'onnx'),
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('encoder: encoder.onnx');
      const x = tf.randomUniform([4, 8, 8, 2], 0, 1, 'float32', 7);
      const session = await ort.InferenceSession.create(join(dir, 'onnx', 'decoder.onnx'));
      const codes = model.encode(x);
      const want = model.decode(codes);
      const got = await session.run({
        [session.inputNames[0]]: new ort.Tensor('float32', codes.dataSync() as Float32Array, codes.shape),
      });
      const out = got[session.outputNames[0]];
      expect(out.dims).toEqual([4, 8, 8, 2]);
      expect(largest(tf.tensor(out.data as Float32Array, want.shape), want)).toBeLessThan(1e-5);
      await session.release();
      tf.dispose([x, codes, want]);
      model.dispose();
    });
  });

  it('refuses a network with a layer ONNX export lacks, naming it, and writes nothing', async () => {
    await withTempDir(async (dir) => {
      const { family, config } = parseModelConfig({
        kind: 'attention-ae',
        patchSize: 4,
        dim: 8,
        heads: 2,
        depth: 1,
        latent: 2,
      });
      const model = family.build(config, { sampleShape: [8, 8, 1], seed: 1 });
      await saveModel(model, join(dir, 'model'));
      model.dispose();
      const r = await runInProcess([
        'export',
        join(dir, 'model'),
        '--format',
        'onnx',
        '--out',
        join(dir, 'onnx'),
      ]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/cannot export network "encoder" as ONNX: layer "\w+" \(LatentlabPatchify\)/);
      expect(existsSync(join(dir, 'onnx'))).toBe(false);
      await mkdir(join(dir, 'mine'));
      await writeFile(join(dir, 'mine', 'notes.txt'), 'keep');
      const clobber = await runInProcess([
        'export',
        join(dir, 'model'),
        '--format',
        'safetensors',
        '--out',
        join(dir, 'mine'),
      ]);
      expect(clobber.code).toBe(2);
      expect(clobber.stderr).toContain('holds "notes.txt", which is no earlier export');
    });
  });
});

describe('latentlab import', () => {
  for (const kind of ['dense', 'conv'] as const) {
    it.skipIf(!hasTorch)(
      `makes a ${kind}-ae run of a PyTorch ${kind} autoencoder: PyTorch's outputs to 1e-5, used by reconstruct`,
      async () => {
        await withTempDir(async (dir) => {
          const peer = join(dir, 'peer');
          execFileSync(
            PYTHON,
            [join(ROOT, 'bench/peers/torch-autoencoder.py'), '--kind', kind, '--out', peer],
            { stdio: 'ignore' },
          );
          const run = join(dir, 'run');
          const r = await runInProcess([
            'import',
            join(peer, 'encoder.onnx'),
            join(peer, 'decoder.onnx'),
            '--as',
            `${kind}-ae`,
            '--out',
            run,
            '--data',
            'mnist',
          ]);
          expect(r.code, r.stderr).toBe(0);
          const { model, manifest } = await loadModel(join(run, 'model'));
          expect(manifest.kind).toBe(`${kind}-ae`);
          expect(manifest.context.sampleShape).toEqual([28, 28, 1]);
          const config = JSON.parse(await readFile(join(run, 'config.json'), 'utf8'));
          expect(config.model).toMatchObject(
            kind === 'dense'
              ? { hidden: [64, 32], latent: 8, outputActivation: 'sigmoid' }
              : { filters: [8, 16], kernelSize: 3 },
          );
          const x = await npy(join(peer, 'x.npy'));
          const codes = (model as Autoencoder).encode(x);
          const recon = (model as Autoencoder).reconstruct(x);
          const torchCodes = await npy(join(peer, 'codes.npy'));
          const torchRecon = await npy(join(peer, 'reconstructions.npy'));
          expect(largest(codes, torchCodes)).toBeLessThan(1e-5);
          expect(largest(recon, torchRecon)).toBeLessThan(1e-5);
          tf.dispose([x, codes, recon, torchCodes, torchRecon]);
          model.dispose();
          const used = await runInProcess(['reconstruct', run, '--limit', '40', '--n', '4']);
          expect(used.code, used.stderr).toBe(0);
          expect(used.stdout).toMatch(/reconstruction MSE per value/);
        });
      },
    );
  }

  // The dense VAE's decoder ends in a Sigmoid (left out: the run's decoder gives logits); the conv VAE's gives logits,
  // and its encoder's outputs come log-variance first, named so.
  for (const kind of ['vae', 'conv-vae'] as const) {
    it.skipIf(!hasTorch)(
      `makes a ${kind} run of a PyTorch ${kind}: mean, log-variance, logits and probabilities to 1e-5; elbo, embed and sample use it`,
      async () => {
        await withTempDir(async (dir) => {
          const peer = join(dir, 'peer');
          execFileSync(
            PYTHON,
            [join(ROOT, 'bench/peers/torch-autoencoder.py'), '--kind', kind, '--out', peer],
            { stdio: 'ignore' },
          );
          const run = join(dir, 'run');
          const r = await runInProcess([
            'import',
            join(peer, 'encoder.onnx'),
            join(peer, 'decoder.onnx'),
            '--as',
            kind,
            '--out',
            run,
            '--data',
            'mnist',
          ]);
          expect(r.code, r.stderr).toBe(0);
          expect(r.stdout).toContain(
            kind === 'vae'
              ? 'decoder gives logits (its last Sigmoid left to latentlab)'
              : 'decoder gives logits',
          );
          const { model, manifest } = await loadModel(join(run, 'model'));
          expect(manifest.kind).toBe(kind);
          expect(manifest.config).toMatchObject(
            kind === 'vae'
              ? { hidden: [64, 32], latent: 8, likelihood: 'bernoulli' }
              : { filters: [8, 16], kernelSize: 3, latent: 8, likelihood: 'bernoulli' },
          );
          const x = await npy(join(peer, 'x.npy'));
          const [mean, logVariance] = model.networks.encoder.predict(x) as tf.Tensor[];
          const logits = model.networks.decoder.predict(mean) as tf.Tensor;
          const probabilities = (model as Autoencoder).reconstruct(x);
          const codes = (model as Autoencoder).encode(x);
          const torch = await Promise.all(
            ['codes', 'log_variance', 'logits', 'reconstructions'].map((name) =>
              npy(join(peer, `${name}.npy`)),
            ),
          );
          const [torchMean, torchLogVariance, torchLogits, torchProbabilities] = torch;
          expect(largest(mean, torchMean)).toBeLessThan(1e-5);
          expect(largest(codes, torchMean)).toBeLessThan(1e-5);
          expect(largest(logVariance, torchLogVariance)).toBeLessThan(1e-5);
          expect(largest(logits, torchLogits)).toBeLessThan(1e-5);
          expect(largest(probabilities, torchProbabilities)).toBeLessThan(1e-5);
          tf.dispose([x, mean, logVariance, logits, probabilities, codes, ...torch]);
          model.dispose();

          const detect = await runInProcess(['detect', run, '--score', 'elbo', '--limit', '40']);
          expect(detect.code, detect.stderr).toBe(0);
          const scores = (await readFile(join(run, 'detect', 'scores.csv'), 'utf8'))
            .trim()
            .split('\n')
            .slice(1)
            .map((line) => Number(line.split(',')[1]));
          expect(scores).toHaveLength(40);
          // -ELBO in nats of 784 Bernoulli pixels: positive and finite (at least the KL, at most ~784·log 2 + KL
          // for an untrained decoder).
          for (const score of scores) expect(score).toBeGreaterThan(0);
          for (const score of scores) expect(score).toBeLessThan(5000);
          const embed = await runInProcess(['embed', run, '--limit', '10', '--out', join(dir, 'codes.npy')]);
          expect(embed.code, embed.stderr).toBe(0);
          const embedded = readNpy(await readFile(join(dir, 'codes.npy')), 'codes.npy');
          expect(embedded.shape).toEqual([10, 8]);
          const sample = await runInProcess(['sample', run, '--n', '4']);
          expect(sample.code, sample.stderr).toBe(0);
          expect(existsSync(join(run, 'samples.png'))).toBe(true);
        });
      },
    );
  }

  it('refuses a VAE encoder with one output, saying a VAE encoder gives mean and log-variance', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'encoder.onnx');
      const graph = new GraphBuilder();
      graph.node('Relu', ['x'], 'relu', {}, 'y');
      await writeFile(
        path,
        encodeModel({
          graphName: 'g',
          doc: '',
          builder: graph,
          inputs: [floatValueInfo('x', [null, 3])],
          outputs: [floatValueInfo('y', [null, 3])],
          metadata: {},
          producerVersion: 'test',
        }),
      );
      const r = await runInProcess(['import', path, path, '--as', 'vae', '--out', join(dir, 'run')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        'a vae encoder takes samples and gives the mean and log-variance of q(z|x) (one input, two outputs); this one has 1 and 1',
      );
    });
  });

  it('refuses an op it cannot read, naming the node and the op', () => {
    const graph = new GraphBuilder();
    graph.node('Sin', ['x'], 'wave', {}, 'y');
    const bytes = encodeModel({
      graphName: 'g',
      doc: '',
      builder: graph,
      inputs: [floatValueInfo('x', [null, 3])],
      outputs: [floatValueInfo('y', [null, 3])],
      metadata: {},
      producerVersion: 'test',
    });
    expect(() => onnxToNetwork(bytes, 'encoder', 'enc.onnx')).toThrow(
      /enc\.onnx: cannot import node "wave\/Sin" \(Sin\): the import reads Gemm, MatMul/,
    );
  });
});

/**
 * Python's side of the safetensors round trip, with json + numpy only: read latentlab's export (names, shapes,
 * metadata), write new weights under the same names (file named after the network, no metadata), and encode `x`
 * with them by hand (dense kernels [in, out], tanh between layers) for latentlab to match.
 */
const PYTHON_WEIGHTS = `
import json, struct, sys, numpy as np
def read(path):
    raw = open(path, 'rb').read()
    n = struct.unpack('<Q', raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    meta = header.pop('__metadata__', {})
    return meta, {k: np.frombuffer(raw[8 + n + e['data_offsets'][0]:8 + n + e['data_offsets'][1]], '<f4').reshape(e['shape'])
                  for k, e in header.items()}
def write(path, arrays, shapes=None):
    header, blobs, at = {}, [], 0
    for name, a in arrays.items():
        b = a.astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(shapes.get(name, a.shape) if shapes else a.shape), 'data_offsets': [at, at + len(b)]}
        blobs.append(b); at += len(b)
    text = json.dumps(header).encode()
    open(path, 'wb').write(struct.pack('<Q', len(text)) + text + b''.join(blobs))
meta, exported = read(sys.argv[1])
rng = np.random.default_rng(5)
mine = {name: rng.uniform(-1, 1, a.shape).astype('<f4') for name, a in exported.items()}
write(sys.argv[2] + '/encoder.safetensors', mine)
names = list(mine)
bad = dict(mine); bad[names[0]] = bad[names[0]].T.copy()
write(sys.argv[2] + '/bad/encoder.safetensors', bad)
x = np.linspace(0, 1, 12, dtype='<f4').reshape(2, 6)
h = x.astype(np.float64)
pairs = [(mine[names[i]], mine[names[i + 1]]) for i in range(0, len(names), 2)]
for i, (kernel, bias) in enumerate(pairs):
    h = h @ kernel + bias
    if i < len(pairs) - 1: h = np.tanh(h)
print(json.dumps({'metadata': meta, 'exported': {k: {'shape': list(a.shape), 'values': a.ravel().tolist()} for k, a in exported.items()},
                  'codes': h.ravel().tolist()}))
`;

describe('safetensors through the CLI', () => {
  it.skipIf(!hasTorch)(
    'export --format safetensors is read by numpy; weights numpy writes go back --into the run and encode as numpy does',
    async () => {
      await withTempDir(async (dir) => {
        const { family, config } = parseModelConfig({
          kind: 'dense-ae',
          hidden: [4],
          latent: 2,
          activation: 'tanh',
        });
        const model = family.build(config, { sampleShape: [6], seed: 2 }) as Autoencoder;
        const run = join(dir, 'run');
        await saveModel(model, join(run, 'model'));
        const before = networkArrays(model.networks.encoder);
        model.dispose();
        const exported = await runInProcess([
          'export',
          run,
          '--format',
          'safetensors',
          '--out',
          join(dir, 'st'),
        ]);
        expect(exported.code, exported.stderr).toBe(0);
        expect(exported.stdout).toContain('encoder.safetensors');

        await mkdir(join(dir, 'py', 'bad'), { recursive: true });
        const python = JSON.parse(
          execFileSync(
            PYTHON,
            ['-c', PYTHON_WEIGHTS, join(dir, 'st', 'encoder.safetensors'), join(dir, 'py')],
            {
              encoding: 'utf8',
            },
          ),
        );
        expect(python.metadata).toMatchObject({ latentlab_kind: 'dense-ae', latentlab_network: 'encoder' });
        expect(Object.keys(python.exported)).toEqual(before.map((a) => a.name));
        for (const array of before) {
          expect(python.exported[array.name].shape).toEqual(array.shape);
          expect(python.exported[array.name].values).toEqual([...array.data]);
        }

        const imported = await runInProcess([
          'import',
          join(dir, 'py', 'encoder.safetensors'),
          '--into',
          run,
        ]);
        expect(imported.code, imported.stderr).toBe(0);
        expect(imported.stdout).toContain('encoder: 4 tensors from');
        const x = tf.tensor(
          Float32Array.from({ length: 12 }, (_, i) => i / 11),
          [2, 6],
        );
        const encode = async () => {
          const { model: loaded } = await loadModel(join(run, 'model'));
          const codes = (loaded as Autoencoder).encode(x);
          const values = [...codes.dataSync()];
          codes.dispose();
          loaded.dispose();
          return values;
        };
        const codes = await encode();
        for (let i = 0; i < codes.length; i++)
          expect(Math.abs(codes[i] - python.codes[i])).toBeLessThan(1e-5);

        // A transposed kernel is refused naming the file, the tensor and both shapes; the run keeps its weights.
        const bad = join(dir, 'py', 'bad', 'encoder.safetensors');
        const refused = await runInProcess(['import', bad, '--into', run]);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain(`${bad}#${before[0].name}`);
        expect(refused.stderr).toContain("tensor has shape [4,6], the network's weight [6,4]");
        expect(await encode()).toEqual(codes);
        const stray = await runInProcess(['import', bad, '--into', run, '--network', 'critic']);
        expect(stray.code).toBe(1);
        expect(stray.stderr).toContain(
          'these weights are for network "critic" (as --network says); the dense-ae model has encoder, decoder',
        );
        x.dispose();
      });
    },
  );
});
