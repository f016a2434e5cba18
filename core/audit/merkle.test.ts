import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { emptyRoot, Frontier, MerkleTree, nodeHash, verifyInclusion } from './merkle.ts';

const sha = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest('hex');
const leafOf = (data: Buffer) => sha(Buffer.from([0]), data);

/** RFC 6962 §2.1 MTH, written from the definition: the reference the fast code must agree with. */
function referenceRoot(leaves: readonly string[]): string {
  if (leaves.length === 0) return sha();
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sha(Buffer.from([1]), Buffer.from(referenceRoot(leaves.slice(0, k)), 'hex'), Buffer.from(referenceRoot(leaves.slice(k)), 'hex'));
}

// The certificate-transparency project's test leaves and the roots of their first 1..8 (RFC 6962 trees).
const ctLeaves = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((hex) => leafOf(Buffer.from(hex, 'hex')));
const ctRoots = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

describe('RFC 6962 Merkle trees', () => {
  it('match the certificate-transparency test vectors, incrementally and as a whole', () => {
    const frontier = new Frontier();
    ctLeaves.forEach((leaf, index) => {
      frontier.append(leaf);
      expect(frontier.root()).toBe(ctRoots[index]);
      expect(new MerkleTree(ctLeaves.slice(0, index + 1)).root()).toBe(ctRoots[index]);
    });
    expect(new Frontier().root()).toBe(emptyRoot);
    expect(emptyRoot).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('agree with the recursive definition for every size up to 130, and a frontier survives a round trip', () => {
    const leaves = Array.from({ length: 130 }, (_, i) => leafOf(Buffer.from(`entry ${i}`)));
    const frontier = new Frontier();
    for (let size = 1; size <= leaves.length; size += 1) {
      frontier.append(leaves[size - 1]!);
      const expected = referenceRoot(leaves.slice(0, size));
      expect(frontier.root()).toBe(expected);
      expect(new MerkleTree(leaves.slice(0, size)).root()).toBe(expected);
      const restored = Frontier.from(size, frontier.subtreeRoots());
      expect(restored.root()).toBe(expected);
    }
    expect(() => Frontier.from(5, [leaves[0]!])).toThrow(/needs 2 subtree roots/);
  });

  it('prove every leaf of every tree up to 70, and refuse proofs for the wrong leaf or index, or a shortened path', () => {
    const leaves = Array.from({ length: 70 }, (_, i) => leafOf(Buffer.from(`leaf ${i}`)));
    for (let size = 1; size <= leaves.length; size += 1) {
      const tree = new MerkleTree(leaves.slice(0, size));
      const root = tree.root();
      for (let index = 0; index < size; index += 1) {
        const path = tree.inclusionProof(index);
        expect(verifyInclusion(index, size, leaves[index]!, path, root)).toBe(true);
        if (size > 1) {
          expect(verifyInclusion(index, size, leaves[(index + 1) % size]!, path, root)).toBe(false);
          expect(verifyInclusion((index + 1) % size, size, leaves[index]!, path, root)).toBe(false);
        }
        if (path.length > 0) expect(verifyInclusion(index, size, leaves[index]!, path.slice(0, -1), root)).toBe(false);
      }
    }
    expect(verifyInclusion(3, 3, leaves[0]!, [], leaves[0]!)).toBe(false);
    expect(nodeHash(leaves[0]!, leaves[1]!)).toBe(sha(Buffer.from([1]), Buffer.from(leaves[0]!, 'hex'), Buffer.from(leaves[1]!, 'hex')));
  });
});
