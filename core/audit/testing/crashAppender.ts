// Child process for the audit crash test: makes a change and its audit entry in one transaction,
// again and again, and prints each committed number on stdout until it is killed. Run with `node`
// (type stripping). argv: dataDir start [count] — with a count it stops after that many and exits
// (the parallel test runs two of these beside API calls). The master key comes from STRONGROOM_MASTER_KEY.
import { systemClock } from '../../base/index.ts';
import { EnvironmentSecretStore } from '../../secrets/index.ts';
import { openStorage } from '../../storage/index.ts';
import { AuditLog } from '../auditLog.ts';
import { durableTransaction } from '../../storage/index.ts';

const [dataDir, start, count] = process.argv.slice(2);
if (!dataDir || start === undefined) throw new Error('usage: crashAppender.ts DATA_DIR START [COUNT]');
const end = count === undefined ? Number.POSITIVE_INFINITY : Number(start) + Number(count);
const storage = await openStorage({ dataDir, secrets: new EnvironmentSecretStore(process.env.STRONGROOM_MASTER_KEY ?? '') });
const log = new AuditLog({ storage, clock: systemClock, checkpointEvery: 7 });
const accountId = storage.accounts.list()[0]!.id;
const change = storage.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
const scope = storage.scopeFor({ accountId });
process.stdout.write('ready\n');
for (let n = Number(start); n < end; n += 1) {
  if (n % 3 === 0) {
    // An entry on its own (like a denied call), in the log's own transaction.
    log.append({ action: 'test.denied', outcome: 'denied', actor: { userId: 'crash', accountId }, details: { n } });
  } else {
    // A change and its entry together, some with sealed content (the key is readied first, as AccountRepository does).
    scope.prepareForWrite();
    durableTransaction(storage.db, () => {
      change.run(`crash-${n}`, String(n));
      log.append({ action: 'test.change', outcome: 'success', actor: { userId: 'crash', accountId }, details: { n, key: `crash-${n}` }, ...(n % 2 === 0 ? { content: { text: `content ${n}` } } : {}) });
    });
  }
  process.stdout.write(`${n}\n`);
  if (n % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
}
await storage.dispose();
