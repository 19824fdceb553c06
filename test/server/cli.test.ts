// `latentlab serve`: refuses a public address without a token, takes the token from the environment, listens on
// loopback, answers, and stops cleanly on SIGTERM.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ServerFlags, serverOptionsFrom, withServerFlags } from '../../src/cli/commands/serve.js';
import { ROOT, runInProcess } from '../apps/cli-helper.js';
import { makeRunsDir } from './helpers.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

const flags = (args: string[]): ServerFlags =>
  withServerFlags(new Command('serve')).parse(args, { from: 'user' }).opts() as ServerFlags;

describe('latentlab serve', () => {
  it('refuses a non-loopback address without a token (exit 2, one line)', async () => {
    vi.stubEnv('LATENTLAB_TOKEN', '');
    const { code, stderr } = await runInProcess(['serve', '--host', '0.0.0.0', '--port', '0']);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /^latentlab: error: --host: refusing to listen on 0\.0\.0\.0 without a token: .*give --token \(or LATENTLAB_TOKEN\), or listen on 127\.0\.0\.1\n$/,
    );
  });

  it('takes the token from --token or LATENTLAB_TOKEN, and the limits from flags', () => {
    vi.stubEnv('LATENTLAB_TOKEN', 'from-env');
    const options = serverOptionsFrom(
      flags(['--host', '0.0.0.0', '--max-batch', '8', '--cache', '2', '--max-text-chars', '500']),
    );
    expect(options).toMatchObject({
      host: '0.0.0.0',
      token: 'from-env',
      cacheSize: 2,
      limits: { maxBatch: 8, maxTextChars: 500 },
    });
    expect(serverOptionsFrom(flags(['--token', 'flag'])).token).toBe('flag');
    vi.stubEnv('LATENTLAB_TOKEN', '');
    expect(serverOptionsFrom(flags([])).token).toBeUndefined();
    expect(() => serverOptionsFrom(flags(['--host', '10.0.0.1']))).toThrow(/without a token/);
  });

  it('serves on 127.0.0.1 and stops on SIGTERM', async () => {
    const runs = await makeRunsDir();
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'src/cli/bin.ts'),
        'serve',
        '--runs',
        runs.dir,
        '--port',
        '0',
        '--backend',
        'wasm',
      ],
      { cwd: ROOT, env: { ...process.env, LATENTLAB_TOKEN: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          const match = /(http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(out);
          if (match) resolve(match[1]);
        });
        child.on('exit', (code) => reject(new Error(`exited with ${code}`)));
      });
      const res = await fetch(`${url}/v1/runs`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ runs: [] });
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      await runs.cleanup();
    }
  });
});
