#!/usr/bin/env node
// Runs the linter (Biome), then the ava suite (compiled to dist/ by `npm run build`, which is the
// typecheck) with its TAP reporter, passes the TAP through, and ends with the plain line
// "N passed, N failed" that CI reads. A lint failure counts as one failed check. Counting uses
// tap-parser, not regexes.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Parser } from 'tap-parser';
import { dirname, join } from 'node:path';

// ava's package exports hide its CLI file; its bin entry (node_modules/ava/<bin>) is the way in.
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const avaDir = join(root, 'node_modules', 'ava');
const avaCli = join(avaDir, JSON.parse(readFileSync(join(avaDir, 'package.json'), 'utf8')).bin.ava);
// Lint first: it takes a second, and its findings are the cheapest to fix.
const biomeBin = join(root, 'node_modules', '.bin', 'biome');
const lint =
  process.argv.length > 2
    ? { status: 0 }
    : spawnSync(biomeBin, ['check', '--max-diagnostics=50', '.'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
const lintFailed = lint.status !== 0;
if (lintFailed)
  process.stderr.write(
    'lint: biome check found problems (npx biome check . to see them; npx biome check --write . fixes formatting and safe lint fixes)\n',
  );

const child = spawn(process.execPath, [avaCli, '--tap', ...process.argv.slice(2)], { stdio: ['ignore', 'pipe', 'inherit'] });

let passed = 0;
let failed = 0;
let skipped = 0;
const parser = new Parser();
parser.on('assert', (point) => {
  if (point.skip || point.todo) skipped += 1;
  else if (point.ok) passed += 1;
  else failed += 1;
});
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  parser.write(chunk);
});
child.on('close', (code, signal) => {
  parser.end();
  // A crashed worker or an ava error without a failing point still fails the run.
  if ((code ?? 1) !== 0 && failed === 0) failed = 1;
  if (lintFailed) failed += 1;
  process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  process.exitCode = (code ?? (signal ? 1 : 0)) || (lintFailed ? 1 : 0);
});
