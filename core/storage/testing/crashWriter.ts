// Child process for the crash-safety test: writes sealed notes in a loop and prints each
// committed sequence number on stdout, until it is killed. Run with `node` (type stripping).
// argv: dataDir startSeq. The master key comes from STRONGROOM_MASTER_KEY.
import { EnvironmentSecretStore } from '../../secrets/index.ts';
import { openTestStorage } from './helpers.ts';
import { NotesRepository } from './notes.ts';

const [dataDir, start] = process.argv.slice(2);
if (!dataDir || start === undefined) throw new Error('usage: crashWriter.ts DATA_DIR START_SEQ');
const storage = await openTestStorage(dataDir, { secrets: new EnvironmentSecretStore(process.env.STRONGROOM_MASTER_KEY ?? '') });
const notes = new NotesRepository(storage.scopeFor({ accountId: storage.accounts.list()[0]!.id }));
const body = 'x'.repeat(900);
process.stdout.write('ready\n');
let seq = Number(start);
for (;;) {
  // Mix single-row and multi-row transactions; acknowledge only after commit returns.
  const size = 1 + (seq % 7);
  const batch = Array.from({ length: size }, (_, index) => ({ title: `note ${seq + index}`, body, seq: seq + index }));
  notes.addMany(batch);
  const last = seq + size - 1;
  process.stdout.write(`${last}\n`);
  seq = last + 1;
  if (seq % 64 < 7) await new Promise((resolve) => setImmediate(resolve));
}
