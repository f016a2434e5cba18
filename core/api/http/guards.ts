import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/** True for 127.0.0.0/8 and ::1: the only addresses serve mode may bind. */
export function isLoopbackAddress(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIP(bare) === 4) return bare.split('.')[0] === '127';
  if (isIP(bare) === 6) return bare === '::1' || bare === '0:0:0:0:0:0:0:1';
  return false;
}

/** The `host:port` authority clients must use; IPv6 in brackets. */
export function authorityOf(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * DNS-rebinding defence: a page on evil.example that rebinds its name to 127.0.0.1 still sends
 * `Host: evil.example`, so only the exact bound authority is accepted.
 */
export function isAllowedHost(hostHeader: string | undefined, authority: string): boolean {
  return hostHeader !== undefined && hostHeader.toLowerCase() === authority.toLowerCase();
}

/** Cross-origin requests are refused; requests without Origin (CLI, curl, same-origin GET) pass. */
export function isAllowedOrigin(originHeader: string | undefined, authority: string): boolean {
  return originHeader === undefined || originHeader.toLowerCase() === `http://${authority}`.toLowerCase();
}

/** Constant-time comparison of `Authorization: Bearer <token>` against the launch token. */
export function hasValidBearer(authorization: string | undefined, token: string): boolean {
  if (!authorization?.startsWith('Bearer ')) return false;
  const given = Buffer.from(authorization.slice('Bearer '.length));
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Strict CSP for the served app: same-origin scripts, styles and connections only. */
export const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');
