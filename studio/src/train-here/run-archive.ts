// A run trained in the page, as the run folder `latentlab train` writes (config.json, metrics.jsonl,
// summary.json, model/ with manifest.json and one layers model per network, by src/io/model-format.ts) packed in
// a tar: unpacked into a runs directory (`tar -xf RUN.tar -C runs`) it loads, serves and encodes like any run.
// There is no checkpoint.lltf: the page keeps no optimiser state, so such a run cannot be resumed.

import { createTar, type TarFileInput } from 'nanotar';
import type { PageBackendInfo } from '../../../src/engine/browser.js';
import { modelManifest, networkFiles } from '../../../src/io/model-format.js';
import type { PageDataHeader } from './page-data.js';
import type { PageTrainingResult } from './trainer.js';

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

export async function runArchive(
  header: PageDataHeader,
  result: PageTrainingResult,
  backend: PageBackendInfo,
): Promise<{ name: string; bytes: Uint8Array }> {
  const { model, history } = result;
  // The server's version: the page is built from the same package, and the server is what loads the run.
  const version = header.latentlabVersion;
  const run = header.runName;
  const config = {
    ...header.config,
    latentlabVersion: version,
    environment: {
      trainedIn: 'browser',
      backend: backend.name,
      ...(backend.adapter ? { adapter: backend.adapter } : {}),
      trainSamples: header.splits.train.size,
    },
  };
  const metrics = result.test
    ? Object.fromEntries(Object.entries(result.test).map(([k, v]) => [`test_${k}`, v]))
    : undefined;
  const manifest = modelManifest(
    model,
    {
      data: header.config.data,
      classNames: header.classNames,
      scaling: header.scaling,
      ...(metrics ? { metrics } : {}),
    },
    version,
  );
  const entries: TarFileInput[] = [
    { name: `${run}/config.json`, data: json(config) },
    {
      name: `${run}/metrics.jsonl`,
      data: history
        .map((r) => JSON.stringify(r))
        .join('\n')
        .concat('\n'),
    },
  ];
  if (result.test)
    entries.push({
      name: `${run}/summary.json`,
      data: json({
        kind: model.kind,
        data: header.dataLabel,
        epochs: history.length,
        bestEpoch: result.bestEpoch,
        stoppedEarly: result.stoppedEarly,
        test: result.test,
        trainSamples: header.splits.train.size,
        testSamples: header.splits.test.size,
        meanSamplesPerSecond:
          history.reduce((a, r) => a + r.samplesPerSecond, 0) / Math.max(1, history.length),
        trainSeconds: history.reduce((a, r) => a + r.seconds, 0),
      }),
    });
  for (const [name, network] of Object.entries(model.networks)) {
    const files = await networkFiles(network, version, `${run}/model/${name}`);
    entries.push({ name: `${run}/model/${name}/model.json`, data: files.modelJson });
    entries.push({ name: `${run}/model/${name}/weights.bin`, data: files.weights });
  }
  entries.push({ name: `${run}/model/manifest.json`, data: json(manifest) });
  return { name: run, bytes: createTar(entries) };
}
