// `latentlab serve`: the model server over a runs directory, until Ctrl-C.
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { checkBinding, DEFAULT_LIMITS, type StartOptions, startServer } from '../../server/app.js';
import { backendOption, type GlobalOptions, parseNumber, startBackend } from '../shared.js';

export interface ServerFlags extends GlobalOptions {
  runs: string;
  host: string;
  port: number;
  token?: string;
  allowHost: string[];
  maxBatch: number;
  bodyLimit: number;
  maxImageSide: number;
  maxTextChars: number;
  maxAudioSeconds: number;
  cache: number;
  batchWindow?: number;
  batchRows?: number;
  log?: boolean;
}

/** The flags `serve` (and `studio`) share: where to listen, the token, the limits. */
export function withServerFlags(command: Command): Command {
  const positive = (flag: string) => parseNumber(flag, { integer: true, min: 1 });
  return command
    .option('--runs <dir>', 'where runs (and their models) are loaded from', 'runs')
    .option('--host <address>', 'address to listen on; anything but loopback needs a token', '127.0.0.1')
    .option('--port <n>', 'port (0: any free one)', parseNumber('--port', { integer: true, min: 0 }), 8080)
    .option(
      '--token <token>',
      'require "Authorization: Bearer <token>" on every request (env LATENTLAB_TOKEN)',
    )
    .option(
      '--allow-host <name>',
      'answer requests addressed to this host name too (repeatable; "*": any, behind a proxy that checks it); loopback names and --host always',
      (name: string, names: string[]) => [...names, name],
      [],
    )
    .option(
      '--max-batch <n>',
      'most samples, codes or steps per request',
      positive('--max-batch'),
      DEFAULT_LIMITS.maxBatch,
    )
    .option(
      '--body-limit <bytes>',
      'largest request body',
      positive('--body-limit'),
      DEFAULT_LIMITS.bodyBytes,
    )
    .option(
      '--max-image-side <px>',
      'largest width or height of an uploaded image',
      positive('--max-image-side'),
      DEFAULT_LIMITS.maxImageSide,
    )
    .option(
      '--max-text-chars <n>',
      'longest text (characters) a text run reads per request item, checked before tokenizing',
      positive('--max-text-chars'),
      DEFAULT_LIMITS.maxTextChars,
    )
    .option(
      '--max-audio-seconds <s>',
      'longest uploaded recording (audio runs), as its WAV header declares it; refused before it is read',
      positive('--max-audio-seconds'),
      DEFAULT_LIMITS.maxAudioSeconds,
    )
    .option('--cache <n>', 'models kept loaded (least recently used evicted)', positive('--cache'), 4)
    .option(
      '--batch-window <ms>',
      'requests for the same run and operation arriving this close together run as one batch; 0: off (default 2 on wasm and cpu, 0 on native and tensorflow)',
      parseNumber('--batch-window', { min: 0 }),
    )
    .option(
      '--batch-rows <n>',
      'most samples, codes or steps in one batch (default: --max-batch)',
      positive('--batch-rows'),
    )
    .option('--log', 'log every request (JSON lines on stderr)')
    .addOption(backendOption());
}

/** Server options from the flags; the token from --token or LATENTLAB_TOKEN, checked against the host. */
export function serverOptionsFrom(flags: ServerFlags): StartOptions {
  const token = flags.token ?? (process.env.LATENTLAB_TOKEN || undefined);
  checkBinding(flags.host, token);
  return {
    runsDir: flags.runs,
    host: flags.host,
    port: flags.port,
    token,
    allowHosts: flags.allowHost,
    cacheSize: flags.cache,
    batching: { windowMs: flags.batchWindow, maxRows: flags.batchRows },
    limits: {
      maxBatch: flags.maxBatch,
      bodyBytes: flags.bodyLimit,
      maxImageSide: flags.maxImageSide,
      maxTextChars: flags.maxTextChars,
      maxAudioSeconds: flags.maxAudioSeconds,
    },
    logger: flags.log ? { level: 'info', stream: process.stderr } : false,
  };
}

/** Resolves on SIGINT or SIGTERM, after the server has closed (queued jobs finish, models disposed). */
export function closeOnSignal(close: () => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      close().then(resolve, reject);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export function serveCommand(): Command {
  return withServerFlags(
    new Command('serve').description(
      'serve the models of a runs directory over HTTP: encode, decode, reconstruct, sample, interpolate, score (JSON or PNG, under /v1; OpenAPI at /v1/openapi.json)',
    ),
  ).action(async (flags: ServerFlags) => {
    const options = serverOptionsFrom(flags);
    const backend = await startBackend(flags);
    if (!existsSync(flags.runs))
      process.stderr.write(`warning: ${flags.runs} does not exist (yet): no runs to serve\n`);
    const { app, url } = await startServer(options);
    const { windowMs, maxRows } = app.latentlab.batcher.options;
    const batching = windowMs > 0 ? `batches: ${windowMs} ms, ${maxRows} rows` : 'batching off';
    process.stdout.write(
      `serving ${flags.runs} at ${url}/v1 (OpenAPI: ${url}/v1/openapi.json; ${backend}; ${batching})${options.token ? '; bearer token required' : ''}\nCtrl-C stops\n`,
    );
    await closeOnSignal(() => app.close());
  });
}
