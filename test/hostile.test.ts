// Hostile input and faults (issue 13): the CLI as a child process, killed, fed huge or malformed
// input; every case ends with a clear error or a kept result, and nothing outlives wbdiff.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, truncate, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import test from 'ava';
import { execa, execaSync } from 'execa';
import { BoardRunner } from '../harness/runners/board.js';
import { sha256 } from '../harness/util/hash.js';
import { wbdiff, WBDIFF } from './helpers/cli.js';
import { subject } from './helpers/subjects.js';

/** Direct children of pid (every thread's), from /proc. */
function childPids(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // the process (or a thread) ended meanwhile
  }
  return out;
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** Running (a zombie waiting for init to reap it is dead). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function until(what: string, check: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function qemuChildOf(pid: number): Promise<number> {
  let qemu = 0;
  await until(
    'QEMU started',
    () => {
      qemu = childPids(pid).find((c) => commandOf(c).includes('qemu-system-aarch64')) ?? 0;
      return qemu > 0;
    },
    20_000,
  );
  return qemu;
}

test('SIGKILL of wbdiff run takes QEMU with it (parent-death signal)', async (t) => {
  await subject('hang');
  const child = execa(process.execPath, [WBDIFF, 'run', 'hang', '--runner', 'qemu', '--timeout', '60000'], { reject: false });
  const qemu = await qemuChildOf(child.pid!);
  child.kill('SIGKILL');
  await child;
  await until('QEMU gone after wbdiff was killed', () => !alive(qemu), 3000);
  t.false(alive(qemu));
});

test('parity hit by SIGINT, SIGTERM or SIGHUP leaves no QEMU behind (its own process group, tied to wbdiff)', async (t) => {
  await subject('hang');
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    // 0x40000000 is never executed: the emulator, then QEMU, each run until the 4 s limit.
    const child = execa(process.execPath, [WBDIFF, 'parity', 'hang', '--at', '0x40000000', '--timeout', '4000', '--no-analysis'], {
      reject: false,
    });
    const qemu = await qemuChildOf(child.pid!);
    child.kill(signal);
    await child;
    await until(`${signal}: QEMU gone`, () => !alive(qemu), 3000);
    t.false(alive(qemu), signal);
  }
});

test('SIGTERM and SIGHUP stop a matrix like Ctrl-C: finished cells kept, summary written, exit 143 / 129', async (t) => {
  const hang = await subject('hang');
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-term-'));
  const config = join(dir, 'config.json');
  // "spin" has no manifest: the default 10 s limit, so it is still running when the signal comes.
  await writeFile(
    config,
    JSON.stringify({
      runners: ['qemu'],
      concurrency: 2,
      diagnose: false,
      kernels: [{ kernel: 'hello' }, { elf: hang.elfPath, name: 'spin' }],
    }),
  );
  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    const out = join(dir, signal);
    const child = execa(process.execPath, [WBDIFF, 'matrix', '--config', config, '--out', out, '--no-baseline'], { reject: false });
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const qemus: number[] = [];
    await until(
      `${signal}: hello finished`,
      () => {
        for (const c of childPids(child.pid!)) if (commandOf(c).includes('qemu-system-aarch64') && !qemus.includes(c)) qemus.push(c);
        return /\[1\/2\] hello/.test(stdout);
      },
      30_000,
    );
    child.kill(signal);
    const result = await child;
    t.is(result.exitCode, code, `${signal}: ${result.stderr}`);
    t.regex(result.stderr, new RegExp(`interrupted \\(${signal}\\)`));
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    t.true(summary.interrupted, signal);
    t.deepEqual(
      summary.cells.map((c: { id: string }) => c.id),
      ['hello/unpatched/qemu/cortex-a57'],
    );
    t.true(existsSync(join(out, 'cells', 'hello_unpatched_qemu_cortex-a57.json')));
    await until(`${signal}: QEMU gone`, () => qemus.every((q) => !alive(q)), 3000);
  }
});

const NO_STACK = /at .*\.js:\d+|internal error/;

