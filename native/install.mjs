#!/usr/bin/env node
// Builds latentlab's optional native addon (N-API, OpenBLAS) with node-gyp; run by `npm install` / `npm ci`
// (the package's install script) and by `npm run build:native`. Never fails the install: when a compiler,
// the OpenBLAS headers or node-gyp are missing, it prints one line saying how to enable the addon and exits 0.
// LATENTLAB_NATIVE=0 skips the build.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const verbose = process.argv.includes('--verbose');
const HINT = 'to enable them: apt-get install g++ make python3 libopenblas-dev, then npm rebuild latentlab';
const say = (line) => process.stderr.write(`latentlab: ${line}\n`);
const skip = (why) => {
  say(`native kernels not built (${why}); using WebAssembly. ${HINT}`);
  process.exit(0);
};

if (process.env.LATENTLAB_NATIVE === '0') {
  say('native kernels skipped (LATENTLAB_NATIVE=0)');
  process.exit(0);
}
if (process.platform === 'win32') skip('Windows is not supported yet');

const has = (command, args = ['--version']) => spawnSync(command, args, { stdio: 'ignore' }).status === 0;
if (!has('cc') && !has('gcc') && !has('clang')) skip('no C compiler');
if (!has('make')) skip('no make');

const includeDirs = ['/usr/include', '/usr/local/include', '/opt/homebrew/opt/openblas/include'];
const multiarch = spawnSync('cc', ['-print-multiarch'], { encoding: 'utf8' }).stdout?.trim();
if (multiarch) includeDirs.push(`/usr/include/${multiarch}`);
if (!includeDirs.some((dir) => existsSync(join(dir, 'cblas.h'))))
  skip('OpenBLAS headers (cblas.h) not found');

/** npm's own node-gyp (npm passes its path to install scripts), else one next to node, else on PATH. */
function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(
      dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
  ].filter(Boolean);
  const script = candidates.find((path) => existsSync(path));
  if (script) return [process.execPath, [script]];
  if (has('node-gyp')) return ['node-gyp', []];
  return undefined;
}

const gyp = nodeGyp();
if (!gyp) skip('node-gyp not found');
const [command, prefix] = gyp;
const args = [...prefix, 'rebuild', '--directory', here];
// Outside npm (which passes its nodedir setting on), use the headers installed with node when present,
// rather than letting node-gyp download them.
if (!process.env.npm_config_nodedir) {
  for (const dir of [join(dirname(process.execPath), '..'), '/usr', '/usr/local']) {
    if (existsSync(join(dir, 'include', 'node', 'node_api.h'))) {
      args.push(`--nodedir=${dir}`);
      break;
    }
  }
}
const result = spawnSync(command, args, { encoding: 'utf8', timeout: 10 * 60_000 });
const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
if (verbose) process.stderr.write(output);
if (result.status !== 0) {
  mkdirSync(join(here, 'build'), { recursive: true });
  const log = join(here, 'build', 'build-error.log');
  writeFileSync(log, output);
  const firstError = output
    .split('\n')
    .find((l) => /error/i.test(l) && !/^gyp (info|ERR! (stack|System|command|cwd|node|not ok))/.test(l));
  skip(`the build failed${firstError ? `: ${firstError.trim().slice(0, 160)}` : ''}; log in ${log}`);
}
say(`native kernels built (${join(here, 'build', 'Release', 'latentlab_native.node')})`);
