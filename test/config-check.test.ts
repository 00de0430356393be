// Config mistakes are found before any cell runs (exit 2, a did-you-mean, no results folder);
// the shorthand kernel list, injective cell files and variants keyed by path run for real.
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { KERNELS_DIR } from '../harness/paths.js';
import { WBDIFF } from './helpers/cli.js';
import { subject } from './helpers/subjects.js';

const wbdiffIn = (cwd: string, args: string[], env: Record<string, string> = {}) =>
  execa(process.execPath, [WBDIFF, ...args], { cwd, reject: false, timeout: 120_000, env: { WBDIFF_RESULTS: '', ...env } });

const MISTAKES: [string, object, RegExp][] = [
  [
    'a misspelt kernel',
    { kernels: ['helo'] },
    /kernels\[0\]: no bundled kernel "helo" \(did you mean "hello"\?\); bundled kernels: .*fault.*hello/,
  ],
  [
    'a toolchain the kernel has no build for',
    { kernels: ['gowb@go1.99'] },
    /kernels\[0\]: gowb has no build "gowb@go1\.99" \(did you mean "gowb@go1\.19"\?\); its builds: gowb@go1\.19, gowb@go1\.23/,
  ],
  [
    'a misspelt variant',
    { kernels: [{ kernel: 'gowb@go1.19', variants: ['seed-barier'] }] },
    /no variant named "seed-barier" for gowb \(go1\.19\).*\(did you mean "seed-barrier"\?\); variants of gowb@go1\.19: .*fixed-barrier/s,
  ],
  [
    'a CPU model the emulator lacks',
    { kernels: [{ kernel: 'hello', cpus: ['cortex-a75'] }], runners: ['emu'] },
    /the emulator has no CPU model "cortex-a75" \(did you mean "cortex-a57"\?\); it models cortex-a57, cortex-a53, cortex-a72, max/,
  ],
  [
    'a CPU model QEMU lacks',
    { kernels: [{ kernel: 'hello', cpus: ['cortex-a99'] }], runners: ['qemu'] },
    /QEMU has no CPU model "cortex-a99"/,
  ],
  [
    'a board that is not defined',
    { kernels: ['hello'], runners: ['qemu', 'board:rpi4'], boards: { rpi5: { console: { tcp: 'localhost:7001' } } } },
    /no board "rpi4" in "boards" \(did you mean "rpi5"\?\)/,
  ],
  [
    'an invalid regex',
    { kernels: [{ elf: 'mine.elf', resultPatterns: [{ regex: '(?<id>T\\d+=(?<result>[YN]' }] }] },
    /kernels\[0\]\.resultPatterns\[0\] is not usable/,
  ],
  [
    'an expect of the wrong shape',
    { kernels: [{ kernel: 'hello', expect: { markers: { T1: true } } }] },
    /\/kernels\/0\/expect\/markers\/T1 must be string/,
  ],
  [
    'names that share a file on a case-insensitive disk',
    {
      kernels: [
        { elf: 'mine.elf', name: 'Mine' },
        { elf: 'other.elf', name: 'mine' },
      ],
    },
    /would share the results file/,
  ],
  [
    'one name for two ELFs',
    {
      kernels: [
        { elf: 'mine.elf', name: 'k' },
        { elf: 'other.elf', name: 'k' },
      ],
    },
    /"k" names other bytes than an earlier entry of that name/,
  ],
  ['no cells at all', { kernels: [{ kernel: 'hello', runners: ['replay'] }] }, /the matrix has no cells/],
  ['an ELF that does not exist', { kernels: ['build/missing.elf'] }, /kernels\[0\]: no such ELF file build\/missing\.elf/],
];

test('each config mistake is exit 2 before any cell runs, with no results folder left behind', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-mistakes-'));
  const hello = (await subject('hello')).elfPath;
  for (const [what, doc, message] of MISTAKES) {
    const folder = join(dir, what.replace(/\W+/g, '-'));
    await mkdir(folder);
    await copyFile(hello, join(folder, 'mine.elf'));
    await copyFile(hello, join(folder, 'other.elf'));
    await writeFile(join(folder, 'wbdiff.config.json'), JSON.stringify({ diagnose: false, ...doc }));
    const result = await wbdiffIn(folder, ['matrix']);
    t.is(result.exitCode, 2, `${what}: ${result.stdout}${result.stderr}`);
    t.regex(result.stderr, message, what);
    t.notRegex(result.stderr, /internal error/, what);
    t.false(existsSync(join(folder, 'results')), `${what}: no results folder`);
    t.is(result.stdout, '', `${what}: nothing ran`);
  }
  const unknown = await wbdiffIn(join(dir, 'a-misspelt-variant'), ['matrix', 'gowb@go1.91']);
  t.is(unknown.exitCode, 2);
  t.regex(unknown.stderr, /no kernel entry of the config is "gowb@go1\.91" \(did you mean "gowb@go1\.19"\?\)/);
  const none = await wbdiffIn(await mkdtemp(join(tmpdir(), 'wbdiff-noconfig-')), ['matrix']);
  t.is(none.exitCode, 2);
  t.regex(none.stderr, /no wbdiff\.config\.json, wbdiff\.config\.ts, wbdiff\.config\.mjs, wbdiff\.config\.js in .* or any folder above it/);
});