test('--replay of a 200 MB log stays within a 64 MB heap: read as a stream, stopped at the cap', async (t) => {
  await subject('hello');
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-replay-'));
  const log = join(dir, 'huge.log');
  await writeFile(log, 'T1 Y\n');
  await truncate(log, 200 * 1024 * 1024); // sparse: no disk, and 200 MB of NULs to read
  const result = await execa(process.execPath, ['--max-old-space-size=64', WBDIFF, 'run', 'hello', '--replay', log, '--json'], {
    reject: false,
    timeout: 60_000,
  });
  t.is(result.signal, undefined, result.stderr.slice(-400));
  t.is(result.exitCode, 1, result.stderr.slice(-400));
  const run = JSON.parse(result.stdout).runs[0];
  t.is(run.verdict, 'output-limit');
  t.deepEqual(run.markers, { T1: 'Y' });
});

test('a device, a FIFO or a directory as kernel, variant or log is a clear error, not endless reading', async (t) => {
  const cases: [string[], RegExp][] = [
    [['run', '/dev/zero'], /\/dev\/zero: not a regular file \(a character device\): cannot be a kernel ELF/],
    [
      ['run', 'hello', '--runner', 'emu', '--variant', '/dev/zero'],
      /\/dev\/zero: not a regular file \(a character device\): cannot be a variant file/,
    ],
    [['patch', '/dev/zero', 'x.json', '-o', '/tmp/never.elf'], /not a regular file/],
  ];
  for (const [args, message] of cases) {
    const result = await execa(process.execPath, ['--max-old-space-size=64', WBDIFF, ...args], { reject: false, timeout: 30_000 });
    t.is(result.exitCode, 2, `${args.join(' ')}: ${result.stderr.slice(-300)}`);
    t.regex(result.stderr, message);
    t.notRegex(result.stderr, NO_STACK);
  }
  const replay = await wbdiff(['run', 'hello', '--replay', '/dev/zero', '--json']);
  t.is(JSON.parse(replay.stdout).runs[0].verdict, 'output-limit', '/dev/zero as a log ends at the serial cap');
});

test('--timeout past the longest Node timer is refused up front, not a timeout at once', async (t) => {
  const result = await wbdiff(['run', 'hello', '--runner', 'emu', '--timeout', '2147483648']);
  t.is(result.exitCode, 2);
  t.regex(result.stderr, /--timeout 2147483648 is too large: at most 2147483647 .*24\.8 days/);
  t.notRegex(result.stdout, /timeout/);
  const largest = await wbdiff(['run', 'hello', '--runner', 'emu', '--timeout', '2147483647']);
  t.is(largest.exitCode, 0, largest.stderr);
});

