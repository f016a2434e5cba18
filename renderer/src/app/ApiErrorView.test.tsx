import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { errorCodes, errorRetry } from '../../../core/contracts/index.ts';
import type { ApiError } from '../../../core/contracts/index.ts';
import { ApiErrorView } from './ApiErrorView.tsx';

const shown = (error: ApiError) => renderToStaticMarkup(<ApiErrorView error={error} onRetry={() => undefined} />);

describe('ApiErrorView', () => {
  it('offers no "Try again" for what a retry only repeats: an id not in the account, a refusal, invalid input, a step that no longer waits', () => {
    const permanent: ApiError[] = [
      // An id in another account or nowhere, as every account-scoped lookup now answers it.
      { code: 'ERR_NOT_FOUND', message: 'There is no such run in your account.' },
      { code: 'ERR_NOT_FOUND', message: 'There is no such draft in your account.' },
      { code: 'ERR_TRACE_NOT_FOUND', message: 'There is no such trace in your account.' },
      { code: 'ERR_TRACE_NOT_FOUND', message: 'There is no such span in your account.' },
      { code: 'ERR_FEEDBACK_NOT_FOUND', message: 'There is no such feedback in your account.' },
      { code: 'ERR_WORKFLOW_NOT_FOUND', message: 'There is no such workflow in your account.' },
      { code: 'ERR_AUTH_FORBIDDEN', message: 'You do not have permission to do this.' },
      { code: 'ERR_INPUT_INVALID', message: 'Invalid input for runs.get.', details: { issues: [{ path: 'runId', message: 'Invalid UUID' }] } },
      { code: 'ERR_WORKFLOW_NOT_WAITING', message: 'The run is completed; there is nothing to resume.' },
      { code: 'ERR_WORKFLOW_CANCELLED', message: 'The run was cancelled.' },
      { code: 'ERR_FEEDBACK_EMPTY', message: 'Feedback needs at least a rating.' },
    ];
    for (const error of permanent) {
      const view = shown(error);
      expect(view, error.code).toContain(error.message);
      expect(view, error.code).not.toContain('Try again');
    }
  });

  it('keeps "Try again" for what may pass: the network, a busy disk or model, a timeout', () => {
    for (const code of ['ERR_TRANSPORT_FAILED', 'ERR_STORAGE_UNAVAILABLE', 'ERR_MODEL_UNAVAILABLE', 'ERR_MODEL_TIMEOUT', 'ERR_TOOL_TIMEOUT', 'ERR_INTERNAL'] as const) {
      expect(shown({ code, message: 'Something passing.' }), code).toContain('Try again');
    }
    // Nothing to retry with: no button.
    expect(renderToStaticMarkup(<ApiErrorView error={{ code: 'ERR_TRANSPORT_FAILED', message: 'Down.' }} />)).not.toContain('Try again');
  });

  it('reads the rule from one table beside the codes that classifies every code, and every not-found as permanent', () => {
    expect(Object.keys(errorRetry).sort()).toEqual([...errorCodes].sort());
    for (const code of errorCodes.filter((c) => c.endsWith('_NOT_FOUND'))) expect(errorRetry[code], code).toBe('permanent');
  });
});
