// docs/architecture.md is the map of the layers: every import in src/ across layers must be one its table
// allows, and every layer it names must exist, so the page stays true.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');
const doc = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');

/** Rows of the first markdown table after `heading` (header and rule skipped), as trimmed cells. */
function tableAfter(text: string, heading: string): string[][] {
  const start = text.indexOf(heading);
  expect(start, `docs/architecture.md has "${heading}"`).toBeGreaterThanOrEqual(0);
  const lines = text.slice(start).split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

const layers = new Map(
  tableAfter(doc, '## Layers').map(([layer, , imports]) => [
    layer,
    new Set(imports === '(nothing)' ? [] : imports.split(',').map((s) => s.trim())),
  ]),
);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The layer of a file under src/: its first folder, or undefined for the top-level files. */
const layerOf = (file: string) => {
  const parts = relative(SRC, file).split('/');
  return parts.length > 1 ? parts[0] : undefined;
};

/** Every relative import (static, `export from` and dynamic) of every file in src/, as [from, to] files. */
function importEdges(): [string, string][] {
  const edges: [string, string][] = [];
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      const target = normalize(join(dirname(file), match[1])).replace(/\.js$/, '.ts');
      edges.push([file, target]);
    }
  }
  return edges;
}

describe('docs/architecture.md', () => {
  it('names every layer of src/, and only those', () => {
    const folders = readdirSync(SRC, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    expect([...layers.keys()].sort()).toEqual(folders);
    for (const [layer, allowed] of layers)
      for (const target of allowed) expect(layers.has(target), `${layer} may import "${target}"`).toBe(true);
  });

  it('allows every import across layers that the code makes', () => {
    const wrong: string[] = [];
    for (const [from, to] of importEdges()) {
      const source = layerOf(from);
      const target = layerOf(to);
      if (!source || !target || source === target) continue;
      const pair = `${relative(ROOT, from)} -> ${relative(ROOT, to)}`;
      if (layers.get(source)?.has(target)) continue;
      wrong.push(
        `${pair} (${source} may import: ${[...(layers.get(source) ?? [])].join(', ') || 'nothing'})`,
      );
    }
    expect(wrong).toEqual([]);
  });

  it('keeps the top-level files free of the layers (errors and version import nothing of ours)', () => {
    for (const name of ['errors.ts', 'version.ts']) {
      const text = readFileSync(join(SRC, name), 'utf8');
      expect(text, name).not.toMatch(/from '\.\//);
    }
  });
});
