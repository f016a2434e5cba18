import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, readGgufFileInfo } from 'node-llama-cpp';
import type { Llama } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeGguf } from './GgufWriter.ts';
import { writeTestModel } from './testModel.ts';

let dir: string;
let llama: Llama;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strongroom-gguf-'));
  llama = await getLlama({ build: 'never', gpu: false, maxThreads: 0, logger: () => undefined });
});

afterAll(async () => {
  await llama.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('writeTestModel', () => {
  it('writes the llama metadata, tokenizer and tensors llama.cpp needs', async () => {
    const written = await writeTestModel(join(dir, 'a.gguf'), { embedding: 32, layers: 3, heads: 4, kvHeads: 2, vocabSize: 600 });
    expect(written.sha256).toBe(createHash('sha256').update(await readFile(written.path)).digest('hex'));
    const info = await readGgufFileInfo(written.path, { readTensorInfo: true });
    expect(info.version).toBe(3);
    expect(info.metadata.general.architecture).toBe('llama');
    expect(info.architectureMetadata).toMatchObject({ embedding_length: 32, block_count: 3, attention: { head_count: 4, head_count_kv: 2 } });
    const tokenizer = info.metadata.tokenizer.ggml as unknown as { model: string; tokens: string[]; token_type: number[] };
    expect(tokenizer.model).toBe('llama');
    expect(tokenizer.tokens).toHaveLength(600);
    expect(tokenizer.tokens.filter((token, index) => /^<0x[0-9A-F]{2}>$/.test(token) && tokenizer.token_type[index] === 6)).toHaveLength(256);
    const names = (info.fullTensorInfo ?? []).map((tensor) => tensor.name);
    expect(names).toHaveLength(3 + 3 * 9);
    expect(names).toContain('blk.2.ffn_gate.weight');
    const attentionK = info.fullTensorInfo?.find((tensor) => tensor.name === 'blk.0.attn_k.weight');
    expect(attentionK?.dimensions.map(Number)).toEqual([32, 16]); // grouped-query: 2 of 4 heads
  });

  it('is deterministic for a seed and differs between seeds', async () => {
    const options = { embedding: 16, layers: 1, heads: 2, vocabSize: 400 };
    const first = await writeTestModel(join(dir, 's1.gguf'), { ...options, seed: 42 });
    const again = await writeTestModel(join(dir, 's2.gguf'), { ...options, seed: 42 });
    const other = await writeTestModel(join(dir, 's3.gguf'), { ...options, seed: 43 });
    expect(again.sha256).toBe(first.sha256);
    expect(other.sha256).not.toBe(first.sha256);
    expect(other.sizeBytes).toBe(first.sizeBytes);
    expect((await readdir(dir)).some((name) => name.includes('.tmp-'))).toBe(false);
  });

  it('loads in node-llama-cpp, round-trips text through its tokenizer and generates', async () => {
    const written = await writeTestModel(join(dir, 'gen.gguf'), { seed: 3 });
    const model = await llama.loadModel({ modelPath: written.path });
    try {
      const text = 'The bank loan {"amount": 12} äöü €';
      expect(model.detokenize(model.tokenize(text))).toBe(text);
      expect(model.tokenize('<|im_end|>', true)).toHaveLength(1); // ChatML control token
      const context = await model.createContext({ contextSize: 256, threads: 1 });
      const sequence = context.getSequence();
      const generated: number[] = [];
      for await (const token of sequence.evaluate(model.tokenize('Hello'), { temperature: 0 })) {
        generated.push(token);
        if (generated.length === 10) break;
      }
      expect(generated.length).toBeGreaterThan(0);
      expect(generated.every((token) => token >= 0 && token < 512)).toBe(true);
      await context.dispose();
    } finally {
      await model.dispose();
    }
  });

  it('writes another architecture on request (which llama.cpp refuses to load)', async () => {
    const written = await writeTestModel(join(dir, 'other.gguf'), { architecture: 'strongroom-unknown', embedding: 16, layers: 1, heads: 2, vocabSize: 400 });
    const info = await readGgufFileInfo(written.path);
    expect(info.metadata.general.architecture).toBe('strongroom-unknown');
    await expect(llama.loadModel({ modelPath: written.path })).rejects.toThrow();
  });

  it('rejects shapes that cannot be a model', async () => {
    await expect(writeTestModel(join(dir, 'bad.gguf'), { embedding: 30, heads: 4 })).rejects.toThrow(RangeError);
    await expect(writeTestModel(join(dir, 'bad.gguf'), { vocabSize: 100 })).rejects.toThrow(RangeError);
  });
});

describe('writeGguf', () => {
  it('aligns tensor data and refuses data that does not match its dims', async () => {
    const path = join(dir, 'raw.gguf');
    const written = await writeGguf(path, {
      metadata: [['general.architecture', { type: 'string', value: 'llama' }]],
      tensors: [
        { name: 'a', dims: [3], data: () => new Float32Array([1, 2, 3]) },
        { name: 'b', dims: [2, 2], data: () => new Float32Array([4, 5, 6, 7]) },
      ],
    });
    const info = await readGgufFileInfo(path, { readTensorInfo: true });
    const offsets = (info.fullTensorInfo ?? []).map((tensor) => Number(tensor.offset));
    expect(offsets).toEqual([0, 32]);
    const bytes = await readFile(path);
    const dataStart = bytes.length - 32 - 32;
    expect(dataStart % 32).toBe(0);
    expect(bytes.readFloatLE(dataStart + 32 + 4)).toBe(5);
    expect(written.sizeBytes).toBe(bytes.length);
    await expect(writeGguf(join(dir, 'wrong.gguf'), { metadata: [], tensors: [{ name: 'x', dims: [4], data: () => new Float32Array(3) }] })).rejects.toThrow(/need 4/);
    expect((await readdir(dir)).includes('wrong.gguf')).toBe(false);
  });
});
