// Text through the CLI's decoding flags: `interpolate` between two sentences prints Bowman et al.'s table (the
// ends as given, then one decoded sentence per step), or JSON; `sample` and `reconstruct` take --beam; and the
// refusals say what went wrong: a model without an encoder, sentences for an image model, an image strip for text,
// a beam with a temperature.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { saveModel } from '../../src/io/model-files.js';
import { getFamily } from '../../src/models/registry.js';
import { runInProcess } from '../apps/cli-helper.js';
import { useBackend, withTempDir } from '../helpers.js';
import { patternCorpus as corpus } from '../text-fixtures.js';

beforeAll(async () => {
  await useBackend('wasm');
});

/** Words two sentences share, position by position. */
const shared = (a: string, b: string) => {
  const right = b.split(' ');
  return a.split(' ').filter((word, i) => right[i] === word).length;
};

describe('interpolate on text', () => {
  it('prints the table between two sentences, as JSON too, with beam search; sample and reconstruct take --beam', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'lines.txt');
      await writeFile(file, corpus(240));
      const run = join(dir, 'run');
      const trained = await runInProcess([
        'train',
        '--model',
        'seq-ae',
        '--data',
        `text:${file}`,
        ...['--embedding', '16', '--hidden', '32', '--latent', '8', '--max-length', '8', '--min-count', '1'],
        ...['--epochs', '6', '--batch-size', '16', '--lr', '0.01', '--out', run],
      ]);
      expect(trained.code, trained.stderr).toBe(0);

      const from = 'the red cat runs .';
      const to = 'the blue bird sings .';
      const table = await runInProcess([
        'interpolate',
        run,
        '--from-text',
        from,
        '--to-text',
        to,
        '--steps',
        '5',
      ]);
      expect(table.code, table.stderr).toBe(0);
      const lines = table.stdout.trimEnd().split('\n');
      // A header, the two ends as given, and one line per step.
      expect(lines).toHaveLength(1 + 2 + 5);
      expect(lines[0]).toBe('5 steps (linear, greedy)');
      expect(lines[1]).toBe(`from  ${from}`);
      expect(lines[7]).toBe(`to    ${to}`);
      const steps = lines.slice(2, 7);
      expect(steps.map((line) => line.slice(0, 6))).toEqual([
        '0.00  ',
        '0.25  ',
        '0.50  ',
        '0.75  ',
        '1.00  ',
      ]);
      for (const line of steps) expect(line.slice(6)).toMatch(/^the \w+ \w+ \w+ \.$/);
      // The ends decode to (nearly) the sentences given: the pattern is learnt.
      expect(shared(steps[0].slice(6), from)).toBeGreaterThanOrEqual(4);
      expect(shared(steps[4].slice(6), to)).toBeGreaterThanOrEqual(4);

      // Unknown words are read as <unk> and counted; an item of the split can be an end too.
      const unknown = await runInProcess([
        'interpolate',
        run,
        '--from-text',
        'the purple cat flies .',
        '--to',
        '0',
        '--steps',
        '3',
      ]);
      expect(unknown.code, unknown.stderr).toBe(0);
      const unknownLines = unknown.stdout.trimEnd().split('\n');
      expect(unknownLines[0]).toBe('3 steps (linear, greedy); 2 tokens not in the vocabulary read as <unk>');
      expect(unknownLines[1]).toBe('from  the <unk> cat <unk> .');
      expect(unknownLines.at(-1)).toMatch(/^to {4}the \w+ \w+ \w+ \. {3}\[item 0\]$/);

      const json = await runInProcess([
        'interpolate',
        run,
        '--from-text',
        from,
        '--to-text',
        to,
        '--steps',
        '4',
        '--slerp',
        '--beam',
        '3',
        '--json',
      ]);
      expect(json.code, json.stderr).toBe(0);
      const report = JSON.parse(json.stdout);
      expect(report).toMatchObject({
        steps: 4,
        interpolation: 'spherical',
        decoding: 'beam 3',
        from: { flag: '--from-text', text: from, unknown: 0, cut: false },
        to: { flag: '--to-text', text: to, unknown: 0, cut: false },
      });
      expect(report.path.map((step: { t: number }) => step.t)).toEqual([0, 1 / 3, 2 / 3, 1]);
      for (const step of report.path) expect(step.text).toMatch(/^the \w+ \w+ \w+ \.$/);

      // sample and reconstruct search too, and say so.
      const sampled = await runInProcess(['sample', run, '--n', '3', '--seed', '1', '--beam', '3']);
      expect(sampled.code, sampled.stderr).toBe(0);
      const sampledLines = sampled.stdout.trimEnd().split('\n');
      expect(sampledLines[0]).toContain('3 samples (seed 1, Gaussian fitted to the training codes, beam 3)');
      expect(sampledLines).toHaveLength(4);
      const rec = await runInProcess([
        'reconstruct',
        run,
        '--n',
        '2',
        '--beam',
        '2',
        '--length-penalty',
        '0.6',
      ]);
      expect(rec.code, rec.stderr).toBe(0);
      expect(rec.stdout).toMatch(/tokens reconstructed exactly [\d.]+% \(beam 2, length penalty 0\.6\)\n/);
      expect(rec.stdout).toMatch(/ {2}in: {2}the \w+ \w+ \w+ \.\n {2}out: /);

      // Refusals, each naming its flag.
      const refusals: [string[], string][] = [
        [['sample', run, '--beam', '0'], 'expected an integer >= 1 for --beam, got "0"'],
        [
          ['sample', run, '--beam', '2', '--temperature', '1'],
          '--beam: a beam search looks for the most likely sentence and draws nothing: give --beam or --temperature, not both',
        ],
        [
          ['reconstruct', run, '--length-penalty', '1'],
          '--length-penalty: ranks the sentences a beam search finishes, so it needs --beam above 1',
        ],
        [
          ['interpolate', run, '--from', '1', '--from-text', from, '--to', '2'],
          '--from-text: give --from or --from-text, not both',
        ],
        [
          ['interpolate', run, '--from-text', from],
          '--to: expected an end: an item index or seed:N (or a sentence with --to-text)',
        ],
        [
          ['interpolate', run, '--from-text', ' ', '--to', '1'],
          '--from-text: expected a sentence of at least one token, got " "',
        ],
        [
          ['interpolate', run, '--from-text', from, '--to', '1', '--out', join(dir, 'x.png')],
          '--out: writes an image strip; a text model prints its path (or --json)',
        ],
      ];
      for (const [args, message] of refusals) {
        const refused = await runInProcess(args);
        expect(refused.code, args.join(' ')).toBe(2);
        expect(refused.stderr).toContain(message);
      }
    });
  }, 90_000);

  it('refuses sentences for an image model, and a language model (no encoder) for sentence ends', async () => {
    await withTempDir(async (dir) => {
      const ae = getFamily('dense-ae');
      const image = ae.build(ae.configSchema.parse({ kind: 'dense-ae', hidden: [8], latent: 2 }), {
        sampleShape: [28, 28, 1],
        seed: 0,
      });
      await saveModel(image, join(dir, 'image', 'model'), { data: { source: 'mnist' } });
      image.dispose();
      const lm = getFamily('lm');
      const text = {
        tokenizer: 'word' as const,
        lowercase: true,
        tokens: ['<pad>', '<unk>', '<bos>', '<eos>', 'a', 'b'],
        maxLength: 4,
      };
      const language = lm.build(lm.configSchema.parse({ kind: 'lm', embedding: 4, hidden: 4 }), {
        sampleShape: [4],
        vocabularySize: 6,
        seed: 0,
      });
      await saveModel(language, join(dir, 'lm', 'model'), { data: { source: 'brown' }, text });
      language.dispose();

      const refusals: [string[], string][] = [
        [
          ['interpolate', join(dir, 'image'), '--from-text', 'a b', '--to', '1'],
          '--from-text: takes a sentence, for models of text; "dense-ae" was trained on samples of shape [28, 28, 1]: give --from (an item index or seed:N)',
        ],
        [
          ['interpolate', join(dir, 'image'), '--from', 'seed:1', '--to', 'seed:2', '--beam', '2'],
          '--beam: chooses the tokens of text models (seq-ae, seq-vae, lm); "dense-ae" has none',
        ],
        [
          ['interpolate', join(dir, 'lm'), '--from-text', 'a b', '--to-text', 'b a'],
          '--from-text: interpolates between the codes of two sentences; "lm" has no encoder to read a sentence into a code (a language model writes from <bos>: use sample)',
        ],
      ];
      for (const [args, message] of refusals) {
        const refused = await runInProcess(args);
        expect(refused.code, args.join(' ')).toBe(2);
        expect(refused.stderr).toContain(message);
      }
      // The language model still writes with a beam.
      const written = await runInProcess(['sample', join(dir, 'lm'), '--n', '2', '--beam', '2']);
      expect(written.code, written.stderr).toBe(0);
      expect(written.stdout).toContain('2 samples (seed 0, the language model, beam 2)');
    });
  }, 30_000);
});
