// Real suites on QEMU (issue 11): machine options, boot formats, exits and statuses, handled
// exceptions, result patterns and suite entries, on kernels written here and run by real QEMU.
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { loadMatrixConfig } from '../harness/matrix/config.js';
import { runMatrix } from '../harness/matrix/run-matrix.js';
import { ResultsStore } from '../harness/matrix/store.js';
import { wbdiff } from './helpers/cli.js';
import { subject } from './helpers/subjects.js';
import { BoardRunner } from '../harness/runners/board.js';
import { loadBoardFile } from '../harness/runners/board-config.js';
import { REPO_ROOT } from '../harness/paths.js';

const runJson = async (args: string[]) => {
  const result = await wbdiff(['run', ...args, '--runner', 'qemu', '--json']);
  return { code: result.exitCode, stderr: result.stderr, run: result.stdout ? JSON.parse(result.stdout).runs[0] : null };
};

test('a raw image and an arm64 Image are loaded at 0x40080000, entered with the DTB in x0, and see --append as /chosen/bootargs', async (t) => {
  for (const kernel of ['bootargs', 'bootargs-image']) {
    const { code, run, stderr } = await runJson([kernel, '--append', `console=none wbdiff ${kernel}`]);
    t.is(run.verdict, 'completed', stderr);
    t.like(run.markers, { T1: 'Y', T2: 'Y', LOADED: '0x40080000', BOOTARGS: `console=none wbdiff ${kernel}` });
    t.is(code, 1, 'the manifest expects its own command line, so another one is reported as not expected');
    const own = await runJson([kernel]);
    t.is(own.code, 0, own.stderr);
  }
});

test('a raw image given as a path runs as QEMU runs it, symbolised with --symbols', async (t) => {
  const s = await subject('bootargs');
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-raw-'));
  const image = join(dir, 'kernel.flat');
  await copyFile(s.elfPath, image);
  const { code, run } = await runJson([image, '--append', 'from a path', '--symbols', s.symbolsElf!]);
  t.is(code, 0, 'no manifest: completed, no failing marker');
  t.is(run.markers.BOOTARGS, undefined, 'the manifest patterns do not apply to a bare path');
  t.regex(run.serial, /BOOTARGS=from a path/);
  t.like(run.details.image, { format: 'raw', loadAddress: '0x40080000' });
});

test('an ET_DYN ELF gets an explanation of what QEMU would do with it and what to pass instead', async (t) => {
  const bytes = await readFile((await subject('hello')).elfPath);
  const dyn = Buffer.from(bytes);
  dyn.writeUInt16LE(3, 16); // e_type = ET_DYN
  const path = join(await mkdtemp(join(tmpdir(), 'wbdiff-dyn-')), 'pie.elf');
  await writeFile(path, dyn);
  const result = await wbdiff(['run', path]);
  t.is(result.exitCode, 2);
  t.regex(
    result.stderr,
    /position-independent ELF \(ET_DYN\) linked at 0x40080000: QEMU's -kernel would load its segments at that address as they are/,
  );
  t.regex(result.stderr, /hint: run the raw image .* --symbols/);
  t.notRegex(result.stderr, /link the kernel \(ET_EXEC\), not just compile it/);
});

test('exceptions the kernel handles are not faults; fault still faults at the same place', async (t) => {
  const vectors = await runJson(['vectors']);
  t.is(vectors.code, 0, vectors.stderr);
  t.is(vectors.run.verdict, 'completed');
  t.deepEqual(vectors.run.markers, { T1: 'Y', T2: 'Y', T3: 'Y' });
  t.deepEqual(vectors.run.details.exceptions, { taken: 3, returned: 3 });
  const fault = await runJson(['fault']);
  t.is(fault.code, 0, 'fault is what its manifest expects');
  t.like(fault.run, { verdict: 'fault', markers: { T1: 'Y' } });
  t.like(fault.run.fault, { kind: 'data abort', address: '0x50000000', access: 'read', esr: '0x96000010' });
  t.regex(fault.run.fault.pcSymbol, /^main\+0x18$/);
  t.regex(fault.run.reason, /branch to itself/);
});

test('an SVC taken and handled in a loop floods the log: a timeout (progress made), not a fault', async (t) => {
  // How far it gets before the timeout depends on the host's load; the verdict must not.
  const { run } = await runJson(['svc-loop', '--timeout', '4000']);
  t.is(run.verdict, 'timeout', run.reason);
  const { taken, returned } = run.details.exceptions;
  if (run.markers.T1 === 'Y') t.true(taken > 0, JSON.stringify(run.details.exceptions));
  t.true(taken - returned <= 1, JSON.stringify(run.details.exceptions));
});

