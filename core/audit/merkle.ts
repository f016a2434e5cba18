import { hash } from 'node:crypto';

// RFC 6962 (Certificate Transparency) Merkle trees over the audit entries, with hashes as lowercase
// hex strings: leaf = SHA-256(0x00 ‖ entry) — the entry hash itself — and node =
// SHA-256(0x01 ‖ left ‖ right). A tree of n leaves splits at the largest power of two below n.

const nodeScratch = Buffer.alloc(65);
nodeScratch[0] = 1;

/** SHA-256(0x01 ‖ left ‖ right) for hex hashes. */
export function nodeHash(left: string, right: string): string {
  nodeScratch.write(left, 1, 32, 'hex');
  nodeScratch.write(right, 33, 32, 'hex');
  return hash('sha256', nodeScratch, 'hex');
}

const binaryScratch = Buffer.alloc(65);
binaryScratch[0] = 1;

/**
 * SHA-256(0x01 ‖ left ‖ right) for hashes held as 32-byte binary (latin1) strings: what a
 * verifier walking a million entries uses, since hex digests cost more to make and to decode.
 */
export function binaryNodeHash(left: string, right: string): string {
  binaryScratch.write(left, 1, 32, 'latin1');
  binaryScratch.write(right, 33, 32, 'latin1');
  return hash('sha256', binaryScratch, 'binary');
}

/** SHA-256 of nothing: the root of an empty tree (RFC 6962 §2.1). */
export const emptyRoot = hash('sha256', Buffer.alloc(0), 'hex');

/** How a frontier's hashes are spelled: its node hash and its empty root in that spelling. */
export interface HashSpelling {
  node(left: string, right: string): string;
  empty: string;
}

const hexSpelling: HashSpelling = { node: nodeHash, empty: emptyRoot };
/** Hashes as 32-byte binary strings (binaryNodeHash). */
export const binarySpelling: HashSpelling = { node: binaryNodeHash, empty: Buffer.from(emptyRoot, 'hex').toString('latin1') };

/**
 * A tree's compact form: the roots of its perfect subtrees, largest first (the binary digits of its
 * size). Appending a leaf costs one hash on average; the root costs log2(size). Its JSON form is
 * kept beside each checkpoint so a restart resumes without rereading the log.
 */
export class Frontier {
  private readonly hashes: string[] = [];
  private readonly heights: number[] = [];
  private count = 0;
  private readonly spelling: HashSpelling;

  /** Hex hashes by default; `binarySpelling` for a verifier's hot path. */
  constructor(spelling: HashSpelling = hexSpelling) {
    this.spelling = spelling;
  }

  static from(size: number, subtreeRoots: readonly string[]): Frontier {
    const frontier = new Frontier();
    let remaining = size;
    for (const root of subtreeRoots) {
      const height = Math.floor(Math.log2(remaining));
      frontier.hashes.push(root);
      frontier.heights.push(height);
      remaining -= 2 ** height;
    }
    if (remaining !== 0) throw new Error(`A frontier for ${size} leaves needs ${popCount(size)} subtree roots, not ${subtreeRoots.length}.`);
    frontier.count = size;
    return frontier;
  }

  get size(): number {
    return this.count;
  }

  append(leaf: string): void {
    let current = leaf;
    let height = 0;
    while (this.heights.length > 0 && this.heights[this.heights.length - 1] === height) {
      this.heights.pop();
      current = this.spelling.node(this.hashes.pop()!, current);
      height += 1;
    }
    this.hashes.push(current);
    this.heights.push(height);
    this.count += 1;
  }

  /** The root, in the frontier's spelling. */
  root(): string {
    if (this.hashes.length === 0) return this.spelling.empty;
    let root = this.hashes[this.hashes.length - 1]!;
    for (let i = this.hashes.length - 2; i >= 0; i -= 1) root = this.spelling.node(this.hashes[i]!, root);
    return root;
  }

  subtreeRoots(): string[] {
    return [...this.hashes];
  }

  clone(): Frontier {
    return Frontier.from(this.count, this.hashes);
  }
}

function popCount(value: number): number {
  let count = 0;
  for (let rest = value; rest > 0; rest = Math.floor(rest / 2)) count += rest % 2;
  return count;
}

/**
 * A whole tree held level by level (leaves first), for inclusion proofs. Level k+1 pairs level k's
 * nodes and carries an odd last node up unchanged — the same tree RFC 6962's recursive split makes.
 */
export class MerkleTree {
  private readonly levels: string[][];

  constructor(leaves: readonly string[]) {
    this.levels = [[...leaves]];
    let level = this.levels[0]!;
    while (level.length > 1) {
      const next: string[] = [];
      for (let i = 0; i + 1 < level.length; i += 2) next.push(nodeHash(level[i]!, level[i + 1]!));
      if (level.length % 2 === 1) next.push(level[level.length - 1]!);
      this.levels.push(next);
      level = next;
    }
  }

  get size(): number {
    return this.levels[0]!.length;
  }

  root(): string {
    return this.size === 0 ? emptyRoot : this.levels[this.levels.length - 1]![0]!;
  }

  /** The audit path of leaf `index` (0-based), leaf to root: RFC 6962 §2.1.1 PATH(m, D[n]). */
  inclusionProof(index: number): string[] {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) throw new RangeError(`No leaf ${index} in a tree of ${this.size}.`);
    const path: string[] = [];
    let position = index;
    for (let depth = 0; depth < this.levels.length - 1; depth += 1) {
      const level = this.levels[depth]!;
      const sibling = position ^ 1;
      if (sibling < level.length) path.push(level[sibling]!);
      position = Math.floor(position / 2);
    }
    return path;
  }
}

/** RFC 9162 §2.1.3.2: does `path` prove leaf `index` with hash `leaf` in the tree of `size` with `root`? */
export function verifyInclusion(index: number, size: number, leaf: string, path: readonly string[], root: string): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let current = leaf;
  for (const sibling of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      current = nodeHash(sibling, current);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      current = nodeHash(current, sibling);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && current === root;
}

/** Hex hash check used by parsers: 64 lowercase hex digits. */
export function isHash(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
}
