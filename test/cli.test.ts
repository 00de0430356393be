// The command line as users meet it: JSON shape, exit codes, and clear errors for bad input.
import { copyFile, mkdtemp, readFile, writeFile, cp, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { KERNELS_DIR } from '../harness/paths.js';
import { wbdiff } from './helpers/cli.js';
import { subject } from './helpers/subjects.js';

test('run --json prints one document with runs from both runners', async (t) => {
  const result = await wbdiff(['run', 'hello', '--json']);
  t.is(result.exitCode, 0, result.stderr);
  const doc = JSON.parse(result.stdout);
  t.is(doc.agree, true);
  t.deepEqual(
    doc.runs.map((r: { runner: string }) => r.runner),
    ['qemu', 'emu'],
  );
  for (const run of doc.runs) {
    t.is(run.verdict, 'completed');
    t.deepEqual(run.markers, { T1: 'Y' });
    t.is(run.done, true);
    t.is(run.fault, null);
    t.true(run.serial.includes('hello from wbdiff'));
    t.is(typeof run.durationMs, 'number');
    t.deepEqual(run.conflicts, []);
  }
});

test('any ELF path works, not only bundled kernels', async (t) => {
  const s = await subject('hello');
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-elf-'));
  const path = join(dir, 'mine.elf');
  await copyFile(s.elfPath, path);
  const result = await wbdiff(['run', path, '--runner', 'emu', '--json']);
  t.is(result.exitCode, 0, result.stderr);
  t.deepEqual(JSON.parse(result.stdout).runs[0].markers, { T1: 'Y' });
});

test('a kernel whose markers fail exits 1; an unknown kernel exits 2 with the list', async (t) => {
  const fault = await wbdiff(['run', 'hang', '--runner', 'emu', '--timeout', '300']);
  t.is(fault.exitCode, 0, 'hang timing out is what its manifest expects');
  const unknown = await wbdiff(['run', 'nosuch']);
  t.is(unknown.exitCode, 2);
  t.regex(unknown.stderr, /no bundled kernel named "nosuch".*\n.*hint: bundled kernels: .*hello/);
  t.notRegex(unknown.stderr, /at .*\.js:\d+/, 'no stack trace');
});

test('bad ELFs get a clear error and exit 2, never a stack trace', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-bad-'));
  const text = join(dir, 'notes.elf');
  await writeFile(text, 'this is not an ELF file\n');
  const hello = await readFile((await subject('hello')).elfPath);
  const truncated = join(dir, 'truncated.elf');
  await writeFile(truncated, hello.subarray(0, 120));
  const cases: [string, RegExp][] = [
    [text, /not an ELF file/],
    ['/bin/true', /not an AArch64 ELF \(machine: amd64\)/],
    [truncated, /truncated|malformed/],
    [join(dir, 'missing.elf'), /no such file/],
  ];
  for (const [path, message] of cases) {
    const result = await wbdiff(['run', path]);
    t.is(result.exitCode, 2, path);
    t.regex(result.stderr, message, path);
    t.notRegex(result.stderr, /internal error|\n\s+at /, path);
  }
});

test('a missing QEMU is an infrastructure error naming the package, not a kernel failure', async (t) => {
  const result = await wbdiff(['run', 'hello', '--json'], { WBDIFF_QEMU: '/nonexistent/qemu-system-aarch64' });
  t.is(result.exitCode, 2);
  const doc = JSON.parse(result.stdout);
  const qemu = doc.runs.find((r: { runner: string }) => r.runner === 'qemu');
  t.is(qemu.verdict, 'error');
  t.regex(qemu.reason, /qemu-system-arm/);
  t.is(doc.runs.find((r: { runner: string }) => r.runner === 'emu').verdict, 'completed');
});

