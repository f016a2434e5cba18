import { createHash } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';

/**
 * A minimal GGUF v3 writer: typed metadata and F32 tensors, which is all a generated test model
 * needs. The layout follows ggml's gguf.cpp: header, key-value pairs, tensor infos, padding to
 * `general.alignment`, then each tensor's data at an aligned offset.
 */

const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
const GGUF_VERSION = 3;
const GGML_TYPE_F32 = 0;

/** GGUF metadata value types (gguf.h `gguf_type`). */
const valueTypeCode = {
  uint8: 0,
  int8: 1,
  uint16: 2,
  int16: 3,
  uint32: 4,
  int32: 5,
  float32: 6,
  bool: 7,
  string: 8,
  array: 9,
  uint64: 10,
  int64: 11,
  float64: 12,
} as const;

export type GgufScalarType = 'uint32' | 'int32' | 'float32' | 'bool' | 'string' | 'uint64';

export type GgufValue =
  | { type: 'uint32' | 'int32' | 'float32'; value: number }
  | { type: 'uint64'; value: bigint }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'array'; itemType: 'string'; values: readonly string[] }
  | { type: 'array'; itemType: 'uint32' | 'int32' | 'float32'; values: ArrayLike<number> };

export interface GgufTensor {
  name: string;
  /** ggml order: `dims[0]` is the contiguous (row) dimension. */
  dims: readonly number[];
  /** Produces the tensor's F32 data; called once, when the tensor is written. */
  data: () => Float32Array;
}

export interface GgufFile {
  metadata: ReadonlyMap<string, GgufValue> | readonly (readonly [string, GgufValue])[];
  tensors: readonly GgufTensor[];
  /** Defaults to 32, GGUF's default `general.alignment`. */
  alignment?: number;
}

export interface GgufWriteResult {
  path: string;
  sizeBytes: number;
  /** Hex SHA-256 of the written file, computed while writing. */
  sha256: string;
}

/** Accumulates little-endian binary data for the header part of the file. */
class ByteSink {
  private chunks: Buffer[] = [];
  length = 0;

  push(buffer: Buffer): void {
    this.chunks.push(buffer);
    this.length += buffer.length;
  }

  u32(value: number): void {
    const buffer = Buffer.allocUnsafe(4);
    buffer.writeUInt32LE(value);
    this.push(buffer);
  }

  i32(value: number): void {
    const buffer = Buffer.allocUnsafe(4);
    buffer.writeInt32LE(value);
    this.push(buffer);
  }

  f32(value: number): void {
    const buffer = Buffer.allocUnsafe(4);
    buffer.writeFloatLE(value);
    this.push(buffer);
  }

  u64(value: bigint | number): void {
    const buffer = Buffer.allocUnsafe(8);
    buffer.writeBigUInt64LE(BigInt(value));
    this.push(buffer);
  }

  string(value: string): void {
    const bytes = Buffer.from(value, 'utf8');
    this.u64(bytes.length);
    this.push(bytes);
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

function writeValue(sink: ByteSink, value: GgufValue): void {
  switch (value.type) {
    case 'uint32':
      sink.u32(value.value);
      return;
    case 'int32':
      sink.i32(value.value);
      return;
    case 'float32':
      sink.f32(value.value);
      return;
    case 'uint64':
      sink.u64(value.value);
      return;
    case 'bool':
      sink.push(Buffer.from([value.value ? 1 : 0]));
      return;
    case 'string':
      sink.string(value.value);
      return;
    case 'array': {
      sink.u32(valueTypeCode[value.itemType]);
      sink.u64(value.values.length);
      if (value.itemType === 'string') {
        for (const item of value.values) sink.string(item);
        return;
      }
      const numbers = value.values;
      const write = value.itemType === 'uint32' ? sink.u32.bind(sink) : value.itemType === 'int32' ? sink.i32.bind(sink) : sink.f32.bind(sink);
      for (let index = 0; index < numbers.length; index++) write(numbers[index] ?? 0);
      return;
    }
  }
}

function align(offset: number, alignment: number): number {
  return Math.ceil(offset / alignment) * alignment;
}

/**
 * Writes a GGUF v3 file atomically (a temporary file renamed into place), so a reader never sees
 * a half-written model.
 */
export async function writeGguf(path: string, file: GgufFile): Promise<GgufWriteResult> {
  const alignment = file.alignment ?? 32;
  const metadata = [...file.metadata];
  if (alignment !== 32 && !metadata.some(([key]) => key === 'general.alignment')) {
    metadata.push(['general.alignment', { type: 'uint32', value: alignment }]);
  }

  const header = new ByteSink();
  header.u32(GGUF_MAGIC);
  header.u32(GGUF_VERSION);
  header.u64(file.tensors.length);
  header.u64(metadata.length);
  for (const [key, value] of metadata) {
    header.string(key);
    header.u32(valueTypeCode[value.type]);
    writeValue(header, value);
  }

  let dataOffset = 0;
  const offsets: number[] = [];
  for (const tensor of file.tensors) {
    const elements = tensor.dims.reduce((product, dim) => product * dim, 1);
    offsets.push(dataOffset);
    header.string(tensor.name);
    header.u32(tensor.dims.length);
    for (const dim of tensor.dims) header.u64(dim);
    header.u32(GGML_TYPE_F32);
    header.u64(dataOffset);
    dataOffset = align(dataOffset + elements * 4, alignment);
  }
  const headerBytes = header.toBuffer();
  const dataStart = align(headerBytes.length, alignment);

  const temporaryPath = `${path}.tmp-${process.pid}-${Date.now()}`;
  const hash = createHash('sha256');
  const handle = await open(temporaryPath, 'w');
  let position = 0;
  const write = async (buffer: Buffer): Promise<void> => {
    hash.update(buffer);
    let written = 0;
    while (written < buffer.length) {
      const result = await handle.write(buffer, written, buffer.length - written, position + written);
      written += result.bytesWritten;
    }
    position += buffer.length;
  };
  try {
    await write(headerBytes);
    await write(Buffer.alloc(dataStart - headerBytes.length));
    for (const [index, tensor] of file.tensors.entries()) {
      const expected = tensor.dims.reduce((product, dim) => product * dim, 1);
      const data = tensor.data();
      if (data.length !== expected) {
        throw new Error(`Tensor ${tensor.name} has ${data.length} values; its dims need ${expected}`);
      }
      const padding = dataStart + (offsets[index] ?? 0) - position;
      if (padding > 0) await write(Buffer.alloc(padding));
      await write(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    }
    const tail = dataStart + dataOffset - position;
    if (tail > 0) await write(Buffer.alloc(tail));
    await handle.close();
    await rename(temporaryPath, path);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temporaryPath, { force: true });
    throw error;
  }
  return { path, sizeBytes: position, sha256: hash.digest('hex') };
}
