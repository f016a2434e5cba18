#!/usr/bin/env node
// The `strongroom` command. Core is TypeScript run directly by Node 24's type stripping, so the
// CLI needs no build step; older Node gets one clear line instead of a syntax error.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(`strongroom needs Node 24 or newer (this is ${process.versions.node}). See README.md, "Prerequisites".\n`);
  process.exit(1);
}
const { main } = await import('../core/cli/main.ts');
process.exitCode = await main(process.argv);