test('an unknown CPU model is an error on the emulator, naming the models it has', async (t) => {
  const result = await wbdiff(['run', 'hello', '--runner', 'emu', '--cpu', 'cortex-x9', '--json']);
  t.is(result.exitCode, 2);
  t.regex(JSON.parse(result.stdout).runs[0].reason, /cortex-a57/);
});

test('builds are cached by content: a second build does no work, an edit rebuilds', async (t) => {
  const kernels = await mkdtemp(join(tmpdir(), 'wbdiff-kernels-'));
  const cache = await mkdtemp(join(tmpdir(), 'wbdiff-cache-'));
  await cp(join(KERNELS_DIR, 'hello'), join(kernels, 'hello'), { recursive: true });
  await cp(join(KERNELS_DIR, 'common'), join(kernels, 'common'), { recursive: true });
  const env = { WBDIFF_KERNELS: kernels, WBDIFF_CACHE: cache };
  const first = await wbdiff(['build', 'hello'], env);
  t.regex(first.stdout, /hello\s+built in \d+ ms/, first.stderr);
  const second = await wbdiff(['build', 'hello'], env);
  t.regex(second.stdout, /hello\s+cached/);
  await appendFile(join(kernels, 'hello', 'start.S'), '\n/* an edit */\n');
  const third = await wbdiff(['build', 'hello'], env);
  t.regex(third.stdout, /hello\s+built in/);
  t.not(third.stdout.trim().split(/\s+/).pop(), second.stdout.trim().split(/\s+/).pop(), 'a new cache entry');
});

test('a kernel that fails to build is reported as a build error with the compiler output', async (t) => {
  const kernels = await mkdtemp(join(tmpdir(), 'wbdiff-kernels-'));
  await cp(join(KERNELS_DIR, 'hello'), join(kernels, 'hello'), { recursive: true });
  await cp(join(KERNELS_DIR, 'common'), join(kernels, 'common'), { recursive: true });
  await appendFile(join(kernels, 'hello', 'start.S'), '\n\tnot_an_instruction x0\n');
  const result = await wbdiff(['run', 'hello'], { WBDIFF_KERNELS: kernels, WBDIFF_CACHE: await mkdtemp(join(tmpdir(), 'wbdiff-cache-')) });
  t.is(result.exitCode, 2);
  t.regex(result.stderr, /build of hello failed[\s\S]*not_an_instruction/);
});

test('a malformed kernel manifest names file, line and column', async (t) => {
  const kernels = await mkdtemp(join(tmpdir(), 'wbdiff-kernels-'));
  await cp(join(KERNELS_DIR, 'hello'), join(kernels, 'hello'), { recursive: true });
  await writeFile(
    join(kernels, 'hello', 'kernel.json'),
    '{\n  "description": "x",\n  "toolchain": "rustc",\n  "sources": ["start.S"],\n  "expect": {}\n}\n',
  );
  const result = await wbdiff(['build', 'hello'], { WBDIFF_KERNELS: kernels });
  t.is(result.exitCode, 2);
  t.regex(result.stderr, /kernel\.json:3:16: invalid kernel manifest: \/toolchain must be one of "gcc", "go"/);
});

test("a bundled variant name picks each build's own file", async (t) => {
  const result = await wbdiff(['run', 'gowb', '--variant', 'fixed-barrier', '--runner', 'emu', '--json']);
  t.is(result.exitCode, 0, result.stderr);
  const doc = JSON.parse(result.stdout);
  t.deepEqual(
    doc.runs.map((r: { target: string; variant: string; markers: object }) => [r.target, r.variant, r.markers]),
    [
      ['gowb@go1.19', 'fixed-barrier', { T1: 'Y', T2: 'Y', T3: 'Y' }],
      ['gowb@go1.23', 'fixed-barrier', { T1: 'Y', T2: 'Y', T3: 'Y' }],
    ],
  );
  const missing = await wbdiff(['run', 'hello', '--variant', 'fixed-barrier']);
  t.is(missing.exitCode, 2);
  t.regex(missing.stderr, /no variant named "fixed-barrier" for hello/);
});

