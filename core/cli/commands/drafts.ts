import type { Core } from '../../createCore.ts';
import type { CliIo } from '../output.ts';
import { runStorageCommand, writeNewFile } from './common.ts';
import type { AccountCommandOptions } from './workflows.ts';
import { accountApi } from './workflows.ts';

/** `strongroom drafts …`: the Drafts page from a terminal, acting in one account through the router. */

/** `strongroom drafts list`: title, status, progress, workflow. */
export async function draftsListCommand(io: CliIo, core: Core, options: AccountCommandOptions & { limit: number }): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    const drafts = await accountApi(core, options.account).call('drafts.list', { limit: options.limit });
    if (options.json) io.out(JSON.stringify({ ok: true, value: drafts }));
    else if (drafts.length === 0) io.out('No drafts in this account.');
    else io.out(drafts.map((d) => `${d.id}  ${d.updatedAt.slice(0, 16).replace('T', ' ')}  ${d.status.padEnd(9)} ${`${d.sectionsDone}/${d.sectionCount}`.padStart(5)} sections  ${d.workflowId.padEnd(20)} ${d.title}${d.demo ? '  [test model]' : ''}`).join('\n'));
    return 0;
  });
}

/** `strongroom drafts export ID --format docx|pdf|md --out FILE`: a new file; the export is audited. */
export async function draftsExportCommand(io: CliIo, core: Core, options: AccountCommandOptions & { draftId: string; format: 'docx' | 'pdf' | 'md'; out: string }): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    const result = await accountApi(core, options.account).call('drafts.export', { draftId: options.draftId, format: options.format });
    const bytes = Buffer.from(result.base64, 'base64');
    writeNewFile(options.out, bytes);
    const value = { file: options.out, format: options.format, bytes: bytes.length };
    io.out(options.json ? JSON.stringify({ ok: true, value }) : `Wrote ${options.out} (${options.format.toUpperCase()}, ${Math.max(1, Math.round(bytes.length / 1024))} KiB).`);
    return 0;
  });
}