test('exponential patterns: 24 stars in a variant expect, nested stars in result patterns, all bounded', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-regex-'));
  // As a backtracking regex, ".*" x 24 then "zz" tries ~10^14 splits of the instruction text.
  const variant = join(dir, 'stars.json');
  await writeFile(variant, JSON.stringify({ name: 'stars', edits: [{ op: 'nop', at: '_start', expect: `${'*'.repeat(24)}zz` }] }));
  const patch = await execa(process.execPath, [WBDIFF, 'patch', 'hello', variant, '-o', join(dir, 'out.elf')], {
    reject: false,
    timeout: 20_000,
  });
  t.false(patch.timedOut, 'expect pattern matched in bounded time');
  t.is(patch.exitCode, 2);
  t.regex(patch.stderr, /stale variant: .* expected "\*{24}zz", found "movz/);

  // A result pattern that backtracks exponentially on a long line of "a": linear engine, bounded.
  const hello = await subject('hello');
  const log = join(dir, 'a.log');
  await writeFile(log, `T1 Y\nx${'a'.repeat(40)}\nDONE\n`);
  const matrix = (resultPatterns: unknown[]) => ({
    runners: ['replay'],
    diagnose: false,
    kernels: [{ elf: hello.elfPath, name: 'pat', logs: { unpatched: log }, expect: { verdict: 'completed' }, resultPatterns }],
  });
  const config = join(dir, 'config.json');
  await writeFile(config, JSON.stringify(matrix([{ regex: '(?<id>x)(?<result>(a*)*b)' }])));
  const linear = await execa(process.execPath, [WBDIFF, 'matrix', '--config', config, '--out', join(dir, 'linear'), '--no-baseline'], {
    reject: false,
    timeout: 30_000,
  });
  t.false(linear.timedOut, 'nested stars ran in linear time');
  t.is(linear.exitCode, 0, linear.stderr);

  // What the linear engine cannot take (the i flag here) is judged by its shape: refused up front.
  await writeFile(config, JSON.stringify(matrix([{ regex: '(?<id>x)(?<result>(a*)*b)', flags: 'i' }])));
  const refused = await execa(process.execPath, [WBDIFF, 'matrix', '--config', config, '--out', join(dir, 'refused'), '--no-baseline'], {
    reject: false,
    timeout: 30_000,
  });
  t.is(refused.exitCode, 2);
  t.regex(refused.stderr, /kernels\[0\]\.resultPatterns\[0\] is not usable: the group \(a\*\) is repeated and itself repeats.*exponential/);
  t.notRegex(refused.stderr, NO_STACK);

  // Not a pattern at all: named, not silently accepted.
  await writeFile(config, JSON.stringify(matrix([42])));
  const bad = await execa(process.execPath, [WBDIFF, 'matrix', '--config', config, '--out', join(dir, 'bad'), '--no-baseline'], {
    reject: false,
    timeout: 30_000,
  });
  t.is(bad.exitCode, 2);
  t.regex(bad.stderr, /config\.json:1:\d+: .*resultPatterns\/0 must be object/);
});

/** A copy of hello's ELF with a second program header (a PT_NOTE) whose offset is far past the end. */
async function helloWithStrayHeader(dir: string): Promise<string> {
  const bytes = Buffer.from(await readFile((await subject('hello')).elfPath));
  const phoff = Number(bytes.readBigUInt64LE(32));
  const phentsize = bytes.readUInt16LE(54);
  t_assert(
    bytes.readUInt16LE(56) === 1 && bytes.subarray(phoff + phentsize, phoff + 2 * phentsize).every((b) => b === 0),
    'hello has one program header and room after it',
  );
  bytes.writeUInt16LE(2, 56);
  const at = phoff + phentsize;
  bytes.writeUInt32LE(4, at); // PT_NOTE
  bytes.writeUInt32LE(4, at + 4);
  bytes.writeBigUInt64LE(0x7fffffffn, at + 8); // p_offset past the end of the file
  bytes.writeBigUInt64LE(16n, at + 32); // p_filesz
  bytes.writeBigUInt64LE(16n, at + 40);
  const path = join(dir, 'stray-note.elf');
  await writeFile(path, bytes);
  return path;
}

function t_assert(condition: boolean, what: string): void {
  if (!condition) throw new Error(`test set-up: ${what}`);
}

