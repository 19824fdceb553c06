// A thread of the server's image decoder (image-decoder.ts): decodes one uploaded PNG and resizes it to the
// model's sample shape, off the event loop.
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { decodeImage, resizeBilinear } from '../data/sources/images.js';
import { LatentlabError } from '../errors.js';
import type { DecodeAnswer, DecodeTask } from './image-decoder.js';

// Decoding is background work: the event loop's thread comes first (on Linux this lowers this thread only).
try {
  setPriority(10);
} catch {
  // Not allowed here: decode at the same priority.
}

parentPort?.on('message', ({ id, bytes, shape, field }: DecodeTask) => {
  const [height, width, channels] = shape;
  let answer: DecodeAnswer;
  try {
    answer = { id, values: resizeBilinear(decodeImage(bytes, channels, field), height, width) };
  } catch (error) {
    answer = { id, error: (error as Error).message, data: error instanceof LatentlabError };
  }
  parentPort?.postMessage(answer, 'values' in answer ? [answer.values.buffer as ArrayBuffer] : []);
});
