// The `latentlab` command line: one subcommand per task, one readable error line, exit 0/1/2.
import { Command, CommanderError } from 'commander';
import { exitCodeFor } from '../errors.js';
import { LATENTLAB_VERSION } from '../version.js';
import { augmentCommand } from './commands/augment.js';
import { benchmarkCommand } from './commands/benchmark.js';
import { compareCommand } from './commands/compare.js';
import { compressCommand, decompressCommand } from './commands/compress.js';
import { datasetsCommand } from './commands/datasets.js';
import { denoiseCommand } from './commands/denoise.js';
import { detectCommand } from './commands/detect.js';
import { embedCommand } from './commands/embed.js';
import { exportCommand } from './commands/export.js';
import { evaluateCommand, interpolateCommand, latentMapCommand, sampleCommand } from './commands/generate.js';
import { importCommand } from './commands/import.js';
import { imputeCommand } from './commands/impute.js';
import { modelsCommand } from './commands/models.js';
import { pcaCommand } from './commands/pca.js';
import { serveCommand } from './commands/serve.js';
import { studioCommand } from './commands/studio.js';
import { sweepCommand, workerCommand } from './commands/sweep.js';
import { trainCommand } from './commands/train.js';
import { traverseCommand } from './commands/traverse.js';
import { decodeCommand, encodeCommand, infoCommand, reconstructCommand } from './commands/use.js';

export function buildProgram(): Command {
  const program = new Command('latentlab')
    .description('autoencoders and GANs for TypeScript')
    .version(LATENTLAB_VERSION)
    .option('--verbose', 'print stack traces with errors')
    .showHelpAfterError('(run with --help for usage)');
  for (const command of [
    trainCommand(),
    modelsCommand(),
    reconstructCommand(),
    encodeCommand(),
    decodeCommand(),
    infoCommand(),
    sampleCommand(),
    interpolateCommand(),
    latentMapCommand(),
    traverseCommand(),
    evaluateCommand(),
    datasetsCommand(),
    pcaCommand(),
    compareCommand(),
    denoiseCommand(),
    compressCommand(),
    decompressCommand(),
    augmentCommand(),
    detectCommand(),
    imputeCommand(),
    benchmarkCommand(),
    embedCommand(),
    exportCommand(),
    importCommand(),
    serveCommand(),
    studioCommand(),
    sweepCommand(),
    workerCommand(),
  ]) {
    program.addCommand(command);
  }
  program.exitOverride();
  for (const command of program.commands) command.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit through here with code 0; commander already printed usage errors.
      return error.exitCode === 0 ? 0 : 2;
    }
    const verbose = program.opts().verbose || argv.includes('--verbose');
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`latentlab: error: ${message}\n`);
    if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    return exitCodeFor(error);
  }
}