test('malformed input gets a clear error naming the file and what to do, exit 2, never a stack trace', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-bad-'));
  const stray = await helloWithStrayHeader(dir);
  const ran = await wbdiff(['run', stray, '--runner', 'emu']);
  t.is(ran.exitCode, 0, `a non-LOAD header pointing past the end is not used: ${ran.stderr}`);
  const short = join(dir, 'short.elf');
  await writeFile(short, (await readFile(stray)).subarray(0, 16));
  const deep = join(dir, 'deep.json');
  await writeFile(deep, '['.repeat(20_000));
  const throwing = join(dir, 'throws.mjs');
  await writeFile(throwing, 'const x = 1;\nthrow new Error("config exploded");\n');
  await mkdir(join(dir, 'a-folder'));
  const twoForms = join(dir, 'two-forms.json');
  await writeFile(twoForms, JSON.stringify({ runners: ['emu'], kernels: [{ kernel: 'hello', elf: stray }] }));
  const unknownKernel = join(dir, 'unknown-kernel.json');
  await writeFile(unknownKernel, JSON.stringify({ runners: ['emu'], kernels: [{ kernel: 'emu' }] }));
  const cases: [string[], RegExp][] = [
    [['run', short], /short\.elf: truncated ELF: 16 bytes, shorter than the 64-byte ELF header/],
    [
      ['run', 'hello', '--runner', 'emu', '--variant', deep],
      /deep\.json:1:257: malformed JSON in the variant file: nested more than 256 levels deep/,
    ],
    [['matrix', '--config', deep, '--out', join(dir, 'deep-out')], /malformed JSON in the matrix config: nested more than 256/],
    [
      ['matrix', '--explain', 'hello', '--from', join(dir, 'missing')],
      /missing: no such results folder\n {2}hint: give a folder written by wbdiff matrix/,
    ],
    [
      ['matrix', '--config', throwing, '--out', join(dir, 'thr')],
      /throws\.mjs:2:7: the config module failed while loading: Error: config exploded/,
    ],
    [
      ['matrix', '--config', twoForms, '--out', join(dir, 'two')],
      /two-forms\.json:1:\d+: invalid matrix config: \/kernels\/0 matches more than one of its allowed forms \(e\.g\. both "kernel" and "elf"\)/,
    ],
    [
      ['matrix', '--config', unknownKernel, '--out', join(dir, 'unk')],
      /unknown-kernel\.json: kernels\[0\]: no bundled kernel "emu".*bundled kernels: .*hello/,
    ],
  ];
  for (const [args, message] of cases) {
    const result = await wbdiff(args);
    t.is(result.exitCode, 2, `${args.join(' ')}: ${result.stderr}`);
    t.regex(result.stderr, message);
    t.notRegex(result.stderr, NO_STACK, args.join(' '));
  }
  // patch -o <a directory>: a nop edit that applies to hello, then the write fails clearly.
  const nop = join(dir, 'nop.json');
  await writeFile(nop, JSON.stringify({ name: 'nop', edits: [{ op: 'nop', at: '_start' }] }));
  const isDir = await wbdiff(['patch', 'hello', nop, '-o', join(dir, 'a-folder')]);
  t.is(isDir.exitCode, 2);
  t.regex(isDir.stderr, /a-folder: cannot write the file: it is a directory \(EISDIR\)\n {2}hint: give the path of a file/);
});

test('a 300-character kernel name runs: its cell file name is cut and hashed, not ENAMETOOLONG', async (t) => {
  const hello = await subject('hello');
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-long-'));
  const config = join(dir, 'config.json');
  const names = ['n'.repeat(300), `${'n'.repeat(299)}m`];
  await writeFile(
    config,
    JSON.stringify({
      runners: ['emu'],
      diagnose: false,
      kernels: names.map((name) => ({ elf: hello.elfPath, name, expect: { verdict: 'completed' } })),
    }),
  );
  const result = await wbdiff(['matrix', '--config', config, '--out', join(dir, 'out'), '--no-baseline']);
  t.is(result.exitCode, 0, result.stderr);
  const files = readdirSync(join(dir, 'out', 'cells'));
  t.is(files.length, 2, 'two distinct files');
  t.true(files.every((f) => f.length <= 205));
  const summary = JSON.parse(await readFile(join(dir, 'out', 'summary.json'), 'utf8'));
  t.deepEqual(
    summary.cells.map((c: { target: string }) => c.target),
    names,
  );
});

/** A finished one-cell matrix (hello on the emulator) in a fresh folder. */
async function helloRun(): Promise<{ dir: string; out: string; config: string; cell: string }> {
  await subject('hello');
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-store-'));
  const config = join(dir, 'config.json');
  await writeFile(config, JSON.stringify({ runners: ['emu'], diagnose: false, kernels: [{ kernel: 'hello' }] }));
  const out = join(dir, 'run');
  const result = await wbdiff(['matrix', '--config', config, '--out', out, '--no-baseline']);
  if (result.exitCode !== 0) throw new Error(result.stderr);
  return { dir, out, config, cell: join(out, 'cells', 'hello_unpatched_emu_cortex-a57.json') };
}

