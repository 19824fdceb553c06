// The training data the server sends for a run the page trains (src/server/studio/page-data.ts): a JSON header,
// then each split's float32 samples and int32 labels, read as typed arrays over the answer's buffer.
import type { Dataset } from '../../../src/data/dataset.js';
import type { PageDataHeader } from '../../../src/server/studio/page-data.js';
import { postForBytes } from '../api.js';

export type { PageDataHeader };

export interface PageData {
  header: PageDataHeader;
  train: Dataset;
  validation: Dataset;
  test: Dataset;
}

/** Read the answer's layout; a short or malformed answer is an error saying what was expected. */
export function unpackPageData(buffer: ArrayBuffer): PageData {
  const fail = (what: string) => new Error(`the server's training data is malformed: ${what}`);
  if (buffer.byteLength < 4) throw fail('no header');
  const headerBytes = new DataView(buffer).getUint32(0, true);
  if (headerBytes % 4 !== 0 || 4 + headerBytes > buffer.byteLength) throw fail('header length out of range');
  const header = JSON.parse(
    new TextDecoder().decode(new Uint8Array(buffer, 4, headerBytes)),
  ) as PageDataHeader;
  const per = header.sampleShape.reduce((a, b) => a * b, 1);
  let at = 4 + headerBytes;
  const take = <T extends Float32Array | Int32Array>(
    make: (b: ArrayBuffer, o: number, n: number) => T,
    n: number,
  ) => {
    if (at + n * 4 > buffer.byteLength) throw fail('fewer samples than its header says');
    const array = make(buffer, at, n);
    at += n * 4;
    return array;
  };
  const split = (name: 'train' | 'validation' | 'test'): Dataset => {
    const { size, labels } = header.splits[name];
    const x = take((b, o, n) => new Float32Array(b, o, n), size * per);
    return {
      name,
      sampleShape: header.sampleShape,
      size,
      x,
      ...(labels ? { labels: take((b, o, n) => new Int32Array(b, o, n), size) } : {}),
      ...(header.classNames ? { classNames: header.classNames } : {}),
    };
  };
  const data = { header, train: split('train'), validation: split('validation'), test: split('test') };
  if (at !== buffer.byteLength) throw fail('more bytes than its header says');
  return data;
}

/** Ask the server for the data of `config` (checked there as a new run's config is). */
export async function fetchPageData(config: unknown): Promise<PageData> {
  return unpackPageData(await postForBytes('/studio/api/page-data', { config }));
}
