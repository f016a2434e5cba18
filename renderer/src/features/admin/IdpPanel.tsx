import { useId, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import { Link } from 'react-router';
import type { MethodInput, MethodOutput } from '../../../../core/contracts/index.ts';
import { SigningAlgorithmSchema } from '../../../../core/contracts/index.ts';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useApiQuery, useBridge } from '../../bridge/context.tsx';
import { useAuth } from '../auth/AuthContext.tsx';
import { signInPageWith } from '../auth/signInErrors.ts';
import { useAdmin } from './AdminPage.tsx';
import { fieldErrorFor, FormError, useApiAction } from './forms.tsx';

type Current = MethodOutput<'admin.idp.get'>;
type Algorithm = (typeof SigningAlgorithmSchema.options)[number];

const fields = ['issuer', 'clientId', 'groupsClaim', 'algorithms', 'offlineGraceHours', 'scopes', 'clientSecret'] as const;
const defaultScopes = ['openid', 'profile', 'email', 'groups', 'offline_access'];

/**
 * Before local mode ends: who will administer afterwards. The server refuses the IdP until a group
 * is mapped to admin in the administration account; this says so before anyone tries.
 */
function LeavingLocalMode({ checked, onChange }: { checked: boolean; onChange: (checked: boolean) => void }) {
  const { accounts, administrationAccountId } = useAdmin();
  const administration = accounts.find((a) => a.id === administrationAccountId) ?? accounts[0];
  const mappings = useApiQuery('admin.groups.list', { accountId: administration?.id ?? '' });
  const adminGroups = mappings.state.status === 'ok' ? mappings.state.value.filter((m) => m.role === 'admin').map((m) => m.group) : [];
  return (
    <div className="warning-panel" data-testid="leave-local-mode">
      <p><strong>Saving turns local mode off.</strong> Your session as local administrator ends at once and you are taken to the sign-in page. From then on everyone, you included, signs in through the identity provider only; the local administrator passphrase stops working.</p>
      {mappings.state.status === 'ok' && (adminGroups.length > 0 ? (
        <p data-testid="admin-groups">Strongroom will be administered by members of {adminGroups.map((group, index) => <span key={group}>{index > 0 && ', '}<code>{group}</code></span>)} (mapped to <em>admin</em> in {administration?.name}). Make sure you are one of them.</p>
      ) : (
        <p data-testid="admin-groups">No directory group is mapped to <em>admin</em> in {administration?.name} yet, so saving is refused: nobody could administer Strongroom afterwards. <Link to={`/admin/groups?account=${administration?.id ?? ''}`}>Map one in Group mappings</Link> first.</p>
      ))}
      <p>To return to local mode later, run <code>strongroom admin idp clear</code> on the server.</p>
      <label className="check">
        <input type="checkbox" checked={checked} onChange={(event) => onChange(event.target.checked)} /> I understand: turn local sign-in off
      </label>
    </div>
  );
}

