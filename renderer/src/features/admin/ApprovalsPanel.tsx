import { useId, useRef, useState } from 'react';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useApiQuery } from '../../bridge/context.tsx';
import { useAuth } from '../auth/AuthContext.tsx';
import { AccountPicker, useManagedAccount } from './AccountPicker.tsx';
import type { AccountRow } from './AdminPage.tsx';
import { FormError, useApiAction } from './forms.tsx';

/** Who last changed the rule, by name (`admin.people.names`); until it answers, or for someone it does not know, in words. */
function ChangedBy({ account, userId, at }: { account: AccountRow; userId: string; at: string | null }) {
  const { state } = useApiQuery('admin.people.names', { accountId: account.id, userIds: [userId] });
  const name = state.status === 'ok' ? state.value.find((person) => person.userId === userId)?.displayName : undefined;
  const who = name ?? (state.status === 'loading' ? '…' : 'someone who is no longer a member');
  return <> Last changed by {who}{at ? ` on ${new Date(at).toLocaleString()}` : ''}.</>;
}

/** One account's rule: four-eyes on every approval, or each workflow's own rules. */
function ApprovalPolicy({ account }: { account: AccountRow }) {
  const auth = useAuth();
  const { state, reload } = useApiQuery('workflows.approvalPolicy.get', { accountId: account.id });
  const save = useApiAction('workflows.approvalPolicy.set');
  const id = useId();
  const [announcement, setAnnouncement] = useState('');
  const status = useRef<HTMLParagraphElement>(null);
  const canEdit = auth.can('boundaries.manage');
  // Local mode: the local administrator is the only person who can sign in.
  const onePerson = auth.status.mode === 'local';
  if (state.status === 'loading') return <p>Loading…</p>;
  if (state.status === 'error') return <ApiErrorView error={state.error} onRetry={reload} />;
  const policy = state.value;

  async function change(fourEyes: boolean): Promise<void> {
    if (save.pending) return;
    const result = await save.run({ accountId: account.id, fourEyes });
    if (!result.ok) return;
    setAnnouncement(fourEyes ? `Four-eyes is now on in ${account.name}.` : `Four-eyes is now off in ${account.name}: each workflow decides.`);
    reload();
    // The toggle's label changes under it: focus the confirmation, which says what holds now.
    setTimeout(() => status.current?.focus(), 0);
  }

  return (
    <section aria-labelledby={`${id}-title`} data-testid="approval-policy">
      <h3 id={`${id}-title`}>Four-eyes on every approval: <strong>{policy.fourEyes ? 'on' : 'off'}</strong></h3>
      <p className="hint">
        {policy.fourEyes
          ? `In ${account.name}, whoever started a run cannot approve it, and whoever prepared a draft cannot approve the draft: a second person must.`
          : `In ${account.name}, each workflow decides: an approval step with fourEyes needs a second person, others do not.`}
        {policy.updatedBy && <ChangedBy account={account} userId={policy.updatedBy} at={policy.updatedAt} />}
      </p>
      {onePerson && (
        <div className="warning-panel" data-testid="four-eyes-local-mode">
          {policy.fourEyes
            ? <p><strong>Nobody can approve here in local mode.</strong> Only the local administrator can sign in, and four-eyes refuses the person who started a run or prepared a draft, so approvals in {account.name} wait until an identity provider brings in a second person — or until four-eyes is off again.</p>
            : <p><strong>Local mode has one person.</strong> Only the local administrator can sign in; with four-eyes on they could never approve their own runs and drafts, and nobody else could. Turn it on once people sign in through an identity provider.</p>}
        </div>
      )}
      {canEdit ? (
        <button type="button" aria-disabled={save.pending || undefined} onClick={() => { void change(!policy.fourEyes); }}>
          {policy.fourEyes ? 'Let each workflow decide' : 'Require a second person on every approval'}
        </button>
      ) : (
        <p className="notice">Changing it needs the boundaries permission (an account administrator).</p>
      )}
      <FormError error={save.error} />
      <p ref={status} tabIndex={-1} role="status" className="announcement">{announcement}</p>
    </section>
  );
}

/**
 * Maker–checker for an account: a bank that signs in through its IdP turns four-eyes on here for
 * every approval at once, without importing new workflow versions. A one-person local
 * installation leaves it off, or nobody could finish a credit memo — the panel says so there.
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
