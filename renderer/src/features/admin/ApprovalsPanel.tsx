import { useId } from 'react';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useApiQuery } from '../../bridge/context.tsx';
import { useAuth } from '../auth/AuthContext.tsx';
import { AccountPicker, useManagedAccount } from './AccountPicker.tsx';
import type { AccountRow } from './AdminPage.tsx';
import { FormError, useApiAction } from './forms.tsx';

/** One account's rule: four-eyes on every approval, or each workflow's own rules. */
function ApprovalPolicy({ account }: { account: AccountRow }) {
  const auth = useAuth();
  const { state, reload } = useApiQuery('workflows.approvalPolicy.get', { accountId: account.id });
  const save = useApiAction('workflows.approvalPolicy.set');
  const id = useId();
  const canEdit = auth.can('boundaries.manage');
  if (state.status === 'loading') return <p>Loading…</p>;
  if (state.status === 'error') return <ApiErrorView error={state.error} onRetry={reload} />;
  const policy = state.value;

  async function change(fourEyes: boolean): Promise<void> {
    if ((await save.run({ accountId: account.id, fourEyes })).ok) reload();
  }

  return (
    <section aria-labelledby={`${id}-title`} data-testid="approval-policy">
      <h3 id={`${id}-title`}>Four-eyes on every approval: <strong>{policy.fourEyes ? 'on' : 'off'}</strong></h3>
      <p className="hint">
        {policy.fourEyes
          ? `In ${account.name}, whoever started a run cannot approve it, and whoever prepared a draft cannot approve the draft: a second person must.`
          : `In ${account.name}, each workflow decides: an approval step with fourEyes needs a second person, others do not.`}
        {policy.updatedBy && ` Last changed by ${policy.updatedBy}${policy.updatedAt ? ` on ${new Date(policy.updatedAt).toLocaleString()}` : ''}.`}
      </p>
      {canEdit ? (
        <button type="button" disabled={save.pending} onClick={() => { void change(!policy.fourEyes); }}>
          {policy.fourEyes ? 'Let each workflow decide' : 'Require a second person on every approval'}
        </button>
      ) : (
        <p className="notice">Changing it needs the boundaries permission (an account administrator).</p>
      )}
      <FormError error={save.error} />
    </section>
  );
}

/**
 * Maker–checker for an account: a bank that signs in through its IdP turns four-eyes on here for
 * every approval at once, without importing new workflow versions. A one-person local
 * installation leaves it off, or nobody could finish a credit memo.
 */
export function ApprovalsPanel() {
  const account = useManagedAccount();
  return (
    <>
      <h2>Approvals</h2>
      <p className="hint">The rule applies at once, also to runs already waiting for an approval. Every change is recorded in the audit log.</p>
      {account && <AccountPicker account={account} />}
      {account && <ApprovalPolicy key={account.id} account={account} />}
    </>
  );
}
