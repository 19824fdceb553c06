// `latentlab sweep SPEC.json`: a grid or random search over run configs and seeds (or `compare` and the anomaly
// benchmark as sweeps: their entries and cells as trials), run here one trial after another, queued on Redis for `latentlab worker` processes on other machines (--redis), one trial only (--trial,
// as a Kubernetes pod runs it), or written out as a Kubernetes Indexed Job (--emit k8s). `latentlab worker`.
import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { kubernetesJob } from '../../apps/sweep/k8s.js';
import { runQueuedSweep, startWorker } from '../../apps/sweep/queue.js';
import { parseSweep, type SweepSpec, type Trial } from '../../apps/sweep/spec.js';
import { recordSpec, runTrial, sweepResults, trialDir, writeResults } from '../../apps/sweep/trials.js';
import { ConfigError, LatentlabError } from '../../errors.js';
import { backendOption, type GlobalOptions, parseNumber, readJsonObject, startBackend } from '../shared.js';
import { closeOnSignal } from './serve.js';

interface SweepFlags extends GlobalOptions {
  runs: string;
  redis?: string;
  trial?: number;
  emit?: 'k8s';
  image: string;
  runsClaim: string;
  parallelism?: number;
  out?: string;
}

async function readSweep(file: string): Promise<{ spec: SweepSpec; trials: Trial[] }> {
  return parseSweep(await readJsonObject(file), file);
}

/** Every trial here, in order; one that fails is reported and the next one goes on. */
async function runHere(runsDir: string, spec: SweepSpec, trials: Trial[]): Promise<Map<string, string>> {
  const failures = new Map<string, string>();
  for (const trial of trials) {
    process.stderr.write(
      `trial ${trial.index + 1}/${trials.length} ${trial.id} → ${trialDir(runsDir, spec, trial)}\n`,
    );
    let lastError: unknown;
    for (let attempt = 1; attempt <= spec.attempts; attempt++) {
      try {
        const how = await runTrial(runsDir, spec, trial);
        process.stderr.write(`  ${how === 'finished' ? 'already finished' : how}\n`);
        lastError = undefined;
        break;
      } catch (error) {
        lastError = error;
        process.stderr.write(
          `  attempt ${attempt} of ${spec.attempts} failed: ${(error as Error).message}\n`,
        );
        // A mistake in the config fails every attempt alike.
        if (error instanceof LatentlabError && error.code === 'config') break;
      }
    }
    if (lastError) failures.set(trial.id, (lastError as Error).message);
  }
  return failures;
}

