// The error tiers as a user meets them: an expected error (what, where, how to fix) with its exit
// code, an infrastructure error naming what to install, a build error git bisect skips, and the
// exit codes of wbdiff check for git bisect run.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { checkExitCode } from '../harness/cli/check-command.js';
import {
  BuildError,
  EXIT,
  formatError,
  HelpRequested,
  InfrastructureError,
  MissingDependencyError,
  WbdiffError,
} from '../harness/errors.js';
import { wbdiff } from './helpers/cli.js';

test('the classes: an infrastructure error and a missing library are expected errors; the hint names the package', (t) => {
  const missing = new MissingDependencyError('cannot load libx', 'libx1', { alternative: 'set WBDIFF_LIBX to its path' });
  t.true(missing instanceof InfrastructureError && missing instanceof WbdiffError);
  t.true(missing.infrastructure);
  t.is(missing.exitCode, EXIT.harness);
  t.is(
    formatError(missing),
    'cannot load libx: install the Debian package libx1 (npm run setup does)\n  hint: set WBDIFF_LIBX to its path',
  );
  t.regex(formatError(new Error('boom')), /^internal error \(a bug in wbdiff; please report it with this text\):\nError: boom/);
});

test('wbdiff check maps errors to git bisect run: help 0, no build 125, anything else 128 (stop), by class not by message', (t) => {
  const said: string[] = [];
  const out = (text: string) => said.push(text);
  t.is(checkExitCode(new HelpRequested('usage\n'), out, out), 0);
  t.is(checkExitCode(new BuildError('hello', 'build of hello failed'), out, out), EXIT.skip);
  t.regex(said.at(-1)!, /hello does not build \(exit 125: git bisect skips this commit\)/);
  // A build-like message is not a build error: only the class says so.
  t.is(checkExitCode(new WbdiffError('build of hello failed'), out, out), EXIT.abortBisect);
  t.is(checkExitCode(new Error('a bug'), out, out), EXIT.abortBisect);
  t.regex(said.at(-1)!, /internal error/);
});

test('wbdiff check: a bad option stops git bisect (128) with the option named, never a stack trace', async (t) => {
  const result = await wbdiff(['check', 'hello', '--marker', 'T1=Y', '--bogus']);
  t.is(result.exitCode, 128);
  t.regex(result.stderr, /^wbdiff check: unknown option --bogus/);
  t.notRegex(result.stderr, /at .*\.js:\d+/);
});

test('a missing libunicorn names the Debian package libunicorn2; the run is an infrastructure error, exit 2', async (t) => {
  const result = await wbdiff(['run', 'hello', '--runner', 'emu'], { WBDIFF_LIBUNICORN: '/nonexistent/libunicorn.so.2' });
  t.is(result.exitCode, EXIT.harness, result.stdout + result.stderr);
  t.regex(result.stdout, /emu\s+error .*cannot load the Unicorn emulator library \(tried \/nonexistent\/libunicorn\.so\.2/);
  t.regex(result.stdout, /install the Debian package libunicorn2/);
  t.notRegex(result.stdout + result.stderr, /bug in wbdiff/);
});

test('a missing libcapstone names the Debian package libcapstone4, exit 2', async (t) => {
  const out = join(await mkdtemp(join(tmpdir(), 'wbdiff-capstone-')), 'x.elf');
  const result = await wbdiff(['patch', 'gowb@go1.19', 'seed-barrier', '-o', out], { WBDIFF_LIBCAPSTONE: '/nonexistent/libcapstone.so.4' });
  t.is(result.exitCode, EXIT.harness, result.stdout + result.stderr);
  t.regex(result.stderr, /cannot load the Capstone disassembler/);
  t.regex(result.stderr, /: install the Debian package libcapstone4 \(npm run setup does\)\n {2}hint: set WBDIFF_LIBCAPSTONE/);
  t.notRegex(result.stderr, /bug in wbdiff/);
});

test('a missing QEMU names the Debian package qemu-system-arm; the run is an infrastructure error, exit 2', async (t) => {
  const result = await wbdiff(['run', 'hello', '--runner', 'qemu'], { WBDIFF_QEMU: '/nonexistent/qemu-system-aarch64' });
  t.is(result.exitCode, EXIT.harness, result.stdout + result.stderr);
  t.regex(result.stdout, /qemu\s+error .*\/nonexistent\/qemu-system-aarch64 not found: install the Debian package qemu-system-arm/);
});
