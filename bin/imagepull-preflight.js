#!/usr/bin/env node
// The CLI is the committed bundle, so it works right after `npm ci` with nothing to build.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(`imagepull-preflight: needs Node.js 24 (this is ${process.version})\n`);
  process.exit(2);
}
await import('../dist/cli/index.js');