test('corrupt or edited result files are named on --resume and merge, with the command that reruns the cell', async (t) => {
  const { out, cell } = await helloRun();
  const good = await readFile(cell, 'utf8');
  const edited = JSON.parse(good);
  edited.run.verdict = '<script>';
  const cases: [string, string, RegExp][] = [
    [cell, good.slice(0, 40), /hello_unpatched_emu_cortex-a57\.json:\d+:\d+: malformed JSON in the cell file/],
    [
      cell,
      JSON.stringify(edited),
      /hello_unpatched_emu_cortex-a57\.json:\d+:\d+: invalid cell file: \/run\/verdict must be one of "completed"/,
    ],
    [
      cell,
      JSON.stringify({ ...JSON.parse(good), id: 'other/unpatched/emu/cortex-a57' }),
      /says it is cell "other\/unpatched\/emu\/cortex-a57"/,
    ],
  ];
  for (const [file, text, message] of cases) {
    await writeFile(file, text);
    for (const args of [
      ['matrix', '--resume', out],
      ['merge', out, '--out', join(out, '..', `merged-${Math.random()}`)],
    ]) {
      const result = await wbdiff(args);
      t.is(result.exitCode, 2, `${args[0]}: ${result.stderr}`);
      t.regex(result.stderr, message, args[0]);
      t.regex(result.stderr, new RegExp(`hint: .*rm '${cell.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}' && wbdiff matrix --resume`), args[0]);
      t.notRegex(result.stderr, NO_STACK);
    }
  }
  await writeFile(cell, good);
  await writeFile(join(out, 'subjects.json'), '{"version": 1, "subjects": [], "diagnoses": {}}');
  const subjects = await wbdiff(['matrix', '--resume', out]);
  t.is(subjects.exitCode, 2);
  t.regex(
    subjects.stderr,
    /subjects\.json:1:\d+: invalid subjects\.json: \/subjects must be object\n {2}hint: .*delete it and {2}wbdiff matrix --resume/,
  );
  await writeFile(join(out, 'run.json'), '{"version": 1');
  const info = await wbdiff(['matrix', '--resume', out]);
  t.is(info.exitCode, 2);
  t.regex(info.stderr, /run\.json:1:\d+: malformed JSON in the run\.json/);
});

test('a results folder is locked while a matrix writes it; a stale lock is taken over', async (t) => {
  const hang = await subject('hang');
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-lock-'));
  const config = join(dir, 'config.json');
  // A 60 s limit: still running however slow the machine, until the SIGINT below.
  await writeFile(
    config,
    JSON.stringify({ runners: ['qemu'], diagnose: false, kernels: [{ elf: hang.elfPath, name: 'spin', timeoutMs: 60_000 }] }),
  );
  const out = join(dir, 'shared');
  const first = execa(process.execPath, [WBDIFF, 'matrix', '--config', config, '--out', out, '--no-baseline'], { reject: false });
  await until('the first run holds the lock', () => existsSync(join(out, '.wbdiff.lock')), 20_000);
  const second = await wbdiff(['matrix', '--config', config, '--out', out, '--no-baseline']);
  t.is(second.exitCode, 2);
  t.regex(
    second.stderr,
    new RegExp(
      `shared: the results folder is in use by another wbdiff \\(pid ${first.pid}, since .*\\n {2}hint: give this run its own --out folder`,
    ),
  );
  const merge = await wbdiff(['merge', out, '--out', out]);
  t.is(merge.exitCode, 2, 'merging into a folder being written is refused too');
  first.kill('SIGINT');
  t.is((await first).exitCode, 130);
  t.false(existsSync(join(out, '.wbdiff.lock')), 'released at the end');
  // A lock left by a process that is gone (SIGKILL) does not block the next run.
  const gone = execa('true');
  const deadPid = gone.pid;
  await gone;
  await writeFile(join(out, '.wbdiff.lock'), JSON.stringify({ pid: deadPid, host: hostname(), startedAt: 'earlier' }));
  const helloConfig = join(dir, 'hello.json');
  await writeFile(helloConfig, JSON.stringify({ runners: ['emu'], diagnose: false, kernels: [{ kernel: 'hello' }] }));
  const after = await wbdiff(['matrix', '--config', helloConfig, '--out', out, '--no-baseline']);
  t.is(after.exitCode, 0, after.stderr);
});

