// Child process for the ledger's crash test: calls the counter tool for steps 0..count-1 of one
// run, printing each step number once its call returned, until done or killed.
// argv: databaseFile count
import { openDatabase } from '../../../storage/index.ts';
import { createCounterTool } from '../counterTool.ts';
import { SqliteToolCallLedger } from '../ToolCallLedger.ts';

const [file, count] = process.argv.slice(2);
if (file === undefined || count === undefined) throw new Error('usage: counterWorker.ts DATABASE_FILE COUNT');
const db = openDatabase(file);
const counter = createCounterTool({ db, ledger: new SqliteToolCallLedger({ db }) });
const signal = new AbortController().signal;
for (let step = 0; step < Number(count); step += 1) {
  await counter.call({ counter: 'crash' }, { accountId: 'account-a', runId: 'run-crash', idempotencyKey: `run-crash:steps[${step}]`, signal });
  process.stdout.write(`${step}\n`);
}
db.close();
