import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import type { StrongroomBridge } from '../../core/contracts/index.ts';
import { App } from './App.tsx';
import { useBridgeStatusOf } from './bridge/context.tsx';
import { connectBridge } from './bridge/index.ts';
import './styles.css';

const openTheNewAddress = (
  <>Strongroom was restarted, so the address this page was opened with is out of date and its access token no longer works. Open the new address printed by <code>strongroom serve</code> (or restart the desktop app).</>
);

/**
 * The app, unless serve mode refuses this page's launch token (serve restarted and printed a new
 * address). A page that never got in says only that; a page that was in use keeps what it shows —
 * someone may still want to copy what they typed — under a banner that says the same.
 */
function Root({ bridge }: { bridge: StrongroomBridge }) {
  const status = useBridgeStatusOf(bridge);
  const refused = status?.token === 'refused';
  if (refused && !status.acceptedOnce) {
    return (
      <main className="standalone" role="alert" data-testid="token-refused">
        <h1>Strongroom</h1>
        <p>{openTheNewAddress}</p>
      </main>
    );
  }
  return (
    <>
      {refused && (
        <div className="warning-panel" role="alert" data-testid="token-refused">
          <p>{openTheNewAddress}</p>
          <p>Nothing on this page can be saved any more: copy what you still need before you leave it.</p>
        </div>
      )}
      <App bridge={bridge} />
    </>
  );
}

const root = createRoot(document.getElementById('root')!);
const connection = connectBridge();
root.render(
  <StrictMode>
    {connection.kind === 'ready' ? (
      <Root bridge={connection.bridge} />
    ) : (
      <main className="standalone" role="alert">
        <h1>Strongroom</h1>
        <p>This page needs the address printed by <code>strongroom serve</code>, which carries the access token. Open that address, or run <code>npm start</code>.</p>
      </main>
    )}
  </StrictMode>,
);
