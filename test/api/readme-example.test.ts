// The README's "From TypeScript with arrays" example, run as written (only the package name points at src/), so
// the README cannot drift from the API.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it, vi } from 'vitest';
import { ROOT } from '../apps/cli-helper.js';

process.env.LATENTLAB_BACKEND = 'wasm';

/** The first ```ts block after `heading`. */
async function exampleAfter(heading: string): Promise<string> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf(`\n${heading}\n`);
  expect(at, `README has "${heading}"`).toBeGreaterThan(0);
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  expect(block, `a ts code block after "${heading}"`).not.toBeNull();
  return block![1];
}

it('runs the README example: fit on rows, score, flag the odd rows, encode, decode, save and load', async () => {
  const code = await exampleAfter('### From TypeScript with arrays');
  expect(code).toContain("from 'latentlab'");
  const index = pathToFileURL(join(ROOT, 'src/index.ts')).href;
  const dir = await mkdtemp(join(tmpdir(), 'latentlab-readme-'));
  const logged: unknown[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((value) => {
    logged.push(value);
  });
  const cwd = process.cwd();
  try {
    const file = join(dir, 'example.ts');
    await writeFile(file, code.replaceAll("from 'latentlab'", `from '${index}'`));
    process.chdir(dir);
    await import(pathToFileURL(file).href);
    const [scores, flags] = logged as [Float32Array, Uint8Array];
    expect(scores).toHaveLength(3);
    expect(Math.min(scores[1], scores[2])).toBeGreaterThan(10 * scores[0]);
    expect([...flags]).toEqual([1, 1]);
    const manifest = JSON.parse(await readFile(join(dir, 'line-model', 'manifest.json'), 'utf8'));
    expect(manifest.kind).toBe('dense-ae');
  } finally {
    process.chdir(cwd);
    log.mockRestore();
    await rm(dir, { recursive: true, force: true });
  }
});