const canMountTmpfs = execaSync('unshare', ['-rm', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs /tmp'], { reject: false }).exitCode === 0;

(canMountTmpfs ? test : test.skip)(
  'a full disk while writing cells or reports is a clear error naming the file (ENOSPC), exit 2',
  async (t) => {
    const { dir, out, config } = await helloRun();
    // A private 8 KiB tmpfs (user + mount namespace, no root needed) mounted over a fresh folder.
    const full = join(dir, 'full');
    await mkdir(full);
    const inFull = (args: string[]) =>
      execa('unshare', ['-rm', 'sh', '-c', 'mount -t tmpfs -o size=8k tmpfs "$0" && exec "$@"', full, process.execPath, WBDIFF, ...args], {
        reject: false,
        timeout: 60_000,
      });
    const matrix = await inFull(['matrix', '--config', config, '--out', join(full, 'run'), '--no-baseline']);
    t.is(matrix.exitCode, 2, matrix.stderr);
    t.regex(
      matrix.stderr,
      /full\/run\/[^:]+: cannot write the file: no space left on the device \(ENOSPC\)\n {2}hint: free some disk space/,
    );
    t.notRegex(matrix.stderr, NO_STACK);
    const report = await inFull(['report', out, '--out', full]);
    t.is(report.exitCode, 2, report.stderr);
    t.regex(report.stderr, /cannot write the file: no space left on the device \(ENOSPC\)/);
    t.notRegex(report.stderr, NO_STACK);
  },
);

test('an edited cache entry is rebuilt or re-patched, and a cell records the hash of the bytes that ran', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-cache-'));
  const env = { WBDIFF_CACHE: join(dir, 'cache') }; // a private cache: the shared one stays intact
  const nop = join(dir, 'nop.json');
  await writeFile(nop, JSON.stringify({ name: 'nop-tail', edits: [{ op: 'nop', at: '_start+0x40' }] }));
  const config = join(dir, 'config.json');
  await writeFile(config, JSON.stringify({ runners: ['emu'], diagnose: false, kernels: [{ kernel: 'hello', variants: [nop] }] }));
  const matrix = async (out: string) => {
    const result = await wbdiff(['matrix', '--config', config, '--out', join(dir, out), '--no-baseline'], env);
    const cells = readdirSync(join(dir, out, 'cells')).map((f) => JSON.parse(readFileSync(join(dir, out, 'cells', f), 'utf8')));
    return { result, cells };
  };
  const first = await matrix('first');
  t.is(first.cells.length, 2, first.result.stderr);
  // Edit both cached ELFs the way a stray tool would: same size, other bytes.
  const editedHashes: string[] = [];
  for (const cell of first.cells) {
    const path = cell.variant
      ? join(env.WBDIFF_CACHE, 'patched', readdirSync(join(env.WBDIFF_CACHE, 'patched'))[0]!, 'kernel.elf')
      : join(env.WBDIFF_CACHE, 'builds', readdirSync(join(env.WBDIFF_CACHE, 'builds')).find((d) => d.startsWith('hello-'))!, 'kernel.elf');
    const bytes = await readFile(path);
    const at = bytes.indexOf('hello from wbdiff');
    t.true(at > 0);
    bytes.write('jello', at);
    await writeFile(path, bytes);
    editedHashes.push(sha256(bytes));
  }
  const second = await matrix('second');
  t.is(second.result.exitCode, 0, second.result.stderr);
  const cached = new Set<string>();
  for (const kind of ['builds', 'patched']) {
    for (const d of readdirSync(join(env.WBDIFF_CACHE, kind)))
      cached.add(sha256(await readFile(join(env.WBDIFF_CACHE, kind, d, 'kernel.elf'))));
  }
  for (const cell of second.cells) {
    t.true(cell.run.serial.includes('hello from wbdiff'), `${cell.id}: the edited bytes were not run`);
    t.false(editedHashes.includes(cell.provenance.elfHash), `${cell.id}: not the edited bytes' hash`);
    t.true(cached.has(cell.provenance.elfHash), `${cell.id}: the hash of a file in the cache now`);
  }
  // Only the patched ELF edited (its base intact): it is patched again, to the same bytes.
  const patchedCell = second.cells.find((c) => c.variant)!;
  const patchedPath = readdirSync(join(env.WBDIFF_CACHE, 'patched'))
    .map((d) => join(env.WBDIFF_CACHE, 'patched', d, 'kernel.elf'))
    .find((p) => sha256(readFileSync(p)) === patchedCell.provenance.elfHash)!;
  const bytes = await readFile(patchedPath);
  bytes.write('jello', bytes.indexOf('hello from wbdiff'));
  await writeFile(patchedPath, bytes);
  const third = await matrix('third');
  const again = third.cells.find((c) => c.variant)!;
  t.is(again.provenance.elfHash, patchedCell.provenance.elfHash);
  t.true(again.run.serial.includes('hello from wbdiff'));
  t.is(sha256(await readFile(patchedPath)), patchedCell.provenance.elfHash);
});

/** A console that prints the given text to whoever connects, then stays open and silent. */
async function quietConsole(text: string): Promise<{ port: number; close: () => void }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.write(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

test('board steps whose grandchildren keep the pipes open do not stretch the run, and are killed with it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-board-'));
  const console_ = await quietConsole('T1 Y\n');
  // Each step leaves a 20 s grandchild holding its stdout/stderr and writes that grandchild's pid.
  const lingering = (name: string, then: string) => ['sh', '-c', `sleep 20 & echo $! > ${join(dir, name)}; ${then}`];
  const board = new BoardRunner({
    name: 'lingering',
    console: { tcp: `127.0.0.1:${console_.port}` },
    silenceTimeoutMs: 500,
    commands: { load: { argv: lingering('load.pid', 'exit 0') }, 'power-on': { argv: lingering('on.pid', 'wait'), background: true } },
  });
  const started = Date.now();
  const result = await board.run({ elfPath: '/dev/null', cpu: 'cortex-a57', timeoutMs: 10_000 });
  const took = Date.now() - started;
  console_.close();
  t.is(result.verdict, 'timeout', result.reason);
  t.regex(result.reason, /no serial output for 500 ms/);
  t.true(took < 10_000, `the 500 ms silence ended the run (took ${took} ms), not the 20 s grandchildren`);
  for (const name of ['load.pid', 'on.pid']) {
    const pid = Number(readFileSync(join(dir, name), 'utf8'));
    await until(`${name}: grandchild killed`, () => !alive(pid), 3000);
    t.false(alive(pid), name);
  }
});

test('a failing power-off step is reported: an infrastructure error keeping what the run showed', async (t) => {
  const console_ = await quietConsole('T1 Y\nDONE\n');
  const board = new BoardRunner({
    name: 'stuck-relay',
    console: { tcp: `127.0.0.1:${console_.port}` },
    commands: { 'power-off': { argv: ['sh', '-c', 'echo relay 3 stuck >&2; exit 3'] } },
  });
  const result = await board.run({ elfPath: '/dev/null', cpu: 'cortex-a57', timeoutMs: 5000, afterDoneMs: 50 });
  console_.close();
  t.is(result.verdict, 'error');
  t.regex(
    result.reason,
    /^board stuck-relay: power-off exited with 3: relay 3 stuck: the board may still be powered on \(the run itself: completed, DONE printed; no PSCI power-off followed\)/,
  );
  t.deepEqual(result.markers, { T1: 'Y' });
  t.is(result.details['runVerdict'], 'completed');
});
