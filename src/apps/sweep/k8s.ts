// A sweep for a Kubernetes cluster: a ConfigMap holding the spec and an Indexed Job with one completion index
// per trial; pod i runs `latentlab sweep /sweep/sweep.json --trial i --runs /runs` on a shared volume, so a pod
// that is evicted or fails resumes its trial from the last checkpoint when Kubernetes starts it again (up to
// `attempts` tries per index, by backoffLimitPerIndex, Kubernetes 1.29 and later).
import { stringify } from 'yaml';
import type { SweepSpec, Trial } from './spec.js';

export interface KubernetesOptions {
  /** A container image with latentlab installed (`npx latentlab` must run in it). */
  image: string;
  /** The PersistentVolumeClaim holding the runs directory, shared by every pod (ReadWriteMany). */
  runsClaim: string;
  /** Trials running at once (default: all). */
  parallelism?: number;
  /** CPU each trial asks for (default "2"). */
  cpu?: string;
  /** Memory each trial asks for (default "4Gi"). */
  memory?: string;
}

/** A DNS-1123 name from the sweep's: lower case, letters, digits and "-", at most 52 characters. */
export function kubernetesName(sweep: string): string {
  const name = `latentlab-sweep-${sweep}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, 52)
    .replace(/^-+|-+$/g, '');
  return name || 'latentlab-sweep';
}

/** The YAML of the ConfigMap and the Indexed Job (two documents). */
export function kubernetesJob(spec: SweepSpec, trials: Trial[], options: KubernetesOptions): string {
  const name = kubernetesName(spec.name);
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, labels: { app: 'latentlab', sweep: name } },
    data: { 'sweep.json': `${JSON.stringify(spec, null, 2)}\n` },
  };
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels: { app: 'latentlab', sweep: name } },
    spec: {
      completionMode: 'Indexed',
      completions: trials.length,
      parallelism: Math.min(trials.length, options.parallelism ?? trials.length),
      // Each trial (index) gets `attempts` tries; the others go on when one gives up.
      backoffLimitPerIndex: spec.attempts - 1,
      maxFailedIndexes: trials.length,
      template: {
        metadata: { labels: { app: 'latentlab', sweep: name } },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'trial',
              image: options.image,
              // JOB_COMPLETION_INDEX is set by Kubernetes in every pod of an Indexed Job.
              command: [
                'npx',
                'latentlab',
                'sweep',
                '/sweep/sweep.json',
                '--trial',
                '$(JOB_COMPLETION_INDEX)',
                '--runs',
                '/runs',
              ],
              resources: {
                requests: { cpu: options.cpu ?? '2', memory: options.memory ?? '4Gi' },
                limits: { memory: options.memory ?? '4Gi' },
              },
              volumeMounts: [
                { name: 'runs', mountPath: '/runs' },
                { name: 'sweep', mountPath: '/sweep', readOnly: true },
              ],
            },
          ],
          volumes: [
            { name: 'runs', persistentVolumeClaim: { claimName: options.runsClaim } },
            { name: 'sweep', configMap: { name } },
          ],
        },
      },
    },
  };
  return `${stringify(configMap)}---\n${stringify(job)}`;
}
