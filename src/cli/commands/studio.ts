// `latentlab studio`: the model server plus the browser studio (runs, live training, latent explorer, GAN
// and anomaly views) at /, until Ctrl-C.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { startServer } from '../../server/app.js';
import { createStudioPlugin, defaultAssetsDir } from '../../server/studio/plugin.js';
import { parseNumber, startBackend } from '../shared.js';
import { closeOnSignal, type ServerFlags, serverOptionsFrom, withServerFlags } from './serve.js';

interface StudioFlags extends ServerFlags {
  maxJobs: number;
  dataRoot?: string[];
}

export function studioCommand(): Command {
  return withServerFlags(
    new Command('studio').description(
      'the browser studio over a runs directory: start, watch, stop and resume training, explore latent spaces, GAN and anomaly views (the /v1 API beside it)',
    ),
  )
    .option(
      '--max-jobs <n>',
      'training runs allowed at once (each in its own process)',
      parseNumber('--max-jobs', { integer: true, min: 1 }),
      2,
    )
    .option(
      '--data-root <dir>',
      'a folder whose files runs started in the studio may read as data (repeatable; default: none, built-in data only)',
      (dir: string, dirs: string[] = []) => [...dirs, dir],
    )
    .action(async (flags: StudioFlags) => {
      const options = serverOptionsFrom(flags);
      const dataRoots = flags.dataRoot ?? [];
      const backend = await startBackend(flags);
      const assets = defaultAssetsDir();
      if (!existsSync(join(assets, 'index.html')))
        process.stderr.write(
          `warning: the studio is not built (no ${assets}/index.html): run npm run build\n`,
        );
      const { app, url } = await startServer({
        ...options,
        plugins: [createStudioPlugin({ maxRunning: flags.maxJobs, dataRoots })],
      });
      const data = dataRoots.length > 0 ? dataRoots.join(', ') : 'built-in data only';
      process.stdout.write(
        `studio at ${url}/ over ${flags.runs} (API: ${url}/v1; ${backend}; data: ${data})${options.token ? `; open ${url}/?token=<token>` : ''}\nCtrl-C stops (training runs stop at a checkpoint)\n`,
      );
      await closeOnSignal(() => app.close());
    });
}
