// The Node.js floor in package.json is true: it admits this Node, it covers the features latentlab and its
// runtime dependencies need, and the launcher refuses a Node without them in one line instead of a stack trace.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../apps/cli-helper.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { dev?: boolean; engines?: { node?: string } | string[] }>;
};
const floor = pkg.engines.node;

/**
 * Runtime dependencies whose declared range is above the floor but which run on it: ES-module packages that
 * others require(), which Node supports unflagged from 20.19 (and 22.12). Each is checked to still be ESM.
 */
const RUN_THROUGH_REQUIRE_ESM = ['content-disposition', 'cookie'];

/**
 * Whether every Node `inner` admits is admitted by `outer`. semver.subset() can't split one of inner's ranges over
 * two of outer's (`>=22.12.0` against `^22.12.0 || >=23`), so this checks each version either range names as a
 * bound, with the next patch, minor and major after it: both are unions of intervals bounded by those.
 */
function admitsAllOf(outer: string, inner: string): boolean {
  const bounds = [outer, inner].flatMap((range) =>
    new semver.Range(range).set.flat().map((comparator) => comparator.semver.version),
  );
  const probes = bounds.flatMap((version) =>
    version === '0.0.0'
      ? [version]
      : [
          version,
          semver.inc(version, 'patch')!,
          semver.inc(version, 'minor')!,
          semver.inc(version, 'major')!,
        ],
  );
  return probes.every((version) => !semver.satisfies(version, inner) || semver.satisfies(version, outer));
}

describe('the Node.js floor', () => {
  it('admits the Node running the tests (CI runs them on the floor it claims to meet)', () => {
    expect(semver.satisfies(process.version, floor), `${process.version} against ${floor}`).toBe(true);
  });

  it('excludes every Node without require() of ES modules or zlib.crc32', () => {
    for (const without of ['<20.15.0', '>=20.0.0 <20.19.0', '21.x', '>=22.0.0 <22.12.0']) {
      expect(semver.intersects(floor, without), `${floor} admits ${without}`).toBe(false);
    }
    expect(semver.lt(semver.minVersion(floor)!, '20.19.0')).toBe(false);
  });

  it("meets every runtime dependency's declared engines, or runs it through require(esm)", () => {
    const unmet: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      const range = entry.engines && !Array.isArray(entry.engines) ? entry.engines.node : undefined;
      if (!path || entry.dev || !range) continue;
      const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
      if (admitsAllOf(range, floor)) continue;
      if (RUN_THROUGH_REQUIRE_ESM.includes(name)) {
        const manifest = JSON.parse(readFileSync(join(ROOT, path, 'package.json'), 'utf8')) as {
          type?: string;
        };
        expect(manifest.type, `${name} is no longer an ES module`).toBe('module');
        continue;
      }
      unmet.push(`${name} needs node ${range}`);
    }
    expect(unmet).toEqual([]);
  });

  it('the launcher refuses a Node without require(esm) in one line, exit 1', () => {
    const run = spawnSync(
      process.execPath,
      ['--no-experimental-require-module', join(ROOT, 'bin', 'latentlab.js'), '--version'],
      { encoding: 'utf8' },
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      `latentlab: error: Node.js ^20.19.0 or >=22.12.0 is needed (require() of ES modules); this is ${process.version} run with --no-experimental-require-module\n`,
    );
    expect(run.stdout).toBe('');
  });
});
