import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { connectBridge } from './bridge/index.ts';
import './styles.css';

const root = createRoot(document.getElementById('root')!);
const connection = connectBridge();
root.render(
  <StrictMode>
    {connection.kind === 'ready' ? (
      <App bridge={connection.bridge} />
    ) : (
      <main className="standalone" role="alert">
        <h1>Strongroom</h1>
        <p>This page needs the address printed by <code>strongroom serve</code>, which carries the access token. Open that address, or run <code>npm start</code>.</p>
      </main>
    )}
  </StrictMode>,
);