test('the shorthand kernel list runs; "my kernel" and "my_kernel" get their own files; variants are keyed by path', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-shorthand-'));
  await mkdir(join(dir, 'build'));
  await copyFile((await subject('hello')).elfPath, join(dir, 'build', 'mine.elf'));
  await mkdir(join(dir, 'a'));
  await mkdir(join(dir, 'b'));
  await copyFile(join(KERNELS_DIR, 'gowb/variants/go1.19/fixed-barrier.json'), join(dir, 'a', 'fix.json'));
  await copyFile(join(KERNELS_DIR, 'gowb/variants/go1.19/seed-barrier.json'), join(dir, 'b', 'fix.json'));
  await writeFile(
    join(dir, 'wbdiff.config.json'),
    JSON.stringify({
      runners: ['emu'],
      diagnose: false,
      kernels: [
        'hello',
        'build/mine.elf',
        { elf: 'build/mine.elf', name: 'my kernel' },
        { elf: 'build/mine.elf', name: 'my_kernel' },
        { kernel: 'gowb@go1.19', variants: ['a/fix.json', 'b/fix.json'] },
      ],
    }),
  );
  const result = await wbdiffIn(dir, ['matrix', '--no-baseline']);
  t.is(result.exitCode, 1, 'b/fix.json is the seed bug');
  const [run] = (await readdir(join(dir, 'results'))).map((n) => join(dir, 'results', n));
  const files = (await readdir(join(run!, 'cells'))).sort();
  t.deepEqual(files, [
    'gowb@go1.19_a_fix_emu_cortex-a57.json',
    'gowb@go1.19_b_fix_emu_cortex-a57.json',
    'gowb@go1.19_unpatched_emu_cortex-a57.json',
    'hello_unpatched_emu_cortex-a57.json',
    'mine.elf_unpatched_emu_cortex-a57.json',
    'my%20kernel_unpatched_emu_cortex-a57.json',
    'my%5Fkernel_unpatched_emu_cortex-a57.json',
  ]);
  const summary = JSON.parse(await readFile(join(run!, 'summary.json'), 'utf8'));
  const outcome = (id: string) => summary.cells.find((c: { id: string }) => c.id === id)?.outcome;
  t.is(outcome('gowb@go1.19/a/fix/emu/cortex-a57'), 'expected');
  t.is(outcome('gowb@go1.19/b/fix/emu/cortex-a57'), 'patch-bug');
  t.is(summary.cells.length, 7);
});

test('at 80 columns the table fits, colour follows FORCE_COLOR / NO_COLOR', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-80col-'));
  await writeFile(
    join(dir, 'wbdiff.config.json'),
    JSON.stringify({
      runners: ['qemu', 'emu'],
      diagnose: false,
      kernels: [{ kernel: 'cpuid', cpus: ['cortex-a57', 'cortex-a53'] }, 'hello'],
    }),
  );
  const narrow = await wbdiffIn(dir, ['matrix', '--no-baseline'], { COLUMNS: '80' });
  t.is(narrow.exitCode, 0, narrow.stdout + narrow.stderr);
  const table = narrow.stdout.slice(
    narrow.stdout.indexOf('kernel + variant'),
    narrow.stdout.indexOf('\n\n', narrow.stdout.indexOf('kernel + variant')),
  );
  t.regex(table, /^kernel \+ variant\s+qemu\/a57\s+emu\/a57\s+qemu\/a53\s+emu\/a53$/m);
  t.regex(table, /^cpuid\s+CPU-DEP\s+CPU-DEP\s+CPU-DEP\s+CPU-DEP$/m);
  t.true(
    table.split('\n').every((line) => line.length <= 80),
    table,
  );
  t.notRegex(narrow.stdout, /\x1b\[/, 'no colour into a pipe');
  t.regex(narrow.stdout, /6 cells: 4 CPU-DEP, 2 ok in \d+:\d\d/);
  const coloured = await wbdiffIn(dir, ['matrix', '--no-baseline', 'hello'], { FORCE_COLOR: '1' });
  t.regex(coloured.stdout, /\x1b\[32mok/);
  const plain = await wbdiffIn(dir, ['matrix', '--no-baseline', 'hello'], { NO_COLOR: '1' });
  t.notRegex(plain.stdout, /\x1b\[/);
});

test('on an 80-column terminal (a real pty) the progress line never wraps and the table fits; NO_COLOR turns colour off', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-pty-'));
  await writeFile(
    join(dir, 'wbdiff.config.json'),
    JSON.stringify({
      runners: ['emu'],
      diagnose: false,
      kernels: ['hello', 'fault', 'tap', { kernel: 'cpuid', cpus: ['cortex-a57', 'cortex-a53'] }],
    }),
  );
  const inPty = (env: Record<string, string>) =>
    execa('script', ['-qec', `stty cols 80 rows 24; exec ${process.execPath} ${WBDIFF} matrix --no-baseline`, '/dev/null'], {
      cwd: dir,
      reject: false,
      timeout: 120_000,
      env: { WBDIFF_RESULTS: '', ...env },
    });
  const visible = (text: string) => text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
  const tty = await inPty({});
  t.is(tty.exitCode, 0, tty.stdout);
  const progress = tty.stdout
    .split(/\r/)
    .map(visible)
    .filter((s) => /^\[\d+\/\d+\]/.test(s));
  t.true(progress.length >= 5, tty.stdout);
  t.true(
    progress.every((s) => s.length <= 79),
    JSON.stringify(progress),
  );
  t.regex(progress[1]!, /^\[2\/5\] · \d+:\d\d, ~\d+:\d\d left · /, 'elapsed time and ETA');
  t.regex(tty.stdout, /\x1b\[32m/, 'colour on a terminal');
  const table = visible(tty.stdout)
    .split(/\r?\n/)
    .filter((l) => /^(kernel \+ variant|hello|fault|tap|cpuid)\s/.test(l));
  t.is(table.length, 5);
  t.true(
    table.every((l) => l.trimEnd().length <= 80),
    table.join('\n'),
  );
  const plain = await inPty({ NO_COLOR: '1' });
  t.is(plain.exitCode, 0);
  t.notRegex(plain.stdout, /\x1b\[3\dm/);
});
