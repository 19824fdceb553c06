// Running the CLI from source, as the app tests do: in a child process, or in this process through main().
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect, vi } from 'vitest';
import { main } from '../../src/cli/main.js';

export const ROOT = join(import.meta.dirname, '..', '..');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI from source in a child process on the wasm backend: the process, and its exit with what it printed. */
export function startCli(args: string[]): { child: ChildProcess; done: Promise<CliRun> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/bin.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, LATENTLAB_BACKEND: 'wasm' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const done = new Promise<CliRun>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

export function cli(args: string[]): Promise<CliRun> {
  return startCli(args).done;
}

/** main() in this process on the wasm backend, with stdout and stderr captured (faster than a child process). */
export async function runInProcess(
  argv: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return captureMain(['node', 'latentlab', ...argv, '--backend', 'wasm']);
}

/**
 * main() in this process with exactly the arguments `cli()` would pass and LATENTLAB_BACKEND=wasm, as the child
 * gets it: the same command without a process start-up (about 3 s each). Exit codes and output are main()'s;
 * keep `cli()` where the process itself is under test (signals, what a fresh process prints once).
 */
export async function cliInProcess(args: string[]): Promise<CliRun & { code: number }> {
  const before = process.env.LATENTLAB_BACKEND;
  process.env.LATENTLAB_BACKEND = 'wasm';
  try {
    return await captureMain(['node', 'latentlab', ...args]);
  } finally {
    if (before === undefined) delete process.env.LATENTLAB_BACKEND;
    else process.env.LATENTLAB_BACKEND = before;
  }
}

async function captureMain(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(argv);
    return { code, stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

/** Trains a tiny run of `kind` (hidden 16, latent 3, 200 samples, 1 epoch) into `out` through the CLI, in process. */
export async function trainTinyRun(kind: string, out: string): Promise<void> {
  const trained = await runInProcess([
    'train',
    '--model',
    kind,
    '--hidden',
    '16',
    '--latent',
    '3',
    '--limit',
    '200',
    '--epochs',
    '1',
    '--out',
    out,
  ]);
  expect(trained.code, trained.stderr).toBe(0);
}
