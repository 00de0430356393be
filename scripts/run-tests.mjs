#!/usr/bin/env node
// Runs the ava suite (compiled to dist/) with its TAP reporter, passes the TAP through, and ends
// with the plain line "N passed, N failed" that CI reads. Counting uses tap-parser, not regexes.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Parser } from 'tap-parser';
import { dirname, join } from 'node:path';

// ava's package exports hide its CLI file; its bin entry (node_modules/ava/<bin>) is the way in.
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const avaDir = join(root, 'node_modules', 'ava');
const avaCli = join(avaDir, JSON.parse(readFileSync(join(avaDir, 'package.json'), 'utf8')).bin.ava);
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
  process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  process.exitCode = code ?? (signal ? 1 : 0);
});
