import { hash } from 'node:crypto';
import type { JsonValue } from '../crypto/index.ts';

/** Outcomes an entry can record. */
export type AuditOutcome = 'success' | 'failure' | 'denied';

/** The hash chain's start: the `prev` of entry 1. */
export const genesisHash = '0'.repeat(64);

/** The fields of one entry exactly as they are hashed (FORMAT.md, "Entry"). */
export interface CanonicalEntry {
  seq: number;
  prev: string;
  /** Epoch milliseconds; encoded as an ISO-8601 UTC timestamp. */
  at: number;
  accountId: string | null;
  actorUserId: string | null;
  actorAccountId: string | null;
  actorRoles: readonly string[];
  action: string;
  resource: string | null;
  outcome: AuditOutcome;
  requestId: string | null;
  details: { readonly [key: string]: JsonValue };
  /** Base64 of the sealed content, or null. */
  sealed: string | null;
}

/**
 * RFC 8785 (JSON Canonicalization Scheme): object keys sorted by UTF-16 code units, no
 * whitespace, strings and numbers as ECMAScript's JSON.stringify writes them. Non-finite numbers
 * and undefined are refused rather than silently dropped.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('Audit details cannot hold a non-finite number.');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
      const record = value as Record<string, unknown>;
      // Default sort compares UTF-16 code units, which is what RFC 8785 asks for.
      const keys = Object.keys(record).filter((key) => record[key] !== undefined).sort();
      return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`;
    }
    default:
      throw new TypeError(`Audit details cannot hold a ${typeof value}.`);
  }
}

const string = (value: string | null): string => (value === null ? 'null' : JSON.stringify(value));

/**
 * The canonical encoding of an entry: one line of compact JSON with a fixed field order, `details`
 * in RFC 8785 form. It is also the entry's line in a JSONL export, so a verifier hashes the bytes
 * it reads without re-encoding them.
 */
export function encodeEntry(entry: CanonicalEntry): string {
  return (
    `{"v":1,"seq":${entry.seq},"prev":"${entry.prev}","at":"${new Date(entry.at).toISOString()}",` +
    `"account":${string(entry.accountId)},` +
    `"actor":{"user":${string(entry.actorUserId)},"account":${string(entry.actorAccountId)},"roles":[${entry.actorRoles.map((role) => JSON.stringify(role)).join(',')}]},` +
    `"action":${JSON.stringify(entry.action)},"resource":${string(entry.resource)},"outcome":${JSON.stringify(entry.outcome)},` +
    `"request":${string(entry.requestId)},"details":${canonicalJson(entry.details)},"sealed":${string(entry.sealed)}}`
  );
}

/** The line that stands for an entry whose content a retention purge removed. */
export function encodePurgedEntry(seq: number, entryHash: string): string {
  return `{"v":1,"seq":${seq},"purged":"${entryHash}"}`;
}

/** The entry hash: SHA-256(0x00 ‖ canonical bytes), i.e. its RFC 6962 Merkle leaf hash, in hex. */
export function entryHash(canonical: string): string {
  return hash('sha256', Buffer.concat([leafPrefix, Buffer.from(canonical, 'utf8')]), 'hex');
}

const leafPrefix = Buffer.from([0]);

/**
 * The account an entry concerns (who may see it, whose retention applies): the caller's explicit
 * choice, else the account named by an `account:<id>` resource, else the actor's account.
 */
export function subjectAccount(explicit: string | null | undefined, resource: string | null | undefined, actorAccountId: string | null | undefined): string | null {
  if (explicit !== undefined) return explicit;
  if (resource?.startsWith('account:')) return resource.slice('account:'.length);
  return actorAccountId ?? null;
}
