/**
 * A SentencePiece-style ("llama") vocabulary for generated test models. llama.cpp's SPM tokenizer
 * merges adjacent pieces only when the merged string is itself in the vocabulary, so every
 * multi-character piece here has its prefix in the vocabulary too; anything not covered falls
 * back to the 256 byte tokens, which is why those must be present.
 */

/** llama.cpp token types (`llama_token_type`). */
export const TokenType = {
  normal: 1,
  unknown: 2,
  control: 3,
  byte: 6,
} as const;

export interface TestVocabulary {
  tokens: string[];
  scores: Float32Array;
  types: Int32Array;
  unknownId: number;
  bosId: number;
  eosId: number;
  /** Id of `<0x00>`; byte b is `byteBaseId + b`. */
  byteBaseId: number;
  /** Ids of the ChatML control tokens the embedded chat template uses. */
  imStartId: number;
  imEndId: number;
}

/** SentencePiece's word-boundary marker, which stands for a space. */
const SPACE = '\u2581';
const WORDS = [
  'the', 'of', 'and', 'to', 'in', 'is', 'that', 'for', 'it', 'as', 'with', 'on', 'be', 'by', 'this', 'are', 'or',
  'from', 'at', 'an', 'not', 'we', 'can', 'which', 'all', 'has', 'have', 'will', 'bank', 'loan', 'credit', 'risk',
  'model', 'test', 'text', 'value', 'name', 'true', 'false', 'null', 'data', 'account', 'payment', 'report',
];
export const MINIMUM_TEST_VOCABULARY = 3 + 2 + 256 + 95;

/** Builds a deterministic vocabulary of exactly `size` tokens. */
export function buildTestVocabulary(size: number): TestVocabulary {
  if (!Number.isInteger(size) || size < MINIMUM_TEST_VOCABULARY) {
    throw new RangeError(`A test vocabulary needs at least ${MINIMUM_TEST_VOCABULARY} tokens`);
  }
  const tokens: string[] = [];
  const types: number[] = [];
  const seen = new Set<string>();
  const add = (token: string, type: number): void => {
    if (tokens.length >= size || seen.has(token)) return;
    seen.add(token);
    tokens.push(token);
    types.push(type);
  };

  add('<unk>', TokenType.unknown);
  add('<s>', TokenType.control);
  add('</s>', TokenType.control);
  add('<|im_start|>', TokenType.control);
  add('<|im_end|>', TokenType.control);
  for (let byte = 0; byte < 256; byte++) add(`<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`, TokenType.byte);
  // Printable ASCII, with the space spelled as SentencePiece spells it.
  for (let code = 0x20; code < 0x7f; code++) add(code === 0x20 ? SPACE : String.fromCharCode(code), TokenType.normal);
  for (const word of WORDS) {
    for (let length = 1; length <= word.length; length++) add(SPACE + word.slice(0, length), TokenType.normal);
  }
  const letters = 'etaoinshrdlcumwfgypbvkjxqz';
  for (const first of letters) for (const second of letters) add(first + second, TokenType.normal);
  for (const first of letters) for (const second of letters) add(SPACE + first + second, TokenType.normal);
  for (const first of letters) for (const second of letters) for (const third of letters) add(first + second + third, TokenType.normal);
  for (const first of letters) for (const second of letters) for (const third of letters) add(SPACE + first + second + third, TokenType.normal);
  for (let counter = 0; tokens.length < size; counter++) add(`${SPACE}w${counter.toString(36)}`, TokenType.normal);

  // Earlier pieces score higher, as in trained vocabularies where the score is a log-frequency.
  const scores = new Float32Array(size);
  for (let index = 0; index < size; index++) scores[index] = types[index] === TokenType.normal ? -index : 0;
  return {
    tokens,
    scores,
    types: Int32Array.from(types),
    unknownId: 0,
    bosId: 1,
    eosId: 2,
    byteBaseId: 5,
    imStartId: 3,
    imEndId: 4,
  };
}
