// safetensors files (Hugging Face's weight format: an 8-byte little-endian header length, a JSON header naming
// each tensor's dtype, shape and byte range, then the raw little-endian data), so latentlab's weights and
// checkpoints open in Python (`safetensors`, or json + numpy) and weights made there come back.
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { tf, type tfl } from '../engine/tf.js';
import { IoError } from '../errors.js';
import { writeDirAtomic, writeFileAtomic } from './atomic.js';
import { loadNetwork, readManifest, saveNetwork } from './model-files.js';
import { type NamedArray, readTensorFile } from './tensor-file.js';

/** Headers above this are refused before they are read (the format's own reader uses 100 MB). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

const TensorEntry = z.object({
  dtype: z.string(),
  shape: z.array(z.number().int().min(0)),
  data_offsets: z.tuple([z.number().int().min(0), z.number().int().min(0)]),
});

/** The dtypes read, with their width in bytes and how one value is read (all to float32). */
const READERS: Record<string, { bytes: number; read: (view: DataView, at: number) => number }> = {
  F32: { bytes: 4, read: (view, at) => view.getFloat32(at, true) },
  F64: { bytes: 8, read: (view, at) => view.getFloat64(at, true) },
  F16: { bytes: 2, read: (view, at) => float16(view.getUint16(at, true)) },
};

function float16(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** A safetensors file's bytes: float32 tensors in the order given, and string metadata. */
export function encodeSafetensors(
  arrays: readonly NamedArray[],
  metadata: Record<string, string> = {},
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const array of arrays) {
    if (array.name in header) throw new IoError(`two tensors are named "${array.name}"`);
    header[array.name] = {
      dtype: 'F32',
      shape: array.shape,
      data_offsets: [offset, offset + array.data.length * 4],
    };
    offset += array.data.length * 4;
  }
  let json = JSON.stringify(header);
  // Padded with spaces so the data starts 8-byte aligned, as the format recommends.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let at = 8 + headerBytes.length;
  for (const array of arrays) {
    for (const value of array.data) {
      out.writeFloatLE(value, at);
      at += 4;
    }
  }
  return out;
}

/** Parse a safetensors file's bytes into float32 arrays (F32, F64, F16), in file order. */
export function decodeSafetensors(
  bytes: Uint8Array,
  path: string,
): { arrays: NamedArray[]; metadata: Record<string, string> } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 8)
    throw new IoError('not a safetensors file (shorter than its 8-byte header length)', { path });
  const headerLength = Number(buf.readBigUInt64LE(0));
  if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > buf.length)
    throw new IoError(
      `not a safetensors file: its header claims ${headerLength} bytes, the file has ${buf.length - 8} after the length`,
      { path },
    );
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(buf.toString('utf8', 8, 8 + headerLength));
  } catch (error) {
    throw new IoError('not a safetensors file: its header is not JSON', { path, cause: error });
  }
  const dataStart = 8 + headerLength;
  const dataLength = buf.length - dataStart;
  const view = new DataView(buf.buffer, buf.byteOffset + dataStart, dataLength);
  const metadata = z.record(z.string(), z.string()).safeParse(header.__metadata__ ?? {});
  if (!metadata.success)
    throw new IoError('the safetensors __metadata__ must map strings to strings', { path });
  const arrays: NamedArray[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const where = `${path}#${name}`;
    const entry = TensorEntry.safeParse(raw);
    if (!entry.success) {
      const issue = entry.error.issues[0];
      throw new IoError(`invalid tensor entry at field "${issue.path.join('.')}": ${issue.message}`, {
        path: where,
      });
    }
    const {
      dtype,
      shape,
      data_offsets: [begin, end],
    } = entry.data;
    const reader = READERS[dtype];
    if (!reader)
      throw new IoError(`tensor has dtype ${dtype}; latentlab reads F32, F64 and F16`, { path: where });
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * reader.bytes || end > dataLength || begin > end)
      throw new IoError(
        `tensor of shape [${shape}] (${dtype}) needs ${count * reader.bytes} bytes, its offsets [${begin}, ${end}] ` +
          `give ${end - begin} of the ${dataLength} in the file`,
        { path: where },
      );
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) data[i] = reader.read(view, begin + i * reader.bytes);
    arrays.push({ name, shape, data });
  }
  return { arrays, metadata: metadata.data };
}

export async function writeSafetensors(
  path: string,
  arrays: readonly NamedArray[],
  metadata: Record<string, string> = {},
): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(arrays, metadata));
}

export async function readSafetensors(
  path: string,
): Promise<{ arrays: NamedArray[]; metadata: Record<string, string> }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new IoError('cannot read safetensors file', { path, cause: error });
  }
  return decodeSafetensors(bytes, path);
}

/** A network's weights under their tfjs names (`encoder_dense_1/kernel`: dense kernels [in, out], conv [h, w, in, out]). */
export function networkArrays(network: tfl.LayersModel): NamedArray[] {
  return network.weights.map((weight) => {
    const tensor = weight.read();
    return {
      name: weight.originalName,
      shape: [...tensor.shape],
      data: Float32Array.from(tensor.dataSync()),
    };
  });
}

/**
 * Set `network`'s weights from arrays named as networkArrays names them: every weight must be there with its
 * shape, and no array may be left over (a misnamed tensor would otherwise be dropped silently).
 */
