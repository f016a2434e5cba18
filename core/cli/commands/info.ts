import { createInProcessBridge, localOperator } from '../../api/index.ts';
import { createCore } from '../../createCore.ts';
import type { CliIo } from '../output.ts';
import { reportFailure } from '../output.ts';

export async function infoCommand(io: CliIo, options: { dataDir: string; json: boolean }): Promise<number> {
  // info describes the installation without opening it: no database, no keychain needed.
  const core = await createCore({ dataDir: options.dataDir, mode: 'cli', heartbeatMs: 0, storage: false });
  try {
    const bridge = createInProcessBridge(core.router, core.events, core.sessions.create(localOperator()).id);
    const result = await bridge.invoke('system.info', {});
    if (!result.ok) return reportFailure(io, result, options.json);
    const info = result.value;
    if (options.json) {
      io.out(JSON.stringify(info));
    } else {
      io.out(
        [
          `Strongroom ${info.version}`,
          `mode       ${info.mode}`,
          `data dir   ${info.dataDir}`,
          `build      ${info.build.commit ?? 'source checkout'}${info.build.builtAt ? ` (${info.build.builtAt})` : ''}`,
          `runtime    Node ${info.build.node} on ${info.build.platform}-${info.build.arch}`,
        ].join('\n'),
      );
    }
    return 0;
  } finally {
    await core.dispose();
  }
}
