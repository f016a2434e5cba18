import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { StrongroomBridge } from '../../../core/contracts/index.ts';
import { BridgeProvider } from '../bridge/context.tsx';
import { createStatusStore } from '../bridge/status.ts';
import type { BridgeStatus } from '../bridge/status.ts';
import { ConnectionStatus, connectionState, staleAfterMs } from './ConnectionStatus.tsx';

const now = 1_000_000;
const stream = (state: BridgeStatus['stream'], token: BridgeStatus['token'] = 'accepted') => ({ stream: state, token });

describe('connectionState', () => {
  it('says the connection is lost as soon as the event stream is, although a heartbeat came a second ago', () => {
    expect(connectionState(stream('lost'), now - 1_000, now)).toBe('lost');
  });

  it('says connected again once the stream reopens, even before the next heartbeat', () => {
    expect(connectionState(stream('open'), null, now)).toBe('connected');
    expect(connectionState(stream('open'), now - 1_000, now)).toBe('connected');
  });

  it('names a refused token (serve restarted) apart from a lost connection', () => {
    expect(connectionState(stream('lost', 'refused'), now - 1_000, now)).toBe('refused');
  });

  it('still takes a long heartbeat gap as lost, and is all a bridge without stream status has', () => {
    expect(connectionState(stream('open'), now - staleAfterMs - 1, now)).toBe('lost');
    expect(connectionState(null, null, now)).toBe('waiting');
    expect(connectionState(null, now - 1_000, now)).toBe('connected');
    expect(connectionState(null, now - staleAfterMs - 1, now)).toBe('lost');
    expect(connectionState(stream('connecting', 'unchecked'), null, now)).toBe('waiting');
  });
});

describe('ConnectionStatus', () => {
  function render(change: Partial<BridgeStatus>): string {
    const store = createStatusStore();
    store.update(change);
    const bridge: StrongroomBridge & Pick<typeof store, 'status' | 'onStatus'> = {
      invoke: () => Promise.reject(new Error('not called')),
      subscribe: () => () => undefined,
      status: store.status,
      onStatus: store.onStatus,
    };
    return renderToStaticMarkup(<BridgeProvider bridge={bridge}><ConnectionStatus /></BridgeProvider>);
  }

  it('reads the bridge’s stream state at once, in a polite status region', () => {
    const lost = render({ stream: 'lost', token: 'accepted' });
    expect(lost).toContain('Connection lost');
    expect(lost).toContain('role="status"');
    expect(lost).toContain('aria-live="polite"');
    expect(render({ stream: 'open', token: 'accepted' })).toContain('>Connected<');
    expect(render({ stream: 'lost', token: 'refused' })).toContain('Connection lost: open the new address');
  });
});
