#!/usr/bin/env node
// Thin launcher: the CLI is compiled TypeScript under dist/ (npm run build).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const entry = new URL('../dist/harness/cli/index.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('wbdiff: not built yet (dist/ is missing). Run `npm run build` (or `npm test`, which builds first).');
  process.exit(2);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