/** The form keeps what people type as text; the API's validation errors are shown beside each field. */
function IdpForm({ current, onSaved }: { current: Current; onSaved: (saved: MethodOutput<'admin.idp.set'>) => void }) {
  const auth = useAuth();
  const save = useApiAction('admin.idp.set');
  const id = useId();
  const [issuer, setIssuer] = useState(current?.issuer ?? '');
  const [clientId, setClientId] = useState(current?.clientId ?? '');
  const [groupsClaim, setGroupsClaim] = useState(current?.groupsClaim ?? 'groups');
  const [algorithms, setAlgorithms] = useState<Algorithm[]>(current?.algorithms ?? ['RS256']);
  const [hours, setHours] = useState(String(current?.offlineGraceHours ?? 8));
  const [scopes, setScopes] = useState((current?.scopes ?? defaultScopes).join(' '));
  const [clientSecret, setClientSecret] = useState('');
  const [leaveLocalMode, setLeaveLocalMode] = useState(false);
  const local = auth.status.mode === 'local';
  const error = (field: (typeof fields)[number], hintId?: string) => fieldErrorFor(save.error, field, `${id}-${field}`, hintId);

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    const input: MethodInput<'admin.idp.set'> = {
      issuer: issuer.trim(),
      clientId: clientId.trim(),
      groupsClaim: groupsClaim.trim(),
      algorithms,
      // An empty or non-numeric entry goes to the API as-is so its validation names the field.
      offlineGraceHours: hours.trim() === '' ? Number.NaN : Number(hours),
      scopes: scopes.split(/\s+/).filter(Boolean),
      ...(clientSecret === '' ? {} : { clientSecret }),
    };
    if (save.pending) return;
    const result = await save.run(input);
    if (result.ok) {
      setClientSecret('');
      onSaved(result.value);
    }
  }

  const issuerError = error('issuer');
  const clientIdError = error('clientId');
  const groupsClaimError = error('groupsClaim');
  const algorithmsError = error('algorithms');
  const hoursError = error('offlineGraceHours', `${id}-hours-hint`);
  const scopesError = error('scopes');
  const secretError = error('clientSecret', `${id}-secret-hint`);
  return (
    <form className="stacked-form" onSubmit={(event) => { void submit(event); }} noValidate>
      <div className="field">
        <label htmlFor={`${id}-issuer`}>Issuer URL</label>
        <input id={`${id}-issuer`} type="url" value={issuer} onChange={(event) => setIssuer(event.target.value)} placeholder="https://login.example-bank.internal/realms/staff" {...issuerError.inputProps} />
        {issuerError.message}
      </div>
      <div className="field">
        <label htmlFor={`${id}-clientId`}>Client ID</label>
        <input id={`${id}-clientId`} value={clientId} onChange={(event) => setClientId(event.target.value)} {...clientIdError.inputProps} />
        {clientIdError.message}
      </div>
      <div className="field">
        <label htmlFor={`${id}-clientSecret`}>Client secret (optional)</label>
        <input id={`${id}-clientSecret`} type="password" autoComplete="new-password" value={clientSecret} onChange={(event) => setClientSecret(event.target.value)} {...secretError.inputProps} />
        <p id={`${id}-secret-hint`} className="hint">
          {current?.hasClientSecret ? 'A secret is stored in the OS keychain; leave empty to keep it.' : 'Leave empty for a public client (PKCE). A secret is kept in the OS keychain only.'}
        </p>
        {secretError.message}
      </div>
      <div className="field">
        <label htmlFor={`${id}-groupsClaim`}>Groups claim</label>
        <input id={`${id}-groupsClaim`} value={groupsClaim} onChange={(event) => setGroupsClaim(event.target.value)} {...groupsClaimError.inputProps} />
        {groupsClaimError.message}
      </div>
      <fieldset className="field" aria-describedby={algorithmsError.message ? `${id}-algorithms-error` : undefined}>
        <legend>Accepted signing algorithms</legend>
        {SigningAlgorithmSchema.options.map((algorithm) => (
          <label key={algorithm} className="check">
            <input
              type="checkbox"
              checked={algorithms.includes(algorithm)}
              onChange={(event) => setAlgorithms((list) => (event.target.checked ? [...list, algorithm] : list.filter((a) => a !== algorithm)))}
            />{' '}
            {algorithm}
          </label>
        ))}
        {algorithmsError.message}
      </fieldset>
      <div className="field">
        <label htmlFor={`${id}-offlineGraceHours`}>Offline grace period (hours)</label>
        <input id={`${id}-offlineGraceHours`} type="number" min={0} max={720} step="any" inputMode="decimal" value={hours} onChange={(event) => setHours(event.target.value)} {...hoursError.inputProps} />
        <p id={`${id}-hours-hint`} className="hint">How long a laptop that cannot reach the IdP keeps working on its last verified sign-in.</p>
        {hoursError.message}
      </div>
      <div className="field">
        <label htmlFor={`${id}-scopes`}>Scopes (separated by spaces)</label>
        <input id={`${id}-scopes`} value={scopes} onChange={(event) => setScopes(event.target.value)} {...scopesError.inputProps} />
        {scopesError.message}
      </div>
      <p className="hint">
        Register these redirect URIs at the identity provider: <code>{window.location.origin}/auth/callback</code> (browser, serve mode) and <code>http://127.0.0.1/callback</code> on any port (desktop, RFC 8252).
      </p>
      {local && <LeavingLocalMode checked={leaveLocalMode} onChange={setLeaveLocalMode} />}
      <FormError error={save.error} fields={fields} />
      <button type="submit" className="primary" disabled={local && !leaveLocalMode} aria-disabled={save.pending || undefined}>Save identity provider</button>
    </form>
  );
}

/** View and edit the enterprise identity provider (what `strongroom admin idp set` writes). */
export function IdpPanel() {
  const auth = useAuth();
  const bridge = useBridge();
  const current = useApiQuery('admin.idp.get', {});
  const [saved, setSaved] = useState('');
  const status = useRef<HTMLParagraphElement>(null);
  return (
    <>
      <h2>Identity provider</h2>
      {current.state.status === 'loading' && <p role="status">Loading…</p>}
      {current.state.status === 'error' && <ApiErrorView error={current.state.error} onRetry={current.reload} />}
      {current.state.status === 'ok' && (
        <>
          <p data-testid="idp-summary">
            {current.state.value
              ? <>People sign in through <code>{current.state.value.issuer}</code> (client <code>{current.state.value.clientId}</code>).</>
              : <>None configured: this installation runs in <strong>local mode</strong>, where only the local administrator can sign in.</>}
          </p>
          <p className="hint">
            The same settings can be made from a terminal with <code>strongroom admin idp set --issuer URL --client-id ID</code>; Strongroom checks that the issuer answers before saving.
            {current.state.value && <> Back to local mode: <code>strongroom admin idp clear</code>, run on the server. It is not offered here, because it ends every session through the identity provider, yours included, and afterwards only the local administrator’s passphrase signs in.</>}
          </p>
          <IdpForm
            key={JSON.stringify(current.state.value)}
            current={current.state.value}
            onSaved={(result) => {
              if (auth.status.mode === 'local') {
                // The server ended this local session: clear its cookie and go to the sign-in page,
                // which says why and offers the identity provider.
                setSaved(`Saved. People now sign in through ${result.issuer}. Taking you to the sign-in page…`);
                void bridge.invoke('auth.signOut', {}).finally(() => window.location.assign(signInPageWith('idp-configured')));
                return;
              }
              setSaved(`Saved. People now sign in through ${result.issuer}.`);
              current.reload();
              void auth.refresh();
              // The form is rebuilt from the saved settings: keep focus on what was said.
              setTimeout(() => status.current?.focus(), 0);
            }}
          />
        </>
      )}
      <p ref={status} tabIndex={-1} role="status" className="announcement">{saved}</p>
    </>
  );
}
