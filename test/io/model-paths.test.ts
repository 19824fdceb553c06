// A saved model's weight files stay inside its directory: model.json cannot name a path out of it (absolute,
// with "..", or through a symlink), so loading a model reads nothing else on the machine.
import { cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { IoError } from '../../src/errors.js';
import { loadModel, saveModel } from '../../src/io/model-files.js';
import { parseModelConfig } from '../../src/models/registry.js';
import { useBackend, withTempDir } from '../helpers.js';

beforeAll(async () => {
  await useBackend('wasm');
});

/** A tiny dense autoencoder saved into dir/model. */
async function savedModel(dir: string): Promise<string> {
  const { family, config } = parseModelConfig({ kind: 'dense-ae', hidden: [4], latent: 2 });
  const model = family.build(config, { sampleShape: [6], seed: 0 });
  await saveModel(model, join(dir, 'model'));
  model.dispose();
  return join(dir, 'model');
}

/** Point the encoder's weights at `path` instead of its own weights.bin. */
async function pointWeightsAt(modelDir: string, path: string): Promise<string> {
  const file = join(modelDir, 'encoder', 'model.json');
  const json = JSON.parse(await readFile(file, 'utf8'));
  json.weightsManifest[0].paths = [path];
  await writeFile(file, JSON.stringify(json));
  return file;
}

describe('weight paths in model.json', () => {
  it('refuses "../../x" even where x is a real file of the right size', async () => {
    await withTempDir(async (dir) => {
      const model = await savedModel(dir);
      // dir/model/encoder/../../x is dir/x: the encoder's own weights, copied out of the model directory.
      await cp(join(model, 'encoder', 'weights.bin'), join(dir, 'x'));
      const file = await pointWeightsAt(model, '../../x');
      const error = await loadModel(model).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IoError);
      expect((error as IoError).path).toBe(file);
      expect((error as IoError).message).toBe(
        `${file}: weight path "../../x" leads outside the model directory (expected a relative path inside ${join(model, 'encoder')}, without "..")`,
      );
    });
  });

  it('refuses absolute paths and symlinks out of the directory', async () => {
    await withTempDir(async (dir) => {
      const model = await savedModel(dir);
      await cp(join(model, 'encoder', 'weights.bin'), join(dir, 'x'));
      await pointWeightsAt(model, join(dir, 'x'));
      await expect(loadModel(model)).rejects.toThrow(/weight path ".*x" leads outside the model directory/);
      await symlink(join(dir, 'x'), join(model, 'encoder', 'link.bin'));
      await pointWeightsAt(model, 'link.bin');
      await expect(loadModel(model)).rejects.toThrow(
        /weight path "link.bin" leads outside the model directory/,
      );
      await pointWeightsAt(model, 'sub/../weights.bin');
      await expect(loadModel(model)).rejects.toThrow(/weight path "sub\/..\/weights.bin" leads outside/);
    });
  });

  it('loads plain file names and subfolders inside the directory', async () => {
    await withTempDir(async (dir) => {
      const model = await savedModel(dir);
      await mkdir(join(model, 'encoder', 'shards'));
      await cp(join(model, 'encoder', 'weights.bin'), join(model, 'encoder', 'shards', 'w.bin'));
      await pointWeightsAt(model, 'shards/w.bin');
      const loaded = await loadModel(model);
      expect(loaded.manifest.kind).toBe('dense-ae');
      loaded.model.dispose();
    });
  });
});