export function setNetworkArrays(
  network: tfl.LayersModel,
  arrays: readonly NamedArray[],
  path: string,
): void {
  const byName = new Map(arrays.map((a) => [a.name, a]));
  const chosen = network.weights.map((weight) => {
    const array = byName.get(weight.originalName);
    if (!array)
      throw new IoError(
        `no tensor "${weight.originalName}" for the network's weight of shape [${weight.shape}]`,
        {
          path,
        },
      );
    if (array.shape.join('x') !== weight.shape.join('x'))
      throw new IoError(`tensor has shape [${array.shape}], the network's weight [${weight.shape}]`, {
        path: `${path}#${array.name}`,
      });
    byName.delete(array.name);
    return array;
  });
  const extra = [...byName.keys()];
  if (extra.length > 0)
    throw new IoError(
      `tensor "${extra[0]}" is no weight of the network (its weights: ${network.weights.map((w) => w.originalName).join(', ')})`,
      { path },
    );
  const tensors = chosen.map((array) => tf.tensor(array.data, array.shape));
  network.setWeights(tensors);
  tf.dispose(tensors);
}

/** The metadata key holding a converted checkpoint's own header (trainer state, optimiser names) as JSON. */
export const CHECKPOINT_METADATA = 'latentlab_checkpoint';

/**
 * The saved model in `modelDir` as `outDir/<network>.safetensors` (weights under their tfjs names, metadata naming
 * the kind and network), and, when given, the run's checkpoint as `outDir/checkpoint.safetensors`: every array of
 * the .lltf under its own name (net/…, opt/…, best/…), its header as metadata. The directory appears whole.
 */
export async function exportSafetensors(
  modelDir: string,
  outDir: string,
  checkpoint?: string,
): Promise<{ files: string[] }> {
  const manifest = await readManifest(modelDir);
  const files: Record<string, Uint8Array> = {};
  for (const name of manifest.networks) {
    const network = await loadNetwork(join(modelDir, name));
    try {
      files[`${name}.safetensors`] = encodeSafetensors(networkArrays(network), {
        format: 'latentlab',
        latentlab_kind: manifest.kind,
        latentlab_network: name,
        layout:
          'tfjs: dense kernels [in, out], conv kernels [height, width, in, out], transposed conv [height, width, out, in]',
      });
    } finally {
      network.dispose();
    }
  }
  if (checkpoint) {
    const { meta, arrays } = await readTensorFile(checkpoint);
    files['checkpoint.safetensors'] = encodeSafetensors(arrays, {
      format: 'latentlab-checkpoint',
      [CHECKPOINT_METADATA]: JSON.stringify(meta),
    });
  }
  await writeDirAtomic(outDir, async (temp) => {
    for (const [file, bytes] of Object.entries(files)) await writeFile(join(temp, file), bytes);
  });
  return { files: Object.keys(files) };
}

/**
 * Put weights from safetensors files (latentlab's own export, or ones written in Python under the same tfjs names
 * and layouts) into the networks of the saved model in `modelDir`. Each file goes to the network `network` names,
 * else its metadata's `latentlab_network`, else the one its file name (`decoder.safetensors`) names; every weight
 * must be there with its shape and nothing else. The model directory is replaced whole, the manifest kept.
 */
export async function importSafetensors(
  modelDir: string,
  files: ReadonlyArray<{ path: string; network?: string }>,
): Promise<Array<{ network: string; path: string; tensors: number }>> {
  const manifest = await readManifest(modelDir);
  const chosen = new Map<string, { path: string; arrays: NamedArray[] }>();
  for (const file of files) {
    const { arrays, metadata } = await readSafetensors(file.path);
    const stem = basename(file.path).replace(/\.safetensors$/, '');
    const network = file.network ?? metadata.latentlab_network ?? stem;
    if (!manifest.networks.includes(network))
      throw new IoError(
        `these weights are for network "${network}" (${file.network ? 'as --network says' : metadata.latentlab_network ? 'as its metadata latentlab_network says' : 'as its file name says'}); ` +
          `the ${manifest.kind} model has ${manifest.networks.join(', ')}`,
        { path: file.path },
      );
    const earlier = chosen.get(network);
    if (earlier)
      throw new IoError(`both this file and ${earlier.path} hold weights for network "${network}"`, {
        path: file.path,
      });
    chosen.set(network, { path: file.path, arrays });
  }
  const networks = new Map<string, tfl.LayersModel>();
  try {
    // Every file is checked against its network before anything is written.
    for (const [name, { path, arrays }] of chosen) {
      const network = await loadNetwork(join(modelDir, name));
      networks.set(name, network);
      setNetworkArrays(network, arrays, path);
    }
    await writeDirAtomic(modelDir, async (temp) => {
      for (const entry of await readdir(modelDir)) {
        const network = networks.get(entry);
        if (network) await saveNetwork(network, join(temp, entry));
        else await cp(join(modelDir, entry), join(temp, entry), { recursive: true });
      }
    });
  } finally {
    for (const network of networks.values()) network.dispose();
  }
  return [...chosen].map(([network, { path, arrays }]) => ({ network, path, tensors: arrays.length }));
}
