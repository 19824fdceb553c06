// Regenerates docs/performance.md from every bench's JSON (training throughput, soak, inference, time to
// quality), so each runner rewrites the whole page with the others' latest figures.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type InferenceResults,
  performanceDoc,
  type QualityResults,
  type Results,
  type Soak,
} from './report.js';

const here = import.meta.dirname;
export const BENCH_FILES = {
  results: join(here, 'results.json'),
  soak: join(here, 'soak.json'),
  inference: join(here, 'inference.json'),
  quality: join(here, 'quality.json'),
};
const docFile = join(here, '..', 'docs', 'performance.md');

export function readJson<T>(file: string): T | undefined {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined;
}

export function writePerformanceDoc(): void {
  writeFileSync(
    docFile,
    performanceDoc(readJson<Results>(BENCH_FILES.results), readJson<Soak>(BENCH_FILES.soak), {
      inference: readJson<InferenceResults>(BENCH_FILES.inference),
      quality: readJson<QualityResults>(BENCH_FILES.quality),
    }),
  );
  process.stderr.write(`wrote ${docFile}\n`);
}
