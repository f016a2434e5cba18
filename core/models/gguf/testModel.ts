import { writeGguf } from './GgufWriter.ts';
import type { GgufTensor, GgufValue, GgufWriteResult } from './GgufWriter.ts';
import { buildTestVocabulary } from './testVocabulary.ts';

/** Shape of a generated test model. Every field has a small default (a ~0.6 MB file). */
export interface TestModelOptions {
  /** Hidden size (`llama.embedding_length`). Default 64. */
  embedding?: number;
  /** Transformer blocks. Default 2. */
  layers?: number;
  /** Attention heads; must divide `embedding`. Default 4. */
  heads?: number;
  /** Key/value heads (grouped-query attention); must divide `heads`. Default `heads`. */
  kvHeads?: number;
  /** Feed-forward width. Default `embedding * 2`. */
  feedForward?: number;
  /** Vocabulary size, at least 356 (specials, 256 byte tokens, printable ASCII). Default 512. */
  vocabSize?: number;
  /** Trained context length written to the metadata. Default 4096. */
  contextLength?: number;
  /** Seed of the weight generator: the same options and seed give a byte-identical file. Default 1. */
  seed?: number;
  /** `general.architecture`. Default `llama`; anything else makes a file llama.cpp refuses. */
  architecture?: string;
  /** `general.name`. Default `strongroom-test-model`. */
  name?: string;
  /**
   * Make the byte tokens 0x80–0xFF improbable (default true). Random weights otherwise emit stray
   * UTF-8 bytes that decode to U+FFFD runs: meaningless text either way, but it makes string
   * lengths disagree between a grammar (code points) and zod (UTF-16 units), which no real model
   * does often. Tokenizing non-ASCII input still works through the byte tokens.
   */
  asciiOutput?: boolean;
}

/** ChatML, which node-llama-cpp recognises and maps to its ChatML chat wrapper. */
export const TEST_MODEL_CHAT_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** mulberry32: tiny, fast, and deterministic for a seed (weights need no cryptographic quality). */
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Writes a small llama-architecture GGUF with random F32 weights and a ChatML-capable SPM
 * tokenizer. It loads and generates in llama.cpp, but its text is meaningless: it exists so tests,
 * benchmarks and `strongroom demo` can run real inference without downloadable weights.
 */
