import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CoreError, silentLogger, systemClock } from '../base/index.ts';
import { systemHandlers } from './handlers/system.ts';
import { createRouter } from './router.ts';
import type { AuditRecord, MethodHandlers } from './router.ts';
import { SessionRegistry } from './sessions.ts';
import { handlersWith, testPrincipal } from './testing.ts';

function setup(overrides: Partial<MethodHandlers> = {}) {
  const sessions = new SessionRegistry();
  const audits: AuditRecord[] = [];
  const handlers = handlersWith({
    ...systemHandlers({ mode: 'test', dataDir: '/data', clock: systemClock, startedAt: Date.now(), healthChecks: [] }),
    ...overrides,
  });
  const router = createRouter({ handlers, sessions, logger: silentLogger(), audit: { record: (r) => audits.push(r) } });
  const full = sessions.create(testPrincipal()).id;
  const none = sessions.create(testPrincipal({ permissions: [] })).id;
  return { router, audits, full, none };
}

describe('router', () => {
  it('returns the handler value in an ok envelope', async () => {
    const { router, full } = setup();
    const result = await router.call('system.info', {}, { sessionId: full, transport: 'in-process' });
    expect(result.ok).toBe(true);
    expect(result.ok && (result.value as { mode: string }).mode).toBe('test');
  });

  it('tells the data directory to installation administrators only', async () => {
    const { router, full } = setup();
    const sessions = new SessionRegistry();
    const admin = createRouter({ handlers: handlersWith(systemHandlers({ mode: 'test', dataDir: '/data', clock: systemClock, startedAt: Date.now(), healthChecks: [] })), sessions, logger: silentLogger() });
    const installationAdmin = sessions.create(testPrincipal({ installationAdmin: true })).id;
    expect(await router.call('system.info', {}, { sessionId: full, transport: 'in-process' })).toMatchObject({ ok: true, value: { dataDir: null } });
    expect(await admin.call('system.info', {}, { sessionId: installationAdmin, transport: 'in-process' })).toMatchObject({ ok: true, value: { dataDir: '/data' } });
  });

  it('rejects an unknown method with ERR_API_UNKNOWN_METHOD', async () => {
    const { router, full } = setup();
    const result = await router.call('system.destroyEverything', {}, { sessionId: full, transport: 'in-process' });
    expect(result).toMatchObject({ ok: false, error: { code: 'ERR_API_UNKNOWN_METHOD' } });
  });

  it('does not treat inherited object properties as methods', async () => {
    const { router, full } = setup();
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const result = await router.call(name, {}, { sessionId: full, transport: 'in-process' });
      expect(result).toMatchObject({ ok: false, error: { code: 'ERR_API_UNKNOWN_METHOD' } });
    }
  });

  it('rejects invalid input with ERR_INPUT_INVALID and the zod issue paths', async () => {
    const { router, full } = setup();
    const result = await router.call('system.info', { verbose: true }, { sessionId: full, transport: 'in-process' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('ERR_INPUT_INVALID');
    expect(result.error.details?.issues).toEqual([{ path: '(root)', message: expect.stringContaining('verbose') as string }]);
    const notAnObject = await router.call('system.info', 'hello', { sessionId: full, transport: 'in-process' });
    expect(notAnObject).toMatchObject({ ok: false, error: { code: 'ERR_INPUT_INVALID' } });
  });

  it('refuses a call without a session before looking at its input', async () => {
    const { router } = setup();
    const result = await router.call('system.info', { junk: 1 }, { sessionId: null, transport: 'http' });
    expect(result).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_UNAUTHENTICATED' } });
    const unknownSession = await router.call('system.info', {}, { sessionId: 'forged', transport: 'http' });
    expect(unknownSession).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_UNAUTHENTICATED' } });
  });

  it('refuses a principal without the declared permission and audits the denial', async () => {
    const { router, none, audits } = setup();
    const result = await router.call('system.health', {}, { sessionId: none, transport: 'ipc', requestId: 'r-1' });
    expect(result).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_FORBIDDEN' } });
    expect(audits).toEqual([expect.objectContaining({ method: 'system.health', outcome: 'denied', requestId: 'r-1', errorCode: 'ERR_AUTH_FORBIDDEN' })]);
  });

  it('audits a handler’s refusal of an id not in the account as denied, naming the resource, and answers as for an id that is nowhere', async () => {
    const inAnotherAccount = '3416749a-5b3f-4c1e-8d2a-841d3c38b7de';
    const nowhere = '00000000-0000-4000-8000-000000000000';
    const { router, full, audits } = setup({ 'runs.get': (input) => { throw CoreError.notInAccount('run', input.runId); } });
    const elsewhere = await router.call('runs.get', { runId: inAnotherAccount }, { sessionId: full, transport: 'http', requestId: 'r-probe' });
    const unknown = await router.call('runs.get', { runId: nowhere }, { sessionId: full, transport: 'http', requestId: 'r-unknown' });
    // The resource stays inside core: the answer is the same for both, and carries no id.
    expect(elsewhere).toEqual({ ok: false, error: { code: 'ERR_NOT_FOUND', message: 'There is no such run in your account.' } });
    expect(unknown).toEqual(elsewhere);
    expect(audits).toEqual([
      expect.objectContaining({ method: 'runs.get', outcome: 'denied', requestId: 'r-probe', transport: 'http', errorCode: 'ERR_NOT_FOUND', resource: `run:${inAnotherAccount}`, principal: expect.objectContaining({ userId: 'user-test', accountId: 'account-test' }) as unknown }),
      expect.objectContaining({ method: 'runs.get', outcome: 'denied', requestId: 'r-unknown', errorCode: 'ERR_NOT_FOUND', resource: `run:${nowhere}` }),
    ]);
  });

  it('names the resource of a handler’s ERR_AUTH_FORBIDDEN when it gives one, and keeps other handler errors failures', async () => {
    const { router, full, audits } = setup({
      'drafts.approve': (input) => { throw new CoreError('ERR_AUTH_FORBIDDEN', 'A second person approves.', { details: { rule: 'four-eyes' }, deniedResource: `draft:${input.draftId}` }); },
      'drafts.get': () => { throw new CoreError('ERR_NOT_FOUND', 'The draft has no section write.'); },
    });
    const draftId = '5b3f79b8-0000-4000-8000-000000000001';
    expect(await router.call('drafts.approve', { draftId }, { sessionId: full, transport: 'in-process', requestId: 'r-1' })).toEqual({ ok: false, error: { code: 'ERR_AUTH_FORBIDDEN', message: 'A second person approves.', details: { rule: 'four-eyes' } } });
    // A not-found the handler does not mark as a refusal (a section of the caller's own draft) is no denial.
    expect(await router.call('drafts.get', { draftId }, { sessionId: full, transport: 'in-process', requestId: 'r-2' })).toMatchObject({ ok: false, error: { code: 'ERR_NOT_FOUND' } });
    expect(audits).toEqual([expect.objectContaining({ method: 'drafts.approve', outcome: 'denied', requestId: 'r-1', resource: `draft:${draftId}` })]);
  });

  it('passes a typed CoreError from a handler through unchanged', async () => {
    const { router, full } = setup({
      'system.health': () => { throw new CoreError('ERR_CONFLICT', 'Busy rotating keys.', { details: { retryAfterMs: 100 } }); },
    });
    const result = await router.call('system.health', {}, { sessionId: full, transport: 'in-process' });
    expect(result).toEqual({ ok: false, error: { code: 'ERR_CONFLICT', message: 'Busy rotating keys.', details: { retryAfterMs: 100 } } });
  });

  it('turns an unexpected exception into ERR_INTERNAL without leaking its message', async () => {
    const { router, full } = setup({ 'system.health': () => { throw new Error('customer ACME owes 3,000,000'); } });
    const result = await router.call('system.health', {}, { sessionId: full, transport: 'in-process', requestId: 'req-42' });
    expect(result).toMatchObject({ ok: false, error: { code: 'ERR_INTERNAL', details: { requestId: 'req-42' } } });
    expect(JSON.stringify(result)).not.toContain('ACME');
  });

  it('refuses a call from a page of another account than the session now acts in, before the handler runs', async () => {
    let ran = 0;
    const { router, full } = setup({ 'system.health': () => { ran += 1; return { status: 'ok', uptimeMs: 1, checks: [] }; } });
    const stale = await router.call('system.health', {}, { sessionId: full, transport: 'http', expectedAccountId: 'account-before-the-switch' });
    expect(stale).toMatchObject({ ok: false, error: { code: 'ERR_AUTH_ACCOUNT_CHANGED', details: { activeAccountId: 'account-test' } } });
    expect(ran).toBe(0);
    expect((await router.call('system.health', {}, { sessionId: full, transport: 'http', expectedAccountId: 'account-test' })).ok).toBe(true);
    // Clients that track no account (the CLI, tests) are not checked.
    expect((await router.call('system.health', {}, { sessionId: full, transport: 'in-process' })).ok).toBe(true);
    expect(ran).toBe(2);
  });

  it('says a disk SQLite cannot write to is the operator’s to fix, with SQLite’s code, not an internal error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strongroom-router-disk-'));
    const writable = new Database(join(dir, 'x.db'));
    writable.exec('CREATE TABLE t (x TEXT)');
    writable.close();
    // A real SQLite refusal: a write through a read-only connection (as on a read-only mount).
    const readOnly = new Database(join(dir, 'x.db'), { readonly: true });
    const { router, full } = setup({ 'system.health': () => { readOnly.prepare("INSERT INTO t VALUES ('customer ACME')").run(); return { status: 'ok', uptimeMs: 1, checks: [] }; } });
    const result = await router.call('system.health', {}, { sessionId: full, transport: 'in-process' });
    readOnly.close();
    rmSync(dir, { recursive: true, force: true });
    expect(result).toMatchObject({ ok: false, error: { code: 'ERR_STORAGE_UNAVAILABLE', details: { sqlite: 'SQLITE_READONLY' } } });
    expect(result.ok === false && result.error.message).toContain('cannot be written');
    expect(JSON.stringify(result)).not.toContain('ACME');
  });

  it('rejects handler output that breaks the contract and strips undeclared fields', async () => {
    const broken = setup({ 'system.health': () => ({ status: 'sideways', uptimeMs: 1, checks: [] }) as never });
    const result = await broken.router.call('system.health', {}, { sessionId: broken.full, transport: 'in-process' });
    expect(result).toMatchObject({ ok: false, error: { code: 'ERR_OUTPUT_INVALID' } });

    const leaky = setup({ 'system.health': () => ({ status: 'ok', uptimeMs: 1, checks: [], secretKey: 'k' }) as never });
    const stripped = await leaky.router.call('system.health', {}, { sessionId: leaky.full, transport: 'in-process' });
    expect(stripped).toEqual({ ok: true, value: { status: 'ok', uptimeMs: 1, checks: [] } });
  });

  it('decides event delivery by the event permission', () => {
    const { router, full, none } = setup();
    expect(router.canReceive('system.heartbeat', full)).toBe(true);
    expect(router.canReceive('system.heartbeat', none)).toBe(false);
    expect(router.canReceive('system.heartbeat', null)).toBe(false);
    expect(router.canReceive('no.such.event' as never, full)).toBe(false);
  });
});
