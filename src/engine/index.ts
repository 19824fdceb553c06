export * from './backend.js';
export * from './memory.js';
export * from './threads.js';
export { tf, tfl } from './tf.js';