test('a semihosting exit with status 3 is a kernel failure (exit 1), not a crash; its manifest can expect it', async (t) => {
  const bundled = await runJson(['semihost-exit']);
  t.is(bundled.code, 0, bundled.stderr);
  t.like(bundled.run, { verdict: 'completed', exitStatus: 3, markers: { T1: 'Y', T2: 'N' } });
  const elf = (await subject('semihost-exit')).elfPath;
  const bare = await wbdiff(['run', elf, '--semihosting', '--runner', 'qemu']);
  t.is(bare.exitCode, 1, bare.stdout + bare.stderr);
  t.regex(bare.stdout, /semihosting SYS_EXIT with status 3/);
  t.regex(bare.stdout, /exit status: expected 0, got 3/);
  // A fixed id and a value map turn the sentence into a marker on the command line too.
  const pattern = JSON.stringify({ regex: 'Global pointer assignment failed!', id: 'T7', map: { '*': 'N' } });
  const mapped = await runJson([elf, '--semihosting', '--result-pattern', pattern]);
  t.is(mapped.run.markers.T7, 'N');
  // Without semihosting the HLT is an undefined instruction with no vector table: a fault.
  const unhosted = await runJson([elf]);
  t.is(unhosted.run.verdict, 'fault');
  t.regex(unhosted.run.reason, /no vector table/);
});

test('-smp 2: CPU 1 is started with PSCI CPU_ON and prints; --smp 1 overrides the manifest', async (t) => {
  const two = await runJson(['smp']);
  t.is(two.code, 0, two.stderr);
  t.like(two.run.markers, { T1: 'Y', T2: 'Y', CPU1: '80000001' });
  t.true(two.run.details.command.includes('-smp'));
  const one = await runJson(['smp', '--smp', '1']);
  t.is(one.run.markers.T1, 'N', 'CPU_ON of a CPU that does not exist fails');
  t.is(one.code, 1);
});

test('QEMU itself failing is crash, infrastructure (exit 2) in run and in the matrix, never exit 0', async (t) => {
  const run = await runJson(['hello', '--device', 'no-such-device']);
  t.is(run.code, 2);
  t.is(run.run.verdict, 'crash');
  t.regex(run.run.reason, /QEMU failed .*no-such-device/);
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-crash-'));
  await writeFile(
    join(dir, 'wbdiff.config.json'),
    JSON.stringify({ runners: ['qemu'], kernels: [{ kernel: 'hello', machine: { devices: ['no-such-device'] } }], diagnose: false }),
  );
  const matrix = await wbdiff(['matrix', '--config', join(dir, 'wbdiff.config.json'), '--no-baseline', '--out', join(dir, 'out')]);
  t.is(matrix.exitCode, 2, matrix.stdout);
  const summary = JSON.parse(await readFile(join(dir, 'out', 'summary.json'), 'utf8'));
  t.is(summary.cells[0].outcome, 'infrastructure');
});

test('matrix entries carry machine options: one build on two machines is two named cells, each with its machine in provenance', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-machine-'));
  const path = join(dir, 'wbdiff.config.json');
  await writeFile(
    path,
    JSON.stringify({
      runners: ['qemu'],
      machine: { append: 'matrix default' },
      kernels: [{ kernel: 'bootargs' }, { kernel: 'bootargs', machine: { append: 'entry says', smp: 2 } }],
      diagnose: false,
    }),
  );
  const store = new ResultsStore(join(dir, 'out'));
  const summary = await runMatrix({ config: await loadMatrixConfig(path), store, runId: 'machine' });
  const ids = summary.cells.map((c) => c.id).sort();
  t.deepEqual(ids, ['bootargs/unpatched/qemu/cortex-a57', 'bootargs[smp=2,append="entry says"]/unpatched/qemu/cortex-a57']);
  const cells = await store.readCells();
  const byId = new Map(cells.map((c) => [c.id, c]));
  t.is(byId.get(ids[0]!)!.run.markers['BOOTARGS'], 'matrix default');
  t.deepEqual(byId.get(ids[1]!)!.provenance.machine, { smp: 2, append: 'entry says' });
  t.is(byId.get(ids[1]!)!.run.markers['BOOTARGS'], 'entry says');
});

test('the device tree QEMU generates for a machine is saved and cached by its options', async (t) => {
  const out = join(await mkdtemp(join(tmpdir(), 'wbdiff-dtb-')), 'virt.dtb');
  const first = await wbdiff(['dtb', 'bootargs', '--smp', '2', '--append', 'dtb for the emulator', '-o', out]);
  t.is(first.exitCode, 0, first.stderr);
  const bytes = await readFile(out);
  t.is(bytes.readUInt32BE(0), 0xd00dfeed);
  t.true(bytes.includes('cpu@1') && bytes.includes('dtb for the emulator'));
  const again = await wbdiff(['dtb', 'bootargs', '--smp', '2', '--append', 'dtb for the emulator']);
  t.regex(again.stdout, /cached/);
});

test('a board cannot honour machine options and says so, naming them', async (t) => {
  const board = new BoardRunner(await loadBoardFile(join(REPO_ROOT, 'qemu', 'board-qemu-tcp.json')));
  const run = await board.run({
    elfPath: (await subject('hello')).elfPath,
    cpu: 'cortex-a57',
    timeoutMs: 2000,
    machine: { smp: 2, devices: ['pci-testdev'] },
  });
  t.is(run.verdict, 'error');
  t.regex(run.reason, /cannot honour smp \(--smp\), devices \(--device\)/);
});
