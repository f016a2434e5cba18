import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../api/index.ts';
import type { MethodOutput } from '../contracts/index.ts';
import type { Core } from '../createCore.ts';
import { IdentityStore } from '../identity/index.ts';
import { spanIdFor } from '../tracing/index.ts';
import { verifyBytes } from '../../scripts/verify-audit.mjs';
import { apiAs, openCore, principalFor, tempDir } from './testing.ts';

// The Audit page speaks of people and things by name: the actor filter takes a name or an email
// (among the people the caller may know about), and each entry's resource comes with a name or
// the page to open. People and runs are real rows (identity store, a run of a workflow with no
// model step, a draft); the entries about them are the ones the services append.

const dir = tempDir('names');
let core: Core;
let alpha: { id: string; name: string };
let beta: { id: string; name: string };
const people = {} as Record<'anna' | 'anne' | 'annabel' | 'ivy', { id: string }>;
let runA: { id: string; traceId: string };
let runB: { id: string };
let draftA: string;

type Listing = MethodOutput<'audit.list'>;
const names = (listing: Listing) => listing.actorMatch?.people.map((person) => person.displayName);
const actors = (listing: Listing) => new Set(listing.entries.map((entry) => entry.actor.userId));

beforeAll(async () => {
  core = await openCore(dir.path);
  const ops = apiAs(core);
  alpha = await ops.call('admin.accounts.create', { name: 'Alpha' });
  beta = await ops.call('admin.accounts.create', { name: 'Beta' });
  const administration = core.storage!.accounts.list()[0]!;
  const store = new IdentityStore(core.storage!.db);
  const person = (subject: string, displayName: string, email: string, accountId: string, role: 'analyst' | 'auditor' | 'admin') => {
    const user = store.upsertIdpUser('https://idp.example', subject, { displayName, email }, Date.now());
    store.replaceGroupMemberships(user.id, [{ accountId, role }], Date.now());
    return { id: user.id };
  };
  people.anna = person('anna', 'Anna Analyst', 'anna@alpha.example', alpha.id, 'analyst');
  people.anne = person('anne', 'Anne Auditor', 'Anne.A@alpha.example', alpha.id, 'auditor');
  // Only in Beta, and her name and email contain what Alpha's officer searches for.
  people.annabel = person('annabel', 'Annabel Beta', 'annabel@beta.example', beta.id, 'analyst');
  // An installation administrator (admin of the first account) acts in every account.
  people.ivy = person('ivy', 'Ivy Installer', 'ivy@ops.example', administration.id, 'admin');

  const guarded = (id: string) => `id: ${id}\nname: Guarded\ninputs: {type: object}\nsteps:\n  - {id: check, kind: guardrail, policy: none}\n`;
  await apiAs(core, principalFor(alpha.id, 'admin')).call('workflows.import', { text: guarded('guarded') });
  await apiAs(core, principalFor(beta.id, 'admin')).call('workflows.import', { text: guarded('guarded-b') });
  // Runs started by the people themselves: their runs.start entries name them and the run.
  runA = await apiAs(core, principalFor(alpha.id, 'analyst', { userId: people.anna.id })).call('runs.start', { workflowId: 'guarded', input: {} });
  await core.workflows!.settled(runA.id);
  runB = await apiAs(core, principalFor(beta.id, 'analyst', { userId: people.annabel.id })).call('runs.start', { workflowId: 'guarded-b', input: {} });
  await core.workflows!.settled(runB.id);
  const alphaAdmin = apiAs(core, principalFor(alpha.id, 'admin'));
  await alphaAdmin.call('workflows.import', { text: 'id: drafted-part\nname: Drafted part\ninputs: {type: object}\nsteps:\n  - {id: sum, kind: tool, tool: calculator, args: {expression: {template: "1+1"}}}\n' });
  await alphaAdmin.call('workflows.import', { text: 'id: drafted\nname: Drafted\ninputs: {type: object}\ndocument: {title: "Alpha draft", sections: [write]}\nsteps:\n  - {id: write, kind: workflow, workflow: drafted-part, input: {}}\n' });
  const draft = await alphaAdmin.call('drafts.create', { workflowId: 'drafted', input: {}, modelId: 'no-such-model' });
  await core.workflows!.settled(draft.runId);
  draftA = draft.id;

  // Entries of Alpha about things: people, accounts, a model, a trace, a span, and ids from elsewhere.
  const inAlpha = (actor: string, resource: string) => core.audit!.append({ action: 'test.about', outcome: 'success', actor: { userId: actor, accountId: alpha.id }, accountId: alpha.id, resource, details: {} });
  inAlpha(people.anne.id, `user:${people.anna.id}`);
  inAlpha(people.anne.id, `user:${people.annabel.id}`);
  inAlpha(people.ivy.id, `account:${alpha.id}`);
  inAlpha(people.ivy.id, `account:${beta.id}`);
  inAlpha(people.ivy.id, 'model:test-model-1');
  inAlpha(people.anne.id, `trace:${runA.traceId}`);
  inAlpha(people.anne.id, `span:${runA.traceId}/${spanIdFor(runA.traceId, '')}`);
  inAlpha(people.anne.id, `run:${runB.id}`);
  inAlpha(people.anne.id, `run:${randomUUID()}`);
  inAlpha(people.anne.id, 'installation:trace-push');
  core.audit!.append({ action: 'test.about', outcome: 'success', actor: { userId: people.annabel.id, accountId: beta.id }, accountId: beta.id, resource: `user:${people.annabel.id}`, details: {} });
});

