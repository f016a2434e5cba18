// A failed run is not lost: `runs.resume` retries it from the step that failed, with every
// finished step kept (no model call is repeated), and the retry is an audited decision.
import { afterEach, describe, expect, it } from 'vitest';
import { CoreError } from '../base/index.ts';
import type { ChatRequest, ModelProvider } from '../models/index.ts';
import { harness } from './testing/harness.ts';
import type { Harness } from './testing/harness.ts';
import { instantModel } from './testing/instantModel.ts';
import { threeSteps } from './testing/threeSteps.ts';

const open: Harness[] = [];
afterEach(async () => { for (const h of open.splice(0)) await h.core.dispose(); });

const three = threeSteps();

describe('retrying a failed run', () => {
  it('continues from the failed step, keeps the finished ones, and audits the retry', async () => {
    const calls: ChatRequest[] = [];
    const inner = instantModel({ calls });
    let outage = true;
    const flaky: ModelProvider = {
      ...inner,
      chat: (request) => (outage && request.messages.some((m) => m.content.startsWith('Second')) ? Promise.reject(new CoreError('ERR_MODEL_UNAVAILABLE', 'The endpoint is down.')) : inner.chat(request)),
    };
    const h = await harness({ workflows: { three }, model: flaky });
    open.push(h);
    const failed = await h.settle((await h.call('runs.start', { workflowId: 'three', input: { name: 'Acme' } })).id);
    expect(failed).toMatchObject({ status: 'failed', errorCode: 'ERR_MODEL_UNAVAILABLE' });
    expect(calls).toHaveLength(1);

    outage = false;
    await h.call('runs.resume', { runId: failed.id });
    const done = await h.settle(failed.id);
    expect(done).toMatchObject({ status: 'completed', errorCode: null, errorMessage: null });
    expect(calls.map((c) => c.messages.at(-1)!.content)).toEqual(['First on Acme', 'Second on Acme', 'Third on Acme']);
    const retries = h.core.storage!.db.prepare("SELECT actor_user_id AS actor, outcome, resource FROM audit_log WHERE action = 'runs.retry'").all();
    expect(retries).toEqual([{ actor: 'analyst-1', outcome: 'success', resource: `run:${failed.id}` }]);

    // A completed run has nothing to resume: said plainly.
    await expect(h.call('runs.resume', { runId: failed.id })).rejects.toMatchObject({ code: 'ERR_WORKFLOW_NOT_WAITING' });
  });
});