test('parallel builds of the same kernel into an empty cache all succeed and agree', async (t) => {
  const env = { WBDIFF_CACHE: await mkdtemp(join(tmpdir(), 'wbdiff-race-')) };
  const results = await Promise.all(Array.from({ length: 4 }, () => wbdiff(['build', 'hello'], env)));
  for (const r of results) t.is(r.exitCode, 0, r.stderr);
  const paths = new Set(results.map((r) => r.stdout.trim().split(/\s+/).pop()));
  t.is(paths.size, 1, 'one cache entry');
});

test('did-you-mean for commands and options; bisect and check take one marker syntax', async (t) => {
  const command = await wbdiff(['matirx']);
  t.is(command.exitCode, 2);
  t.regex(command.stderr, /unknown command "matirx" \(did you mean "matrix"\?\)/);
  const option = await wbdiff(['run', 'hello', '--runer', 'emu']);
  t.is(option.exitCode, 2);
  t.regex(option.stderr, /unknown option --runer \(did you mean --runner\?\)/);
  for (const marker of [
    ['--marker', 'T1=Y'],
    ['--marker', 'T1', '--want', 'Y'],
  ]) {
    const check = await wbdiff(['check', 'hello', ...marker]);
    t.is(check.exitCode, 0, check.stderr);
    t.regex(check.stdout, /T1: want Y, got Y/);
  }
  const disagree = await wbdiff(['bisect', 'hello', '--variant', 'x.json', '--marker', 'T1=Y', '--want', 'N']);
  t.is(disagree.exitCode, 2);
  t.regex(disagree.stderr, /--marker T1=Y and --want N disagree/);
});

test('run with a variant also runs the unpatched kernel and says what the matrix would: classification and one-line diagnosis', async (t) => {
  const masked = await wbdiff(['run', 'gowb@go1.23', '--variant', 'seed-barrier']);
  t.is(masked.exitCode, 1, 'every marker Y on QEMU, and still a failure');
  t.regex(masked.stdout, /qemu\s+completed T1=Y T2=Y T3=Y/);
  t.regex(
    masked.stdout,
    /as the matrix judges seed-barrier \(against the unpatched kernel on the same runners\):\n {4}qemu {3}MASKED: passes on qemu, but the emulator's trace .* x25 was not set by main\.wbSeed \(called at main\.kmain\+0x58\): it still held 0x0 from before the call\.\n {4}emu {4}CONVENTION: x25 was not set/,
  );
  // Go's own barrier with g.m = 0 reads 0xd0 and writes 0x0: virt's flash on both runners now, so no
  // parity divergence; the emulator names the stores the flash dropped.
  const layout = await wbdiff(['run', 'gowb@go1.19', '--variant', 'force-barrier', '--no-diagnose']);
  t.regex(layout.stdout, /runners agree/);
  t.regex(layout.stdout, /emu: layout bug: \d+ stores to flash dropped, to .*0x0/);
  const explained = await wbdiff(['run', 'gowb@go1.19', '--variant', 'seed-barrier', '--runner', 'emu', '--explain']);
  t.is(explained.exitCode, 1);
  t.regex(explained.stdout, /emu {4}CONVENTION: main\.wbSeed at main\.kmain\+0x7c stored x2 \(=&main\.gp, the slot\) into \[x27\]/);
  t.regex(
    explained.stdout,
    /patch-bug: variant seed-barrier changes the outcome on every runner: T1 is N with seed-barrier but Y unpatched/,
  );
  t.regex(explained.stdout, /diagnosis \(emulator trace of redirected calls\): convention-bug/);
  const json = JSON.parse((await wbdiff(['run', 'gowb@go1.19', '--variant', 'fixed-barrier', '--runner', 'emu', '--json'])).stdout);
  t.is(json.runs[0].outcome, 'expected');
});
