// What the server's routes and plugins (the studio) share: the runs directory, the model cache, the queue.
import type { FastifyInstance } from 'fastify';
import type { Batcher } from './batcher.js';
import type { ModelCache } from './model-cache.js';
import type { TensorQueue } from './queue.js';
import type { RunsDirectory } from './runs.js';

export interface ServerLimits {
  /** Largest request body (JSON or image/png), bytes. */
  bodyBytes: number;
  /** Most samples, texts, codes or steps in one request. */
  maxBatch: number;
  /** Longest text in a request (text models), characters (UTF-16 units), checked before tokenizing. */
  maxTextChars: number;
  /** Largest uploaded file (a PNG image or a WAV recording), bytes. */
  imageBytes: number;
  /** Largest width or height of an uploaded image, pixels. */
  maxImageSide: number;
  /** Requests allowed to wait for the model; more are refused with 503. */
  maxWaiting: number;
  /** Longest uploaded recording (audio runs), seconds, as its WAV header declares it: checked before reading on. */
  maxAudioSeconds: number;
}

// A 256-sample batch of 28x28 images as JSON is about 2 MB; 8 MB leaves room for larger images and RGB.
export const DEFAULT_LIMITS: ServerLimits = {
  bodyBytes: 8 * 1024 * 1024,
  maxBatch: 256,
  // A long paragraph; the model reads at most maxLength tokens of it anyway.
  maxTextChars: 4096,
  imageBytes: 4 * 1024 * 1024,
  maxImageSide: 1024,
  maxWaiting: 256,
  // Models hear clips of a second or two; a minute of 48 kHz audio is 2.9 M samples to resample.
  maxAudioSeconds: 60,
};

export interface ServerContext {
  runs: RunsDirectory;
  models: ModelCache;
  queue: TensorQueue;
  /** Groups requests for the same run and operation into one queue job (off when its window is 0). */
  batcher: Batcher;
  limits: ServerLimits;
  /** The model directory each POST on a run resolved to before its body was read (preParsing), by request. */
  modelDirs: WeakMap<object, string>;
  token?: string;
}

/** A plugin on top of the model server (the studio): registered after /v1, under the token check. */
export type ServerPlugin = (app: FastifyInstance, context: ServerContext) => Promise<void>;

declare module 'fastify' {
  interface FastifyInstance {
    latentlab: ServerContext;
  }
  interface FastifyContextConfig {
    /** Skip the bearer-token check: static assets holding no data only. */
    public?: boolean;
  }
}
