// `latentlab pca`: the PCA baseline at a given number of components, on the same splits models use.
import { Command } from 'commander';
import { loadData } from '../../data/load.js';
import { formatDataSpec } from '../../data/spec.js';
import { fitPca, pcaReconstructionError } from '../../eval/pca.js';
import {
  backendOption,
  type CsvFlags,
  dataSpecFrom,
  type GlobalOptions,
  parseNumber,
  startBackend,
  withCsvFlags,
} from '../shared.js';

export function pcaCommand(): Command {
  return withCsvFlags(
    new Command('pca').option(
      '--data <spec>',
      'mnist | fashion-mnist | idx:PATH | csv:PATH | npz:PATH | npy:PATH | images:DIR',
      'mnist',
    ),
  )
    .description('PCA baseline: fit on the training split, report test reconstruction MSE per value')
    .option(
      '--components <n>',
      'number of components (compare with the latent size)',
      parseNumber('--components', { integer: true, min: 1 }),
      32,
    )
    .option('--seed <n>', 'split seed (as in train)', parseNumber('--seed', { integer: true, min: 0 }), 0)
    .option('--json', 'print JSON')
    .addOption(backendOption())
    .action(
      async (
        flags: GlobalOptions & CsvFlags & { data: string; components: number; seed: number; json?: boolean },
      ) => {
        await startBackend(flags);
        const spec = dataSpecFrom(flags.data, flags);
        const splits = await loadData(spec, { seed: flags.seed });
        const started = performance.now();
        const pca = fitPca(splits.train, flags.components);
        const testMse = pcaReconstructionError(pca, splits.test);
        const explained = pca.explainedVarianceRatio.reduce((a, b) => a + b, 0);
        const result = {
          data: formatDataSpec(spec),
          components: flags.components,
          trainSamples: splits.train.size,
          testSamples: splits.test.size,
          testMse,
          explainedVariance: explained,
          seconds: (performance.now() - started) / 1000,
        };
        if (flags.json) process.stdout.write(`${JSON.stringify(result)}\n`);
        else
          process.stdout.write(
            `PCA ${flags.components} components on ${result.data}: test MSE per value ${testMse.toPrecision(4)} ` +
              `(explains ${(explained * 100).toFixed(1)}% of training variance; fit on ${splits.train.size} samples)\n`,
          );
      },
    );
}
