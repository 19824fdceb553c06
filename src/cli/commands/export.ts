// `latentlab export`: a run's networks for other tools: ONNX models (ONNX Runtime in Node, the browser or Python)
// or safetensors weights and checkpoint (PyTorch, numpy).
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { UsageError } from '../../errors.js';
import { exportOnnx } from '../../io/onnx/export.js';
import { exportSafetensors } from '../../io/safetensors.js';
import { resolveModelDir, runPaths } from '../../train/run-dir.js';
import { backendOption, type GlobalOptions, startBackend } from '../shared.js';

/** What an earlier export leaves in its directory: only such a directory is replaced. */
const EXPORTED = /^(export\.json|[\w.-]+\.(onnx|safetensors))$/;

/** The directory is replaced whole, so one holding anything but an earlier export is refused rather than lost. */
async function checkTarget(out: string): Promise<void> {
  if (!existsSync(out)) return;
  let entries: string[];
  try {
    entries = await readdir(out);
  } catch {
    throw new UsageError(`--out ${out} exists and is not a directory`);
  }
  const other = entries.find((entry) => !EXPORTED.test(entry));
  if (other !== undefined)
    throw new UsageError(
      `--out ${out} holds "${other}", which is no earlier export; the export replaces the directory whole: name a new one`,
    );
}

export function exportCommand(): Command {
  return new Command('export')
    .description(
      "write a run for other tools: --format onnx (one ONNX model per network, NHWC inputs, opset 13) or safetensors (each network's weights, and the checkpoint)",
    )
    .argument('<run>', 'run directory (or its model directory)')
    .addOption(
      new Option('--format <format>', 'onnx or safetensors')
        .choices(['onnx', 'safetensors'])
        .makeOptionMandatory(),
    )
    .requiredOption('--out <dir>', 'directory to write (replaced whole when it holds an earlier export)')
    .addOption(backendOption())
    .action(async (run: string, flags: GlobalOptions & { format: 'onnx' | 'safetensors'; out: string }) => {
      await startBackend(flags);
      const modelDir = resolveModelDir(run);
      await checkTarget(flags.out);
      if (flags.format === 'onnx') {
        const index = await exportOnnx(modelDir, flags.out);
        for (const [name, network] of Object.entries(index.networks)) {
          const signature = (list: typeof network.inputs) =>
            list.map((t) => `${t.name} [${t.shape.map((d) => d ?? 'n').join(', ')}]`).join(', ');
          process.stdout.write(
            `${name}: ${network.file}  (${signature(network.inputs)}) -> (${signature(network.outputs)})\n`,
          );
        }
        process.stdout.write(
          `wrote ${flags.out} (ONNX opset ${index.opset}, inputs NHWC as latentlab takes them)\n`,
        );
        return;
      }
      const checkpoint = runPaths(run).checkpoint;
      const { files } = await exportSafetensors(
        modelDir,
        flags.out,
        existsSync(checkpoint) ? checkpoint : undefined,
      );
      process.stdout.write(`wrote ${flags.out}: ${files.join(', ')}\n`);
    });
}
