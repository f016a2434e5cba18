import { useEffect, useId, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import type { ApiError, AuthStatus } from '../../../../core/contracts/index.ts';
import { useBridge } from '../../bridge/context.tsx';
import { afterSignIn, rememberReturnPath } from './returnTo.ts';
import { sessionEndedMessage, sessionEndFrom, signInNoticeFrom, signInProblemFrom } from './signInErrors.ts';

/**
 * After sign-in the page reloads, so the event stream reconnects with the new session — at the
 * page that was asked for (a deep link opened while signed out), if it is one of the app's.
 */
function enterApp(): void {
  window.location.assign(afterSignIn(window.location));
}

function LocalSignIn() {
  const bridge = useBridge();
  const [passphrase, setPassphrase] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [lockedUntil, setLockedUntil] = useState(0);
  const [now, setNow] = useState(() => Date.now());
  const input = useRef<HTMLInputElement>(null);
  const fieldId = useId();
  const errorId = `${fieldId}-error`;
  const locked = lockedUntil > now;

  useEffect(() => {
    if (!locked) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [locked]);

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (pending || locked) return;
    setPending(true);
    const result = await bridge.invoke('auth.signInLocal', { passphrase });
    setPending(false);
    if (result.ok) return enterApp();
    setError(result.error);
    setPassphrase('');
    const retryAfterMs = result.error.details?.retryAfterMs;
    if (result.error.details?.reason === 'locked' && typeof retryAfterMs === 'number') {
      setLockedUntil(Date.now() + retryAfterMs);
      setNow(Date.now());
    }
    input.current?.focus();
  }

  const secondsLeft = Math.max(0, Math.ceil((lockedUntil - now) / 1000));
  return (
    <form className="signin-form" onSubmit={(event) => { void submit(event); }} noValidate>
      <label htmlFor={fieldId}>Local administrator passphrase</label>
      <input
        ref={input}
        id={fieldId}
        type="password"
        autoComplete="current-password"
        value={passphrase}
        onChange={(event) => setPassphrase(event.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? errorId : undefined}
        required
        autoFocus
      />
      {error && (
        <div id={errorId} role="alert" className="error-panel" data-testid="signin-error">
          <p className="error-message">
            {error.details?.reason === 'locked'
              ? `Too many wrong passphrases: sign-in is locked${secondsLeft > 0 ? ` for ${secondsLeft} more second${secondsLeft === 1 ? '' : 's'}` : ''}. Wait, then try again.`
              : error.message}
          </p>
          <p className="error-code">Error code <code>{error.code}</code></p>
        </div>
      )}
      <button type="submit" className="primary" disabled={pending || locked || passphrase === ''}>
        {pending ? 'Signing in…' : 'Sign in'}
      </button>
      <p className="hint">
        The passphrase was set when Strongroom first started: from <code>STRONGROOM_ADMIN_PASSPHRASE</code>, or shown once by <code>strongroom serve</code>.
      </p>
    </form>
  );
}

/** Local mode's first run on a desktop (no terminal showed a passphrase): choose one, then sign in. */
function LocalSetup() {
  const bridge = useBridge();
  const [passphrase, setPassphrase] = useState('');
  const [repeat, setRepeat] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [mismatch, setMismatch] = useState(false);
  const id = useId();
  const issues = Array.isArray(error?.details?.issues) ? (error.details.issues as Array<{ path: string; message: string }>) : [];
  const passphraseIssue = issues.find((issue) => issue.path === 'passphrase')?.message;

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (passphrase !== repeat) return setMismatch(true);
    setMismatch(false);
    setPending(true);
    const result = await bridge.invoke('auth.setupLocal', { passphrase });
    setPending(false);
    if (result.ok) return enterApp();
    setError(result.error);
  }

  return (
    <form className="signin-form" onSubmit={(event) => { void submit(event); }} noValidate>
      <p>First run: choose the local administrator’s passphrase (at least 12 characters). Keep it somewhere safe; it cannot be shown again.</p>
      <label htmlFor={`${id}-new`}>New passphrase</label>
      <input id={`${id}-new`} type="password" autoComplete="new-password" value={passphrase} onChange={(event) => setPassphrase(event.target.value)} aria-invalid={passphraseIssue ? true : undefined} aria-describedby={passphraseIssue ? `${id}-new-error` : undefined} />
      {passphraseIssue && <p id={`${id}-new-error`} className="field-error">{passphraseIssue}</p>}
      <label htmlFor={`${id}-repeat`}>Repeat the passphrase</label>
      <input id={`${id}-repeat`} type="password" autoComplete="new-password" value={repeat} onChange={(event) => setRepeat(event.target.value)} aria-invalid={mismatch ? true : undefined} aria-describedby={mismatch ? `${id}-repeat-error` : undefined} />
      {mismatch && <p id={`${id}-repeat-error`} className="field-error" role="alert">The two passphrases differ.</p>}
      {error && (
        <div role="alert" className="error-panel">
          <p className="error-message">{error.message}</p>
          <p className="error-code">Error code <code>{error.code}</code></p>
        </div>
      )}
      <button type="submit" className="primary" disabled={pending}>Set passphrase and sign in</button>
    </form>
  );
}

function IdpSignIn({ issuer }: { issuer: string }) {
  const bridge = useBridge();
  const [error, setError] = useState<ApiError | null>(null);
  const [waiting, setWaiting] = useState(false);
  // Desktop (RFC 8252): the core opens a loopback listener and the system browser signs in; the
  // core announces auth.changed when it is done. Serve mode: a top-level navigation to /auth/login.
  const desktop = window.strongroom !== undefined;

  async function beginDesktop(): Promise<void> {
    setError(null);
    const result = await bridge.invoke('auth.beginSignIn', {});
    if (!result.ok) return setError(result.error);
    setWaiting(true);
    window.open(result.value.url, '_blank', 'noopener');
  }

  return (
    <div className="signin-form">
      <p>This installation signs you in through your organisation’s identity provider at <code>{issuer}</code>.</p>
      {desktop ? (
        <button type="button" className="primary" onClick={() => { void beginDesktop(); }}>Sign in with your organisation</button>
      ) : (
        // /auth/login comes back to `/`: remember the page asked for, to continue there.
        <a className="button primary" href="/auth/login" onClick={() => rememberReturnPath(window.location, window.sessionStorage)}>Sign in with your organisation</a>
      )}
      <p className="hint">Administrators: if nobody can sign in through it, the installation returns to local mode with <code>strongroom admin idp clear</code>, run on the server.</p>
      {waiting && <p role="status">Finish signing in in your browser; this window continues by itself.</p>}
      {error && (
        <div role="alert" className="error-panel">
          <p className="error-message">{error.message}</p>
          <p className="error-code">Error code <code>{error.code}</code></p>
        </div>
      )}
    </div>
  );
}

/**
 * Shown instead of the app while signed out: the IdP button, or in local mode the passphrase form;
 * and why this browser's session ended, if it did — the server tells its holder (auth.status), else
 * the tab says what it learnt (`?ended=`: another tab's sign-out, whose cookie is gone).
 */
export function SignInPage({ status }: { status: AuthStatus }) {
  const [problem] = useState(() => signInProblemFrom(window.location.search));
  const [notice] = useState(() => signInNoticeFrom(window.location.search));
  const [ended] = useState(() => status.sessionEnded ?? sessionEndFrom(window.location.search));
  return (
    <main className="signin" id="main">
      <h1>Sign in to Strongroom</h1>
      {status.mode === 'local' && (
        <p className="mode-badge mode-badge-light" data-testid="mode-badge">Local mode</p>
      )}
      {notice && <p role="status" className="notice" data-testid="signin-notice">{notice}</p>}
      {ended && !notice && <p role="status" className="notice" data-testid="signin-ended">{sessionEndedMessage(ended)}</p>}
      {problem && (
        <div role="alert" className="error-panel" data-testid="signin-problem">
          <p className="error-message">{problem.message}</p>
          <p className="error-code">Error code <code>{problem.code}</code></p>
          {problem.idpError && <p className="error-code">Identity provider’s error code <code>{problem.idpError}</code></p>}
        </div>
      )}
      {status.mode === 'local' || !status.idp ? (
        <>
          <p>No identity provider is configured, so only the local administrator can sign in. Use local mode for evaluation; an administrator connects your organisation’s identity provider on the Admin page.</p>
          {status.localSetupRequired ? <LocalSetup /> : <LocalSignIn />}
        </>
      ) : (
        <IdpSignIn issuer={status.idp.issuer} />
      )}
    </main>
  );
}
