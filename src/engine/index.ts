export * from './backend.js';
export * from './memory.js';
export { tf, tfl } from './tf.js';
export * from './threads.js';
