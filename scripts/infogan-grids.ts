// InfoGAN grids for docs/zoo/samplers-and-gans.md: RUN/categories.png, one row per value of the first categorical
// code (the same noise and continuous codes down each column), and RUN/continuous-J.png per continuous code J,
// swept over [-1, 1] along the columns with the category down the rows (noise and other codes fixed).
//   node --import tsx scripts/infogan-grids.ts RUN
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureBackend } from '../src/engine/backend.js';
import { tf } from '../src/engine/tf.js';
import { loadModel } from '../src/io/model-files.js';
import { encodeImageGrid } from '../src/io/png.js';
import { InfoGanModel } from '../src/models/infogan/model.js';

const run = process.argv[2];
if (!run) throw new Error('usage: node --import tsx scripts/infogan-grids.ts RUN');
await ensureBackend();
const { model } = await loadModel(join(run, 'model'));
if (!(model instanceof InfoGanModel)) throw new Error(`${run} is not an InfoGAN run (kind ${model.kind})`);
const cols = 10;
const shape = model.context.sampleShape;
const write = async (name: string, z: tf.Tensor, rows: number) => {
  const images = tf.tidy(() => model.generate(z));
  await writeFile(
    join(run, name),
    encodeImageGrid((await images.data()) as Float32Array, shape, { rows, cols, scale: 2 }),
  );
  images.dispose();
  process.stdout.write(`${join(run, name)}\n`);
};
const { z, rows } = model.categoryGrid(0, cols, 11);
await write('categories.png', z, rows);
const { start } = model.codeColumns();
const firstCategories = model.layout.categorical[0] ?? 0;
const continuousAt = start + model.layout.categorical.reduce((a, b) => a + b, 0);
const base = z.arraySync() as number[][];
for (let j = 0; j < model.layout.continuous; j++) {
  // Row r: the first column's noise and codes, category r; only code J changes along the row.
  const sweep = base.map((_, i) => {
    const copy = base[Math.floor(i / cols) * cols].slice();
    copy[continuousAt + j] = -1 + (2 * (i % cols)) / (cols - 1);
    return copy;
  });
  await write(`continuous-${j + 1}.png`, tf.tensor2d(sweep), firstCategories || rows);
}
z.dispose();
model.dispose();
