// Models across tools through the CLI: `export` writes a run's networks as ONNX (run in ONNX Runtime) or refuses
// naming the layer; `import` makes a run of a PyTorch autoencoder exported by bench/peers/torch-autoencoder.py
// (Debian's python3-torch, where installed) whose outputs are PyTorch's to 1e-5, and which reconstruct uses;
// ops it cannot read are refused naming the node.
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
