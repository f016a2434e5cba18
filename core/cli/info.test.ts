import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildInfo } from '../base/index.ts';
import { main } from './main.ts';
import { capture } from './testing.ts';

const argv = (...args: string[]) => ['node', 'strongroom', ...args];

describe('strongroom CLI basics', () => {
  it('prints the package version', async () => {
    const io = capture();
    expect(await main(argv('--version'), io)).toBe(0);
    expect(io.stdout.join('').trim()).toBe(buildInfo().version);
  });

  it('lists its commands in --help', async () => {
    const io = capture();
    expect(await main(argv('--help'), io)).toBe(0);
    const help = io.stdout.join('');
    for (const command of ['info', 'serve']) expect(help).toContain(command);
  });

  it('info --json prints one parseable object for the given data directory', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-info-'));
    const io = capture();
    expect(await main(argv('info', '--json', '--data-dir', dataDir), io)).toBe(0);
    expect(io.stdout).toHaveLength(1);
    expect(JSON.parse(io.stdout[0] ?? '')).toMatchObject({ name: 'Strongroom', mode: 'cli', dataDir, version: buildInfo().version });
  });

  it('info prints readable lines without --json', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-info-'));
    const io = capture();
    expect(await main(argv('info', '--data-dir', dataDir), io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(new RegExp(`data dir\\s+${dataDir}`));
  });

  it('rejects an unknown command and a bad port with a non-zero exit', async () => {
    const unknown = capture();
    expect(await main(argv('frobnicate'), unknown)).not.toBe(0);
    expect(unknown.stderr.join('')).toMatch(/unknown command/);
    const badPort = capture();
    expect(await main(argv('serve', '--port', '99999'), badPort)).not.toBe(0);
    expect(badPort.stderr.join('')).toMatch(/0 to 65535/);
  });
});
