// What a run ends with, for the tests that compare resumed runs with uninterrupted ones byte for byte.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readCheckpoint } from '../../src/train/checkpoint.js';

/** metrics.jsonl without the wall-clock fields, which differ between any two runs. */
export async function metricsOf(runDir: string): Promise<unknown[]> {
  return (await readFile(join(runDir, 'metrics.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => {
      const { seconds: _s, samplesPerSecond: _r, ...rest } = JSON.parse(line);
      return rest;
    });
}

/** A digest of the checkpoint's weights and optimiser state, per array, byte for byte. */
export async function stateBytes(runDir: string): Promise<Record<string, string>> {
  const checkpoint = await readCheckpoint(join(runDir, 'checkpoint.lltf'));
  const out: Record<string, string> = {};
  for (const [group, byNetwork] of Object.entries({ net: checkpoint.weights, opt: checkpoint.optimizers })) {
    for (const [name, arrays] of Object.entries(byNetwork)) {
      // By position: the optimiser's names hold tfjs's global variable counters.
      for (const [i, a] of arrays.entries())
        out[`${group}/${name}/${i}`] = createHash('sha256')
          .update(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength))
          .digest('hex');
    }
  }
  return out;
}
