// dsprites through the CLI: a VAE trains on it, and `evaluate` reports the five disentanglement metrics beside its
// usual figures.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInProcess } from '../apps/cli-helper.js';
import { withTempDir } from '../helpers.js';

describe('latentlab on dsprites', () => {
  it('trains a VAE on it and evaluates its codes by MIG, SAP, DCI, FactorVAE and beta-VAE scores', async () => {
    await withTempDir(async (dir) => {
      const run = join(dir, 'run');
      const trained = await runInProcess([
        'train',
        ...['--model', 'vae', '--data', 'dsprites:100', '--hidden', '16', '--latent', '3'],
        ...['--epochs', '1', '--batch-size', '50', '--out', run],
      ]);
      expect(trained.code, trained.stderr).toBe(0);
      const evaluated = await runInProcess(['evaluate', run, '--k', '2', '--score-points', '30']);
      expect(evaluated.code, evaluated.stderr).toBe(0);
      expect(evaluated.stdout).toMatch(
        /disentanglement \(shape, scale, orientation, posX, posY\): MIG \d\.\d{3}, SAP \d\.\d{3}, DCI disentanglement/,
      );
      // One line per factor: which two of the 3 codes hold most of it.
      for (const factor of ['shape', 'scale', 'orientation', 'posX', 'posY'])
        expect(evaluated.stdout).toMatch(
          new RegExp(
            `\\n  ${factor}: MIG \\d\\.\\d{3}; most informative codes z[0-2] \\d\\.\\d{2}, z[0-2] \\d\\.\\d{2} \\(nats, of its entropy \\d\\.\\d{2}\\)\\n`,
          ),
        );
      const report = JSON.parse(await readFile(join(run, 'evaluation.json'), 'utf8'));
      expect(report.samples).toBe(20);
      const d = report.disentanglement;
      expect(d.factors).toEqual(['shape', 'scale', 'orientation', 'posX', 'posY']);
      // 20 test codes: half for fitting, half for scoring SAP and DCI.
      expect(d.codes).toEqual({ train: 10, test: 10 });
      expect(d.mutualInformation).toHaveLength(3);
      expect(d.factorEntropy).toHaveLength(5);
      const scores = [d.mig, d.sap, d.dci.disentanglement, d.dci.completeness, d.dci.informativeness];
      for (const score of [...scores, d.factorVae, d.betaVae]) {
        expect(score).toBeGreaterThanOrEqual(0);
        expect(score).toBeLessThanOrEqual(1);
      }
    });
  });
});