export function sweepCommand(): Command {
  return new Command('sweep')
    .description(
      'grid or random search over run configs and seeds (SPEC.json: name, base, grid or random, seeds), or compare / benchmark anomaly as a sweep ("kind": "compare" | "anomaly-benchmark"): here, queued on Redis for workers (--redis), or as a Kubernetes Indexed Job (--emit k8s); one results table',
    )
    .argument('<spec>', 'the sweep spec, JSON')
    .option('--runs <dir>', 'runs directory: trials go to DIR/<sweep name>/<trial>', 'runs')
    .option(
      '--redis <url>',
      'queue the trials on Redis (redis://host:port) for `latentlab worker` processes, wait, then report',
    )
    .option(
      '--trial <i>',
      'run trial i only (from 0), resuming it if started: what each Kubernetes pod runs',
      parseNumber('--trial', { integer: true, min: 0 }),
    )
    .addOption(
      new Option('--emit <target>', 'write the sweep for a cluster instead of running it').choices(['k8s']),
    )
    .option('--image <image>', '--emit k8s: container image with latentlab installed', 'node:22')
    .option(
      '--runs-claim <name>',
      '--emit k8s: PersistentVolumeClaim (ReadWriteMany) holding the runs directory',
      'latentlab-runs',
    )
    .option(
      '--parallelism <n>',
      '--emit k8s: trials running at once (default all)',
      parseNumber('--parallelism', { integer: true, min: 1 }),
    )
    .option('--out <file>', '--emit k8s: write the YAML here (default: standard output)')
    .addOption(backendOption())
    .action(async (file: string, flags: SweepFlags) => {
      const { spec, trials } = await readSweep(file);
      if (flags.emit === 'k8s') {
        const yaml = kubernetesJob(spec, trials, {
          image: flags.image,
          runsClaim: flags.runsClaim,
          parallelism: flags.parallelism,
        });
        if (flags.out) {
          await writeFile(flags.out, yaml);
          process.stderr.write(
            `wrote ${flags.out}: an Indexed Job of ${trials.length} trials (kubectl apply -f ${flags.out})\n`,
          );
        } else process.stdout.write(yaml);
        return;
      }
      if (flags.trial !== undefined) {
        const trial = trials[flags.trial];
        if (!trial)
          throw new ConfigError(`the sweep has trials 0 to ${trials.length - 1}, not ${flags.trial}`, {
            path: '--trial',
          });
        await recordSpec(flags.runs, spec);
        await startBackend(flags);
        const how = await runTrial(flags.runs, spec, trial);
        process.stderr.write(`trial ${trial.id}: ${how === 'finished' ? 'already finished' : how}\n`);
        return;
      }
      await recordSpec(flags.runs, spec);
      process.stderr.write(`sweep ${spec.name}: ${trials.length} trials → ${flags.runs}/${spec.name}\n`);
      let failures: Map<string, string>;
      if (flags.redis) {
        process.stderr.write(
          `queued on ${flags.redis}: start workers with latentlab worker --redis ${flags.redis} --runs ${flags.runs}\n`,
        );
        failures = await runQueuedSweep(flags.redis, spec, trials, {
          onProgress: (p) =>
            process.stderr.write(
              `${p.done}/${p.of} done, ${p.running} running, ${p.waiting} waiting, ${p.failed} failed\n`,
            ),
        });
      } else {
        await startBackend(flags);
        failures = await runHere(flags.runs, spec, trials);
      }
      const results = await sweepResults(flags.runs, spec, trials, failures);
      const markdown = await writeResults(flags.runs, spec, results, trials);
      const done = results.trials.filter((t) => t.status === 'done').length;
      process.stdout.write(
        `sweep ${spec.name}: ${done} of ${trials.length} trials done; results: ${markdown}\n`,
      );
      if (failures.size > 0) {
        for (const [id, reason] of failures) process.stderr.write(`  ${id} failed: ${reason}\n`);
        throw new LatentlabError(
          'io',
          `${failures.size} of ${trials.length} trials failed (see ${markdown})`,
        );
      }
    });
}

export function workerCommand(): Command {
  return new Command('worker')
    .description(
      'take sweep trials from Redis and run them (train, judge, score) into a runs directory shared with the other workers, until Ctrl-C',
    )
    .requiredOption('--redis <url>', 'the Redis the sweep was queued on (redis://host:port)')
    .option('--runs <dir>', 'runs directory, the same one every worker and the sweep see', 'runs')
    .option(
      '--lock-ms <ms>',
      'a trial whose worker stops answering for this long goes to another worker',
      parseNumber('--lock-ms', { integer: true, min: 1000 }),
      30_000,
    )
    .addOption(backendOption())
    .action(
      // One trial at a time per process: trials sharing one TensorFlow.js engine would interleave their steps
      // (and a trial uses every core it is given); more trials at once means more worker processes.
      async (flags: GlobalOptions & { redis: string; runs: string; lockMs: number }) => {
        process.stderr.write(`${await startBackend(flags)}\n`);
        const worker = startWorker(flags.redis, flags.runs, {
          lockMs: flags.lockMs,
          log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
        });
        await worker.waitUntilReady();
        process.stdout.write(
          `worker on ${flags.redis}, runs ${flags.runs}: waiting for trials (Ctrl-C stops)\n`,
        );
        await closeOnSignal(() => worker.close());
      },
    );
}
