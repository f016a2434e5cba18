import { useRef, useState } from 'react';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { ConfirmDialog } from '../../app/ConfirmDialog.tsx';
import { useApiQuery } from '../../bridge/context.tsx';
import { useAdmin } from './AdminPage.tsx';
import { formatDateTime, useApiAction } from './forms.tsx';
import { endedAnnouncement, endingReach, firstOfPerson } from './sessionRows.ts';
import type { SessionEnding, SessionRow } from './sessionRows.ts';

/** Ending sessions cannot be undone (the person signs in again): a modal says what happens first. */
function EndSessionDialog({ ending, rows, onClose, onEnded }: { ending: SessionEnding; rows: readonly SessionRow[]; onClose: () => void; onEnded: (ended: number, includedOwn: boolean) => void }) {
  const end = useApiAction('admin.sessions.end');
  const { row } = ending;
  const reach = endingReach(rows, ending);
  const one = ending.kind === 'session';
  const comesBack = row.kind === 'local'
    ? 'The local administrator can sign in again with the passphrase.'
    : `${row.displayName} can sign in again while their directory groups give them access: to keep them out, remove them from those groups (or disable them at the identity provider).`;
  return (
    <ConfirmDialog
      title={one ? <>End {row.own ? 'your own' : `${row.displayName}’s`} session?</> : <>End every session of {row.displayName}?</>}
      warning={<>
        <p>
          {one
            ? <>This session (in {row.accountName}, started {formatDateTime(row.startedAt)}) ends at once: </>
            : <>Every session of {row.displayName} that you administer ends at once ({reach.count} listed here, and any started since): </>}
          their open pages go to the sign-in page, saying an administrator ended the session. Unsaved work there is lost.
        </p>
        <p>{comesBack}</p>
        {reach.includesOwn && <p><strong>{one ? 'This is the session you are using: you will be signed out here.' : 'This includes the session you are using: you will be signed out here.'}</strong></p>}
      </>}
      note={<p className="hint">Each ended session is recorded in the audit log, with you as the one who ended it.</p>}
      keepLabel={one ? 'Keep the session' : 'Keep the sessions'}
      confirmLabel={one ? 'End the session' : `End all sessions of ${row.displayName}`}
      error={end.error}
      pending={end.pending}
      onConfirm={async () => {
        const result = await end.run(one ? { handle: row.handle } : { userId: row.userId });
        if (result.ok) onEnded(result.value.ended, reach.includesOwn);
        // Another administrator (or the person) ended it first: nothing is left to end, which is what was asked.
        else if (result.error.code === 'ERR_NOT_FOUND') onEnded(0, false);
      }}
      onClose={onClose}
      testId="end-session-dialog"
    />
  );
}

/**
 * Who is signed in now, and ending their sessions (offboarding, a lost laptop): every session for
 * installation administrators, the sessions acting in this account for an account administrator.
 */
export function SessionsPanel() {
  const { installationAdmin } = useAdmin();
  const sessions = useApiQuery('admin.sessions.list', {});
  const [ending, setEnding] = useState<SessionEnding | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const status = useRef<HTMLParagraphElement>(null);
  const buttons = useRef(new Map<string, HTMLButtonElement>());
  const rows = sessions.state.status === 'ok' ? sessions.state.value : [];
  const buttonKey = (target: SessionEnding) => `${target.kind}:${target.kind === 'session' ? target.row.handle : target.row.userId}`;
  const keep = (target: SessionEnding) => (element: HTMLButtonElement | null) => {
    if (element) buttons.current.set(buttonKey(target), element);
    else buttons.current.delete(buttonKey(target));
  };

  return (
    <>
      <h2>Sessions</h2>
      <p className="hint">
        {installationAdmin
          ? 'Everyone signed in now, in every account. '
          : 'Everyone signed in now and working in this account (someone who is also a member elsewhere and works there now is not listed). '}
        “Last seen” is its last call or open page, to the minute: a session left on a lost laptop stops moving (or keeps moving while a page stays open there).
        Ending a session sends its open pages to the sign-in page at once; the person can sign in again unless their access is removed too.
      </p>
      <p ref={status} tabIndex={-1} role="status" className="announcement" data-testid="sessions-status">{announcement}</p>
      <p><button type="button" onClick={() => { setAnnouncement(''); sessions.reload(); }}>Refresh the list</button></p>
      {sessions.state.status === 'loading' && <p>Loading…</p>}
      {sessions.state.status === 'error' && <ApiErrorView error={sessions.state.error} onRetry={sessions.reload} />}
      {sessions.state.status === 'ok' && (rows.length === 0 ? (
        <p className="notice">Nobody is signed in.</p>
      ) : (
        <table className="table" data-testid="sessions-table">
          <caption className="visually-hidden">Sessions signed in now</caption>
          <thead>
            <tr><th scope="col">Person</th><th scope="col">Sign-in</th><th scope="col">Working in</th><th scope="col">Started</th><th scope="col">Last seen</th><th scope="col">Last verified</th><th scope="col">Ends</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr>
          </thead>
          <tbody>
            {rows.map((row, index) => {
              const one: SessionEnding = { kind: 'session', row };
              const all: SessionEnding = { kind: 'person', row };
              return (
                <tr key={row.handle} data-testid="session-row">
                  <th scope="row">{row.displayName}{row.own && <span className="tag">your session</span>}{row.email !== null && <><br /><span className="hint">{row.email}</span></>}</th>
                  <td>{row.kind === 'oidc' ? 'identity provider' : 'local administrator'}</td>
                  <td>{row.accountName}</td>
                  <td>{formatDateTime(row.startedAt)}</td>
                  <td>{row.lastSeenAt === null ? 'not since it started' : formatDateTime(row.lastSeenAt)}</td>
                  <td>{formatDateTime(row.verifiedAt)}</td>
                  <td>{formatDateTime(row.endsAt)}</td>
                  <td>
                    {/* The visible words begin the accessible name: which session is said after them. */}
                    <button type="button" className="danger" ref={keep(one)} onClick={() => setEnding(one)}>End session…<span className="visually-hidden"> ({row.own ? 'your own' : row.displayName}, started {formatDateTime(row.startedAt)})</span></button>
                    {firstOfPerson(rows, index) && (
                      <> <button type="button" className="danger" ref={keep(all)} onClick={() => setEnding(all)}>End all sessions of {row.displayName}…</button></>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ))}
      {ending && (
        <EndSessionDialog
          ending={ending}
          rows={rows}
          onClose={() => {
            const button = buttons.current.get(buttonKey(ending));
            setEnding(null);
            // A session may have ended meanwhile (the dialog said so): show the list as it is now.
            sessions.reload();
            setTimeout(() => button?.focus(), 0);
          }}
          onEnded={(ended, includedOwn) => {
            setEnding(null);
            setAnnouncement(endedAnnouncement(ended, ending.row.displayName, includedOwn));
            sessions.reload();
            // The row, and the button that opened the dialog, are gone: focus the announcement.
            setTimeout(() => status.current?.focus(), 0);
          }}
        />
      )}
    </>
  );
}
