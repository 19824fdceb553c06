// safetensors both ways: latentlab's files read by Python (plain json + numpy on the header, as the format's own
// reader does) and files written by Python read by latentlab; a model's weights and its checkpoint exported and
// put back; broken files refused, naming the tensor.
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.js';
import { saveModel } from '../../src/io/model-files.js';
import {
  CHECKPOINT_METADATA,
  decodeSafetensors,
  encodeSafetensors,
  exportSafetensors,
  networkArrays,
  readSafetensors,
  setNetworkArrays,
} from '../../src/io/safetensors.js';
import { readTensorFile, writeTensorFile } from '../../src/io/tensor-file.js';
import type { Autoencoder } from '../../src/models/family.js';
import { parseModelConfig } from '../../src/models/registry.js';
import { expectClose, useBackend, withTempDir } from '../helpers.js';

beforeAll(async () => {
  await useBackend('wasm');
});

const PYTHON = '/usr/bin/python3';
const hasNumpy = (() => {
  try {
    execFileSync(PYTHON, ['-c', 'import numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Python's reading of a safetensors file with json + numpy: {name: {shape, values}} and the metadata. */
const READ_PY = `
import json, struct, sys, numpy as np
raw = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
header = json.loads(raw[8:8 + n])
meta = header.pop('__metadata__', {})
data = raw[8 + n:]
out = {}
for name, e in header.items():
    a, b = e['data_offsets']
    arr = np.frombuffer(data[a:b], dtype={'F32': '<f4', 'F64': '<f8'}[e['dtype']]).reshape(e['shape'])
    out[name] = {'shape': list(arr.shape), 'values': arr.astype(float).ravel().tolist()}
print(json.dumps({'tensors': out, 'metadata': meta}))
`;

/** Python writing one: an F32 matrix, an F64 vector (latentlab reads it as float32) and metadata. */
const WRITE_PY = `
import json, struct, sys, numpy as np
w = np.arange(6, dtype='<f4').reshape(2, 3) / 7
b = np.array([0.5, -1.25], dtype='<f8')
header = {'__metadata__': {'from': 'numpy'},
          'layer/kernel': {'dtype': 'F32', 'shape': [2, 3], 'data_offsets': [0, 24]},
          'layer/bias': {'dtype': 'F64', 'shape': [2], 'data_offsets': [24, 40]}}
text = json.dumps(header).encode()
open(sys.argv[1], 'wb').write(struct.pack('<Q', len(text)) + text + w.tobytes() + b.tobytes())
`;

describe('safetensors', () => {
  it.skipIf(!hasNumpy)('writes files numpy reads: names, shapes, values and metadata', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'w.safetensors');
      const kernel = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i) * 3);
      await writeFile(
        path,
        encodeSafetensors(
          [
            { name: 'dense/kernel', shape: [4, 3], data: kernel },
            { name: 'dense/bias', shape: [3], data: Float32Array.from([0.1, -2, 1e-8]) },
          ],
          { kind: 'dense-ae' },
        ),
      );
      const read = JSON.parse(execFileSync(PYTHON, ['-c', READ_PY, path], { encoding: 'utf8' }));
      expect(read.metadata).toEqual({ kind: 'dense-ae' });
      expect(read.tensors['dense/kernel'].shape).toEqual([4, 3]);
      expect(read.tensors['dense/kernel'].values).toEqual([...kernel]);
      expect(read.tensors['dense/bias'].values).toEqual([...Float32Array.from([0.1, -2, 1e-8])]);
    });
  });

  it.skipIf(!hasNumpy)('reads files numpy writes (F32 and F64)', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'py.safetensors');
      execFileSync(PYTHON, ['-c', WRITE_PY, path]);
      const { arrays, metadata } = await readSafetensors(path);
      expect(metadata).toEqual({ from: 'numpy' });
      expect(arrays.map((a) => [a.name, a.shape])).toEqual([
        ['layer/kernel', [2, 3]],
        ['layer/bias', [2]],
      ]);
      expectClose(
        arrays[0].data,
        [0, 1, 2, 3, 4, 5].map((v) => v / 7),
        1e-7,
      );
      expect([...arrays[1].data]).toEqual([0.5, -1.25]);
    });
  });

  it('exports a model and its checkpoint; the weights put back give the same outputs', async () => {
    await withTempDir(async (dir) => {
      const { family, config } = parseModelConfig({ kind: 'conv-ae', filters: [4], latent: 3 });
      const context = { sampleShape: [8, 8, 1], seed: 4 };
      const model = family.build(config, context);
      await saveModel(model, join(dir, 'model'));
      const lltf = join(dir, 'checkpoint.lltf');
      const optimiser = { name: 'opt/autoencoder/1', shape: [2], data: Float32Array.from([3, 4]) };
      await writeTensorFile(lltf, { kind: 'conv-ae', state: { epoch: 1 } }, [optimiser]);
      const { files } = await exportSafetensors(join(dir, 'model'), join(dir, 'st'), lltf);
      expect(files.sort()).toEqual(['checkpoint.safetensors', 'decoder.safetensors', 'encoder.safetensors']);

      const encoder = await readSafetensors(join(dir, 'st', 'encoder.safetensors'));
      expect(encoder.metadata.latentlab_network).toBe('encoder');
      expect(encoder.arrays.map((a) => a.name)).toEqual([
        'encoder_conv_1/kernel',
        'encoder_conv_1/bias',
        'encoder_latent/kernel',
        'encoder_latent/bias',
      ]);
      const other = family.build(config, { ...context, seed: 99 });
      const x = tf.randomUniform([2, 8, 8, 1], 0, 1, 'float32', 1);
      for (const name of ['encoder', 'decoder'] as const) {
        const path = join(dir, 'st', `${name}.safetensors`);
        setNetworkArrays(other.networks[name], (await readSafetensors(path)).arrays, path);
      }
      const want = (model as Autoencoder).reconstruct(x);
      const got = (other as Autoencoder).reconstruct(x);
      expectClose(got.dataSync(), want.dataSync(), 0);
      tf.dispose([x, want, got]);

      const checkpoint = await readSafetensors(join(dir, 'st', 'checkpoint.safetensors'));
      expect(JSON.parse(checkpoint.metadata[CHECKPOINT_METADATA])).toEqual((await readTensorFile(lltf)).meta);
      expect(checkpoint.arrays).toEqual([optimiser]);
      model.dispose();
      other.dispose();
    });
  });

  it('refuses weights that do not fit the network, naming the tensor', async () => {
    const { family, config } = parseModelConfig({ kind: 'dense-ae', hidden: [], latent: 2 });
    const model = family.build(config, { sampleShape: [3], seed: 1 });
    const arrays = networkArrays(model.networks.encoder);
    expect(() => setNetworkArrays(model.networks.encoder, arrays.slice(1), 'w.safetensors')).toThrow(
      /no tensor "encoder_latent\/kernel"/,
    );
    const wrong = arrays.map((a, i) => (i === 0 ? { ...a, shape: [2, 3] } : a));
    expect(() => setNetworkArrays(model.networks.encoder, wrong, 'w.safetensors')).toThrow(
      /tensor has shape \[2,3\], the network's weight \[3,2\]/,
    );
    const extra = [...arrays, { name: 'stray', shape: [1], data: new Float32Array(1) }];
    expect(() => setNetworkArrays(model.networks.encoder, extra, 'w.safetensors')).toThrow(
      /tensor "stray" is no weight/,
    );
    model.dispose();
  });

  it('refuses broken files, naming the tensor', async () => {
    const good = encodeSafetensors([{ name: 'a', shape: [2], data: Float32Array.from([1, 2]) }]);
    expect(() => decodeSafetensors(good.subarray(0, good.length - 4), 'f.safetensors')).toThrow(
      /needs 8 bytes, its offsets \[0, 8\] give 8 of the 4 in the file/,
    );
    const header = Buffer.from(JSON.stringify({ a: { dtype: 'I8', shape: [1], data_offsets: [0, 1] } }));
    const int8 = Buffer.concat([Buffer.alloc(8), header, Buffer.alloc(1)]);
    int8.writeBigUInt64LE(BigInt(header.length), 0);
    expect(() => decodeSafetensors(int8, 'f.safetensors')).toThrow(
      /dtype I8; latentlab reads F32, F64 and F16/,
    );
    expect(() => decodeSafetensors(Buffer.from([1, 2, 3]), 'f.safetensors')).toThrow(
      /not a safetensors file/,
    );
  });
});