export async function writeTestModel(path: string, options: TestModelOptions = {}): Promise<GgufWriteResult> {
  const embedding = options.embedding ?? 64;
  const layers = options.layers ?? 2;
  const heads = options.heads ?? 4;
  const kvHeads = options.kvHeads ?? heads;
  const feedForward = options.feedForward ?? embedding * 2;
  const contextLength = options.contextLength ?? 4096;
  const architecture = options.architecture ?? 'llama';
  if (embedding % heads !== 0 || heads % kvHeads !== 0) {
    throw new RangeError('heads must divide embedding, and kvHeads must divide heads');
  }
  const headDimension = embedding / heads;
  const kvWidth = headDimension * kvHeads;
  const vocabulary = buildTestVocabulary(options.vocabSize ?? 512);
  const vocabSize = vocabulary.tokens.length;

  const u32 = (value: number): GgufValue => ({ type: 'uint32', value });
  const metadata: [string, GgufValue][] = [
    ['general.architecture', { type: 'string', value: architecture }],
    ['general.name', { type: 'string', value: options.name ?? 'strongroom-test-model' }],
    ['general.file_type', u32(0)], // all F32
    [`${architecture}.context_length`, u32(contextLength)],
    [`${architecture}.embedding_length`, u32(embedding)],
    [`${architecture}.block_count`, u32(layers)],
    [`${architecture}.feed_forward_length`, u32(feedForward)],
    [`${architecture}.rope.dimension_count`, u32(headDimension)],
    [`${architecture}.attention.head_count`, u32(heads)],
    [`${architecture}.attention.head_count_kv`, u32(kvHeads)],
    [`${architecture}.attention.layer_norm_rms_epsilon`, { type: 'float32', value: 1e-5 }],
    [`${architecture}.vocab_size`, u32(vocabSize)],
    ['tokenizer.ggml.model', { type: 'string', value: 'llama' }],
    ['tokenizer.ggml.tokens', { type: 'array', itemType: 'string', values: vocabulary.tokens }],
    ['tokenizer.ggml.scores', { type: 'array', itemType: 'float32', values: vocabulary.scores }],
    ['tokenizer.ggml.token_type', { type: 'array', itemType: 'int32', values: vocabulary.types }],
    ['tokenizer.ggml.bos_token_id', u32(vocabulary.bosId)],
    ['tokenizer.ggml.eos_token_id', u32(vocabulary.eosId)],
    ['tokenizer.ggml.unknown_token_id', u32(vocabulary.unknownId)],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: true }],
    ['tokenizer.ggml.add_eos_token', { type: 'bool', value: false }],
    ['tokenizer.chat_template', { type: 'string', value: TEST_MODEL_CHAT_TEMPLATE }],
  ];

  // One generator shared by every tensor, consumed in file order, so the file depends only on
  // the options and the seed.
  const random = createRandom(options.seed ?? 1);
  const uniform = (count: number, scale: number) => (): Float32Array => {
    const values = new Float32Array(count);
    for (let index = 0; index < count; index++) values[index] = (random() * 2 - 1) * scale;
    return values;
  };
  const ones = (count: number) => (): Float32Array => new Float32Array(count).fill(1);
  // Uniform(-a, a) with a = sqrt(3 / fan_in) keeps activations at unit variance layer to layer.
  const linear = (inputs: number, outputs: number): GgufTensor['data'] => uniform(inputs * outputs, Math.sqrt(3 / inputs));

  // ASCII shaping: residual dimension 0 is a constant 1 that no block writes to (row 0 of every
  // output projection is zero), so after the final norm it is a positive constant; the output
  // rows of the high byte tokens weigh it at -8, pushing their logits far down.
  const ascii = options.asciiOutput ?? true;
  const withRowZero = (data: GgufTensor['data'], rowLength: number) => (): Float32Array => {
    const values = data();
    if (ascii) values.fill(0, 0, rowLength);
    return values;
  };
  const embeddings: GgufTensor['data'] = () => {
    const values = uniform(embedding * vocabSize, 1)();
    if (ascii) for (let token = 0; token < vocabSize; token++) values[token * embedding] = 1;
    return values;
  };
  const firstHighByte = vocabulary.byteBaseId + 0x80;
  const output: GgufTensor['data'] = () => {
    const values = linear(embedding, vocabSize)();
    if (ascii) for (let token = 0; token < vocabSize; token++) values[token * embedding] = token >= firstHighByte && token < firstHighByte + 0x80 ? -8 : 0;
    return values;
  };
  const tensors: GgufTensor[] = [
    { name: 'token_embd.weight', dims: [embedding, vocabSize], data: embeddings },
    { name: 'output_norm.weight', dims: [embedding], data: ones(embedding) },
    { name: 'output.weight', dims: [embedding, vocabSize], data: output },
  ];
  for (let block = 0; block < layers; block++) {
    const prefix = `blk.${block}`;
    tensors.push(
      { name: `${prefix}.attn_norm.weight`, dims: [embedding], data: ones(embedding) },
      { name: `${prefix}.attn_q.weight`, dims: [embedding, embedding], data: linear(embedding, embedding) },
      { name: `${prefix}.attn_k.weight`, dims: [embedding, kvWidth], data: linear(embedding, kvWidth) },
      { name: `${prefix}.attn_v.weight`, dims: [embedding, kvWidth], data: linear(embedding, kvWidth) },
      { name: `${prefix}.attn_output.weight`, dims: [embedding, embedding], data: withRowZero(linear(embedding, embedding), embedding) },
      { name: `${prefix}.ffn_norm.weight`, dims: [embedding], data: ones(embedding) },
      { name: `${prefix}.ffn_gate.weight`, dims: [embedding, feedForward], data: linear(embedding, feedForward) },
      { name: `${prefix}.ffn_down.weight`, dims: [feedForward, embedding], data: withRowZero(linear(feedForward, embedding), feedForward) },
      { name: `${prefix}.ffn_up.weight`, dims: [embedding, feedForward], data: linear(embedding, feedForward) },
    );
  }
  return writeGguf(path, { metadata, tensors });
}