afterAll(async () => {
  await core.dispose();
  dir.cleanup();
});

const officerOf = (accountId: string, role: 'compliance' | 'auditor' | 'admin' = 'compliance'): Principal => principalFor(accountId, role);

describe('the actor filter: a name or an email, among the people the caller may know about', () => {
  it('finds an account’s members by part of their name or email, in any case, and lists their entries', async () => {
    const officer = apiAs(core, officerOf(alpha.id));
    const ann = await officer.call('audit.list', { actor: 'ann', limit: 500 });
    expect(names(ann)).toEqual(['Anna Analyst', 'Anne Auditor']);
    expect(ann.actorMatch).toMatchObject({ query: 'ann', exactId: false, total: 2 });
    expect(actors(ann)).toEqual(new Set([people.anna.id, people.anne.id]));
    expect(ann.entries.some((entry) => entry.action === 'runs.start' && entry.actor.displayName === 'Anna Analyst')).toBe(true);

    const byEmail = await officer.call('audit.list', { actor: 'ANNE.a@ALPHA', limit: 500 });
    expect(byEmail.actorMatch?.people).toEqual([{ userId: people.anne.id, displayName: 'Anne Auditor', email: 'Anne.A@alpha.example' }]);
    expect(actors(byEmail)).toEqual(new Set([people.anne.id]));

    // A user id still works, and says whose it is.
    const byId = await officer.call('audit.list', { actor: people.anna.id, limit: 500 });
    expect(byId.actorMatch).toMatchObject({ exactId: true, total: 1, people: [{ displayName: 'Anna Analyst' }] });
    expect(actors(byId)).toEqual(new Set([people.anna.id]));
  });

  it('never finds or names a person who is only in another account: by name, email or id, alike nobody', async () => {
    const officer = apiAs(core, officerOf(alpha.id));
    for (const actor of ['annabel', 'Annabel Beta', 'beta.example', people.annabel.id]) {
      const listed = await officer.call('audit.list', { actor, limit: 500 });
      expect(listed.actorMatch, actor).toEqual({ query: actor, exactId: false, people: [], total: 0 });
      expect(listed.entries, actor).toEqual([]);
      expect(JSON.stringify({ ...listed, actorMatch: { ...listed.actorMatch, query: '' } }), actor).not.toContain('Annabel');
    }
    expect(await officer.call('audit.list', { actor: 'nobody-at-all', limit: 500 })).toMatchObject({ entries: [], actorMatch: { people: [], total: 0 } });
    // An entry of Alpha about her shows her id only; about a member, the member's name.
    const about = await officer.call('audit.list', { action: 'test.about', limit: 500 });
    const label = (resource: string) => about.entries.find((entry) => entry.resource === resource)?.resourceLabel;
    expect(label(`user:${people.annabel.id}`)).toEqual({ kind: 'user', id: people.annabel.id, name: null, open: null });
    expect(label(`user:${people.anna.id}`)).toEqual({ kind: 'user', id: people.anna.id, name: 'Anna Analyst', open: null });
    expect(JSON.stringify(about)).not.toContain('Annabel');
  });

  it('finds the installation’s administrators, the local administrator and the CLI operator from any account', async () => {
    const officer = apiAs(core, officerOf(alpha.id));
    expect(names(await officer.call('audit.list', { actor: 'IVY@OPS', limit: 10 }))).toEqual(['Ivy Installer']);
    const ivy = await officer.call('audit.list', { actor: 'Ivy', limit: 500 });
    expect(ivy.entries.length).toBeGreaterThan(0);
    expect(actors(ivy)).toEqual(new Set([people.ivy.id]));
    expect(names(await officer.call('audit.list', { actor: 'local admin', limit: 10 }))).toEqual(['Local administrator']);
    expect(names(await officer.call('audit.list', { actor: 'operator', limit: 10 }))).toEqual(['Local operator (CLI)']);
  });

  it('lets an installation administrator find everyone, in every account', async () => {
    const ops = apiAs(core);
    const ann = await ops.call('audit.list', { actor: 'ann', limit: 500 });
    expect(names(ann)).toEqual(['Anna Analyst', 'Annabel Beta', 'Anne Auditor']);
    const annabel = await ops.call('audit.list', { actor: 'annabel@beta', limit: 500 });
    expect(names(annabel)).toEqual(['Annabel Beta']);
    expect(annabel.entries.map((entry) => entry.action)).toEqual(expect.arrayContaining(['runs.start', 'test.about']));
    expect(annabel.entries.every((entry) => entry.accountId === beta.id && entry.actor.displayName === 'Annabel Beta')).toBe(true);
  });

  it('exports one person’s entries by name or email, recording their user id as an id filter always did; several people are refused', async () => {
    const officer = apiAs(core, officerOf(alpha.id));
    const byName = await officer.call('audit.export', { format: 'jsonl', actor: 'anna analyst' });
    const byId = await officer.call('audit.export', { format: 'jsonl', actor: people.anna.id });
    for (const file of [byName, byId]) {
      expect(verifyBytes(Buffer.from(file.content, 'utf8'))).toMatchObject({ ok: true, scope: 'filtered' });
      const manifest = (JSON.parse(file.content.split('\n')[0]!) as { export: string }).export;
      expect(manifest).toContain(`\nfilter {"account":"${alpha.id}","actor":"${people.anna.id}"}\n`);
    }
    // The same entries of hers, whichever way she was named.
    const entriesOf = (content: string) => content.split('\n').filter((line) => line.includes('"actor":{')).filter((line) => !line.includes('"audit.export"'));
    expect(entriesOf(byName.content)).toEqual(entriesOf(byId.content));
    expect(entriesOf(byName.content).length).toBeGreaterThan(0);
    const recorded = await officer.call('audit.list', { action: 'audit.export', limit: 2 });
    expect(recorded.entries.map((entry) => entry.details.filter)).toEqual([{ account: alpha.id, actor: people.anna.id }, { account: alpha.id, actor: people.anna.id }]);
    await expect(officer.call('audit.export', { format: 'csv', actor: 'ann' })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
    // Someone unknown is an id, as before (nothing matches here).
    expect((await officer.call('audit.export', { format: 'csv', actor: 'annabel' })).entries).toBe(0);
  });
});

describe('resources by name, and the page to open', () => {
  const labelsFor = async (principal: Principal, options: { action?: string } = {}) => {
    const listed = await apiAs(core, principal).call('audit.list', { ...options, limit: 500 });
    return (resource: string) => {
      const entry = listed.entries.find((candidate) => candidate.resource === resource);
      if (!entry) throw new Error(`no entry about ${resource}`);
      return entry.resourceLabel;
    };
  };

  it('links a run to its page for those who read runs, and to its trace for those who read traces only; keeps the resource as it is', async () => {
    const admin = await labelsFor(officerOf(alpha.id, 'admin'));
    expect(admin(`run:${runA.id}`)).toEqual({ kind: 'run', id: runA.id, name: null, open: { page: 'run', id: runA.id } });
    const compliance = await labelsFor(officerOf(alpha.id));
    expect(compliance(`run:${runA.id}`)).toEqual({ kind: 'run', id: runA.id, name: null, open: { page: 'trace', id: runA.traceId } });
    expect(compliance(`trace:${runA.traceId}`)).toEqual({ kind: 'trace', id: runA.traceId, name: null, open: { page: 'trace', id: runA.traceId } });
    const spanId = spanIdFor(runA.traceId, '');
    expect(compliance(`span:${runA.traceId}/${spanId}`)).toMatchObject({ kind: 'span', open: { page: 'trace', id: runA.traceId, spanId } });
    expect(compliance(`draft:${draftA}`)).toEqual({ kind: 'draft', id: draftA, name: null, open: { page: 'draft', id: draftA } });
    // An auditor reads traces but not drafts.
    const auditor = await labelsFor(officerOf(alpha.id, 'auditor'));
    expect(auditor(`draft:${draftA}`)).toMatchObject({ kind: 'draft', open: null });
    expect(auditor(`run:${runA.id}`)).toMatchObject({ open: { page: 'trace', id: runA.traceId } });
  });

  it('opens nothing of another account: its run reads like one that exists nowhere', async () => {
    const admin = await labelsFor(officerOf(alpha.id, 'admin'), { action: 'test.about' });
    const elsewhere = admin(`run:${runB.id}`);
    expect(elsewhere).toEqual({ kind: 'run', id: runB.id, name: null, open: null });
    const listed = await apiAs(core, officerOf(alpha.id, 'admin')).call('audit.list', { action: 'test.about', limit: 500 });
    const nowhere = listed.entries.find((entry) => entry.resource?.startsWith('run:') && entry.resource !== `run:${runB.id}`)!;
    expect({ ...nowhere.resourceLabel, id: runB.id }).toEqual(elsewhere);
  });

  it('names accounts the caller knows, shows a model id as it is and anything else as written', async () => {
    const compliance = await labelsFor(officerOf(alpha.id), { action: 'test.about' });
    expect(compliance(`account:${alpha.id}`)).toEqual({ kind: 'account', id: alpha.id, name: 'Alpha', open: null });
    expect(compliance(`account:${beta.id}`)).toEqual({ kind: 'account', id: beta.id, name: null, open: null });
    expect(compliance('model:test-model-1')).toEqual({ kind: 'model', id: 'test-model-1', name: null, open: null });
    expect(compliance('installation:trace-push')).toEqual({ kind: 'other', id: 'installation:trace-push', name: null, open: null });
    const operator = await labelsFor(principalFor(alpha.id, 'admin', { installationAdmin: true }), { action: 'test.about' });
    expect(operator(`account:${beta.id}`)).toMatchObject({ name: 'Beta' });
    expect(operator(`user:${people.annabel.id}`)).toMatchObject({ name: 'Annabel Beta' });
  });

  it('gives one entry the same labels as the list', async () => {
    const officer = apiAs(core, officerOf(alpha.id));
    const listed = await officer.call('audit.list', { actor: people.anna.id, action: 'runs.start', limit: 1 });
    const entry = listed.entries[0]!;
    expect(entry.resource).toBe(`run:${runA.id}`);
    const detail = await officer.call('audit.get', { seq: entry.seq });
    expect(detail.entry).toEqual(entry);
  });
});
