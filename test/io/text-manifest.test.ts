// A text model's vocabulary is saved in its manifest (`text`), read back, and checked against the model.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { modelData } from '../../src/apps/model-data.js';
import { IoError } from '../../src/errors.js';
import { loadModel, readManifest, saveModel } from '../../src/io/model-files.js';
import { parseModelConfig } from '../../src/models/registry.js';
import { useBackend, withTempDir } from '../helpers.js';

beforeAll(async () => {
  await useBackend('wasm');
});

const vocabulary = {
  tokenizer: 'word',
  lowercase: true,
  tokens: ['<pad>', '<unk>', '<bos>', '<eos>', 'the', 'cat'],
  maxLength: 6,
  truncated: 7,
} as const;

/** A tiny dense autoencoder (any model does: only the manifest is tested) saved with a vocabulary. */
async function saved(dir: string, withText = true): Promise<string> {
  const { family, config } = parseModelConfig({ kind: 'dense-ae', hidden: [4], latent: 2 });
  const model = family.build(config, { sampleShape: [6], vocabularySize: 6, seed: 0 });
  await saveModel(model, join(dir, 'model'), withText ? { text: vocabulary } : {});
  model.dispose();
  return join(dir, 'model');
}

async function editManifest(
  dir: string,
  edit: (manifest: { text: { tokens: string[]; maxLength: number } }) => void,
): Promise<void> {
  const file = join(dir, 'manifest.json');
  const manifest = JSON.parse(await readFile(file, 'utf8'));
  edit(manifest);
  await writeFile(file, JSON.stringify(manifest));
}

describe('text in the model manifest', () => {
  it('round-trips through saveModel/loadModel, without the split-specific truncation count', async () => {
    await withTempDir(async (dir) => {
      const model = await saved(dir);
      const loaded = await loadModel(model);
      expect(loaded.manifest.text).toEqual({
        tokenizer: 'word',
        lowercase: true,
        tokens: ['<pad>', '<unk>', '<bos>', '<eos>', 'the', 'cat'],
        maxLength: 6,
      });
      expect(loaded.manifest.context.vocabularySize).toBe(6);
      expect(loaded.model.context.vocabularySize).toBe(6);
      loaded.model.dispose();
    });
  });

  it("a model's own text data is encoded with its saved vocabulary", async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'lines.txt');
      await writeFile(file, 'the cat sat\nthe dog\nthe cat\n'.repeat(5));
      const { family, config } = parseModelConfig({ kind: 'dense-ae', hidden: [4], latent: 2 });
      const model = family.build(config, { sampleShape: [6], vocabularySize: 6, seed: 0 });
      await saveModel(model, join(dir, 'model'), { text: vocabulary, data: { source: 'text', path: file } });
      model.dispose();
      const loaded = await loadModel(join(dir, 'model'));
      const splits = await modelData(loaded);
      // Fitted afresh, "sat" and "dog" would get ids; with the model's vocabulary they are <unk>.
      expect(splits.text?.tokens).toEqual(vocabulary.tokens);
      const rows = new Set<string>();
      for (let i = 0; i < splits.train.size; i++)
        rows.add(splits.train.x.subarray(i * 6, i * 6 + 6).join(','));
      expect([...rows].sort()).toEqual(['4,1,3,0,0,0', '4,5,1,3,0,0', '4,5,3,0,0,0']);
      loaded.model.dispose();
    });
  });

  it('a manifest without text still loads', async () => {
    await withTempDir(async (dir) => {
      const loaded = await loadModel(await saved(dir, false));
      expect(loaded.manifest.text).toBeUndefined();
      loaded.model.dispose();
    });
  });

  it('a vocabulary that does not match the model is an error naming the manifest', async () => {
    await withTempDir(async (dir) => {
      const model = await saved(dir);
      await editManifest(model, (m) => m.text.tokens.push('extra'));
      const error = await readManifest(model).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IoError);
      expect((error as Error).message).toContain('manifest.json#text');
      expect((error as Error).message).toContain(
        'the vocabulary has 7 tokens, but the model was built for 6 token ids',
      );
      await editManifest(model, (m) => {
        m.text.tokens = ['<unk>', '<pad>', '<bos>', '<eos>', 'the', 'cat'];
      });
      await expect(readManifest(model)).rejects.toThrow(/must start with <pad>, <unk>, <bos>, <eos>/);
      await editManifest(model, (m) => {
        m.text.tokens = ['<pad>', '<unk>', '<bos>', '<eos>', 'the', 'cat'];
        m.text.maxLength = 9;
      });
      await expect(readManifest(model)).rejects.toThrow(
        /rows are 9 tokens, but the model takes samples of shape \[6\]/,
      );
    });
  });
});
