import { describe, expect, it } from 'vitest';
import { appOrigin, devServerOrigin, originOf } from './appOrigin.ts';

describe('originOf', () => {
  it('computes the app:// origin that Node reports as "null"', () => {
    expect(new URL('app://strongroom/x').origin).toBe('null');
    expect(originOf('app://strongroom/reviews/42?tab=1')).toBe(appOrigin);
    expect(originOf('APP://Strongroom/')).toBe(appOrigin);
  });

  it('keeps the port of http origins', () => {
    expect(originOf('http://127.0.0.1:5173/a')).toBe('http://127.0.0.1:5173');
  });

  it.each(['file:///etc/passwd', 'javascript:alert(1)', 'data:text/html,<b>x</b>', 'about:blank', 'blob:app://strongroom/1', 'not a url', ''])('has no origin for %s', (url) => {
    expect(originOf(url)).toBeNull();
  });
});

describe('devServerOrigin', () => {
  it('accepts an http dev server on loopback', () => {
    expect(devServerOrigin('http://127.0.0.1:5173/')).toBe('http://127.0.0.1:5173');
    expect(devServerOrigin('http://localhost:5173')).toBe('http://localhost:5173');
    expect(devServerOrigin('http://[::1]:5173')).toBe('http://[::1]:5173');
  });

  it.each([undefined, '', 'https://127.0.0.1:5173', 'http://10.0.0.5:5173', 'http://dev.example.com', 'http://127.0.0.1.evil.example:5173', 'file:///tmp/index.html'])('refuses %s', (url) => {
    expect(devServerOrigin(url)).toBeNull();
  });
});
