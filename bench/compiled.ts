// The bench's workers run as compiled JavaScript, as latentlab's users run it (npm installs the compiled
// package), not under the tsx loader the bench itself runs in: tsx keeps a hooks thread with its own V8 heap and
// every transformed source with its source map, about 100 MB of resident memory that is no part of latentlab
// (W1's training loop: peak RSS 333 MB under tsx, 226 MB compiled, measured with the same script). The peak RSS
// of a row is then latentlab's, comparable with PyTorch's.
//
// `tsc -p tsconfig.bench.json` compiles src/ and bench/ once per bench command into .bench-build/, beside links to
// what compiled code finds from its own location (native/, node_modules/, package.json, ...), so that the tree
// under .bench-build resolves files as the repository does.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, '.bench-build');
/** What compiled code reaches relative to its own files: the addon, packages, the version, classifiers, the studio. */
const LINKED = ['native', 'node_modules', 'package.json', 'classifiers', 'dist'];

let built = false;

/** Compiles the bench and the library once (about a minute); throws with tsc's output when it fails. */
export function buildCompiledBench(log: (line: string) => void = () => {}): void {
  if (built) return;
  log('compiling the bench and latentlab for the workers (tsc -p tsconfig.bench.json)');
  rmSync(out, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.bench.json')], {
    encoding: 'utf8',
    timeout: 10 * 60_000,
  });
  if (result.status !== 0) {
    throw new Error(`tsc -p tsconfig.bench.json failed:\n${result.stdout}${result.stderr}`);
  }
  mkdirSync(out, { recursive: true });
  for (const name of LINKED) {
    if (existsSync(join(root, name))) symlinkSync(join(root, name), join(out, name));
  }
  built = true;
}

/** Node's arguments that run bench/NAME.ts compiled (after buildCompiledBench). */
export function compiledWorker(benchFile: string): string[] {
  const path = join(out, relative(root, benchFile)).replace(/\.ts$/, '.js');
  return [path];
}
