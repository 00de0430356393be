// The emulator's virt on real kernels, against real QEMU: the flash layout bug (the project's
// origin story), semihosting, PSCI in a loop, and the same bytes giving the same serial whatever
// the slice size. Plus the pure parts (CFI state machine, layout findings, DTB placement).
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { runSubject } from '../harness/cli/run-command.js';
import { classifyCells, type ClassifiableCell } from '../harness/compare/classify.js';
import { cellLayoutFinding, droppedStoresFinding, type DroppedWritesDetail } from '../harness/machine/layout.js';
import { layoutWarnings } from '../harness/machine/layout-check.js';
import { readElf } from '../harness/elf/read-elf.js';
import { CfiFlash } from '../harness/emu/devices/pflash.js';
import { deviceAccesses } from '../harness/emu/devices/flash-bus.js';
import { psciCall } from '../harness/emu/psci.js';
import { elfBootPlacement } from '../harness/machine/dtb-placement.js';
import { machineProfile } from '../harness/machine-profile.js';
import { EmuRunner } from '../harness/runners/emu.js';
import { QemuRunner } from '../harness/runners/qemu.js';
import type { RunSpec } from '../harness/runners/types.js';
import { subject } from './helpers/subjects.js';
import { diagnoseElf } from '../harness/diagnose/index.js';
import { patchedElf } from '../harness/patch/patched-build.js';
import { loadVariant } from '../harness/patch/variant.js';
import { KERNELS_DIR } from '../harness/paths.js';
import { buildElf } from './helpers/tiny-elf.js';

const dir = mkdtempSync(join(tmpdir(), 'wbdiff-emu-virt-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

// ------------------------------------------------------------ the origin story

test('layout-flash: T2 N on QEMU and on the emulator, which names every dropped store and variable', async (t) => {
  const s = await subject('layout-flash');
  const { runs, agree } = await runSubject(s, ['qemu', 'emu'], 'cortex-a57');
  t.true(agree, JSON.stringify(runs.map((r) => [r.runner, r.verdict, r.reason, r.markers, r.exitStatus])));
  for (const run of runs) {
    t.is(run.verdict, 'completed', `${run.runner}: ${run.reason}`);
    t.is(run.markers['T2'], 'N', run.runner);
    t.is(run.markers['T0'], 'Y', `${run.runner}: initialised .data reads fine from flash`);
    t.is(run.markers['T5'], 'N', `${run.runner}: the barrier is never called (its flag's store was dropped)`);
  }
  const emu = runs.find((r) => r.runner === 'emu')!;
  const dropped = emu.details['droppedWrites'] as DroppedWritesDetail;
  const names = dropped.variables.map((v) => v.symbol);
  for (const name of ['wb_enabled', 'gp', 'gs', 'ga', 'counter']) t.true(names.includes(name), `${name} in ${names.join(', ')}`);
  const gs = dropped.variables.find((v) => v.symbol === 'gs')!;
  t.regex(gs.firstPcSymbol, /^store\+0x/, 'the fast-path store in store()');
  const flag = dropped.variables.find((v) => v.symbol === 'wb_enabled')!;
  t.is(flag.lastValue, '0x1', 'the store of 1 to the barrier flag is recorded');
  t.regex(flag.lastPcSymbol, /^main\+0x/);
  t.is(flag.device, 'pflash0');
  const finding = droppedStoresFinding(dropped)!;
  t.regex(finding.lines.join('\n'), /gs is at 0x[0-9a-f]+, in virt's flash \(pflash0\): QEMU drops the stores to it/);

  // The matrix: both cells are a layout bug, and say so in words naming the variables.
  const cells: ClassifiableCell[] = runs.map((run) => ({
    id: run.runner,
    target: 'layout-flash',
    variant: null,
    runner: run.runner,
    cpu: 'cortex-a57',
    run,
  }));
  const classified = classifyCells(cells, { machine: machineProfile(), expectOf: () => null, diagnosisOf: () => null });
  for (const id of ['qemu', 'emu']) {
    const c = classified.get(id)!;
    t.is(c.outcome, 'layout-bug', id);
    const layout = c.findings.find((f) => f.kind === 'layout-bug')!;
    t.regex(layout.summary, /^T1, T2, T3, T4, T5 fail because of the layout: layout bug: \d+ stores to flash dropped, to .*wb_enabled/);
    t.true(
      layout.evidence.some((line) => /^gs is at 0x[0-9a-f]+, in virt's flash/.test(line)),
      layout.evidence.join('\n'),
    );
  }

  // The check before running.
  const warnings = layoutWarnings(await readElf(s.elfPath)).map((w) => w.text);
  t.true(
    warnings.some((w) => /^\.data \(0x200[0-9a-f]+-0x200[0-9a-f]+\) is in virt's flash .*it holds gs \(0x[0-9a-f]+\), counter/.test(w)),
    warnings.join('\n'),
  );
  t.true(
    warnings.some((w) => /^\.bss .*wb_enabled/.test(w)),
    warnings.join('\n'),
  );
});

test('layout-ram: the same code linked in RAM prints T2 Y on both runners and drops nothing', async (t) => {
  const s = await subject('layout-ram');
  const { runs, agree } = await runSubject(s, ['qemu', 'emu'], 'cortex-a57');
  t.true(agree, JSON.stringify(runs.map((r) => [r.runner, r.verdict, r.reason, r.markers, r.exitStatus])));
  for (const run of runs) t.deepEqual(run.markers, { T0: 'Y', T1: 'Y', T2: 'Y', T3: 'Y', T4: 'Y', T5: 'Y' }, run.runner);
  t.is(runs.find((r) => r.runner === 'emu')!.details['droppedWrites'], undefined);
  t.deepEqual(layoutWarnings(await readElf(s.elfPath)), []);
});

test("the seed's patch on the layout kernels: wrong in RAM (a convention bug), no difference in flash, where the diagnosis names the dropped stores", async (t) => {
  const variant = await loadVariant(join(KERNELS_DIR, 'layout-ram', 'variants', 'seed-barrier.json'));
  const results: Record<string, { markers: Record<string, string>[]; diagnosis: Awaited<ReturnType<typeof diagnoseElf>> }> = {};
  for (const name of ['layout-flash', 'layout-ram']) {
    const s = await subject(name);
    const patched = await patchedElf(s.elfPath, s.elfHash, [variant]);
    const { runs } = await runSubject({ ...s, elfPath: patched.elfPath, elfHash: patched.elfHash }, ['qemu', 'emu'], 'cortex-a57');
    const diagnosis = await diagnoseElf(patched.elfPath, patched.manifest.sites, {
      manifestConvention: s.kernel!.manifest.convention,
      manifestPath: s.kernel!.manifestPath,
    });
    results[name] = { markers: runs.map((r) => r.markers), diagnosis };
  }
  const ram = results['layout-ram']!;
  for (const markers of ram.markers) t.is(markers['T2'], 'N', 'in RAM the swapped barrier breaks T2 on both runners');
  t.is(ram.diagnosis.verdict, 'convention-bug', JSON.stringify(ram.diagnosis.findings));
  t.is(ram.diagnosis.layout.finding, null);
  const flash = results['layout-flash']!;
  for (const markers of flash.markers) t.is(markers['T2'], 'N');
  t.true(
    flash.diagnosis.findings.some((f) => f.kind === 'not-reached'),
    'the barrier is never called in flash',
  );
  t.deepEqual(flash.diagnosis.layout.finding?.variables.filter((v) => ['wb_enabled', 'gs'].includes(v)).sort(), ['gs', 'wb_enabled']);
  t.regex(flash.diagnosis.layout.explains ?? '', /layout bug: \d+ stores to flash dropped.*this explains the marker/);
  t.true(flash.diagnosis.layout.warnings.some((w) => /^\.bss .* is in virt's flash/.test(w)));
});

test('a pass that relied on dropped stores is a masked failure on QEMU; a layout bug explains a marker over a latent convention bug', (t) => {
  const dropped: DroppedWritesDetail = {
    total: 2,
    first: [],
    variables: [
      {
        symbol: 'main.gs',
        address: '0x339000',
        stores: 2,
        firstPc: '0x200100',
        firstPcSymbol: 'main.kmain+0x40',
        lastPc: '0x200104',
        lastPcSymbol: 'main.kmain+0x44',
        lastValue: '0x40200200',
        device: 'pflash0',
      },
    ],
  };
  const masked = cellLayoutFinding('qemu', dropped, [], false)!;
  t.is(masked.kind, 'masked-failure');
  t.regex(masked.summary, /passes on qemu, but it relied on dropped stores: layout bug: 2 stores to flash dropped, to main\.gs/);
  const both = cellLayoutFinding('emu', dropped, ['T2'], true)!;
  t.is(both.kind, 'layout-bug');
  t.regex(both.summary, /T2 fails because of the layout: .*this explains the marker\. The register-convention bug is real but latent/);
  t.regex(masked.evidence[0]!, /main\.gs is at 0x339000, in virt's flash \(pflash0\)/);
  t.is(cellLayoutFinding('emu', { total: 0, first: [], variables: [] }, ['T2'], true), null);
});

// ------------------------------------------------------------ the flash as QEMU's pflash_cfi01

test('CFI flash: command bytes QEMU acts on, status/id/CFI reads, programming and erase (values measured on QEMU 7.2)', (t) => {
  const f = new CfiFlash('pflash0');
  t.is(f.write(0x1000, 4, 0x12345678).kind, 'dropped', 'an unknown command is dropped');
  t.true(f.readsArray);
  t.deepEqual(f.write(0x1000, 4, 0x40), { kind: 'dropped', command: 0x40, mode: 'command 0x40 (single byte program)' });
  t.is(f.write(0x1000, 4, 0xdeadbeef).kind, 'programmed', 'the store after 0x40 programs the array');
  t.false(f.readsArray);
  t.is(f.registerRead(0x3000, 4), 0x00800080, 'status on every address until read-array');
  f.write(0, 4, 0xff);
  t.true(f.readsArray);
  f.write(0, 4, 0x98);
  t.is(f.registerRead(0x40, 4), 0x00510051, 'CFI "Q"');
  t.is(f.registerRead(0x9c, 4), 0x00190019, 'device size 2^25');
  f.write(0, 4, 0xff);
  f.write(0, 4, 0x90);
  t.is(f.registerRead(0, 4), 0x00890089);
  t.is(f.registerRead(4, 4), 0x00180018);
  f.write(0, 4, 0x50);
  t.true(f.readsArray, '0x50 clears status and returns to read-array');
  t.deepEqual(f.write(0x1234, 4, 0x20), { kind: 'erased', command: 0x20, start: 0, size: 0x40000, mode: 'command 0x20 (block erase)' });
  t.deepEqual(
    deviceAccesses({ address: 0x2000n, size: 8, value: 0x0000_0001_4000_0040n }),
    [
      { address: 0x2000n, size: 4, value: 0x4000_0040n },
      { address: 0x2004n, size: 4, value: 1n },
    ],
    'an 8-byte store reaches the device as two 4-byte ones, low first',
  );
});

// ------------------------------------------------------------ PSCI, semihosting, determinism

test("PSCI answers are QEMU 7.2's for one CPU", (t) => {
  t.deepEqual(psciCall(0x8400_0000n, 0n), { kind: 'return', x0: 0x1_0001n, name: 'PSCI_VERSION' });
  t.is((psciCall(0x8400_000an, 0xc400_0003n) as { x0: bigint }).x0, 0n);
  t.is((psciCall(0x8400_000an, 0x8400_0005n) as { x0: bigint }).x0, -1n);
  t.is((psciCall(0xc400_0004n, 1n) as { x0: bigint }).x0, -2n);
  t.is((psciCall(0xc400_0003n, 0n) as { x0: bigint }).x0, -4n);
  t.is((psciCall(0xffff_ffff_8400_0000n, 0n) as { x0: bigint }).x0, -1n, 'the function id is all of x0');
});

// A64 words for hand-made kernels.
const movz = (rd: number, imm: number, shift = 0) => (0xd2800000 | ((shift / 16) << 21) | (imm << 5) | rd) >>> 0;
const movk = (rd: number, imm: number, shift = 0) => (0xf2800000 | ((shift / 16) << 21) | (imm << 5) | rd) >>> 0;
const b = (insns: number) => (0x14000000 | (insns & 0x3ffffff)) >>> 0;
const HVC0 = 0xd4000002;

/** A one-segment ELF at 0x40080000 holding `code` then `data` (the entry is the code). */
function elf(code: number[], data: Uint8Array = new Uint8Array(0)): string {
  const padded = Buffer.concat([Buffer.from(data), Buffer.alloc((4 - (data.length % 4)) % 4)]);
  const words = [...code, ...new Uint32Array(padded.buffer, padded.byteOffset, padded.length / 4)];
  const path = join(dir, `k${Math.random().toString(36).slice(2)}.elf`);
  writeFileSync(
    path,
    buildElf(0x40080000n, [{ addr: 0x40080000n, code: words }], [{ name: '_start', value: 0x40080000n, size: BigInt(words.length * 4) }]),
  );
  return path;
}

test('#13.1: a kernel calling PSCI_VERSION in a loop ends at --timeout, and an abort stops it at once', async (t) => {
  const loop = elf([movz(0, 0x8400, 16), HVC0, b(-2)]);
  // Before the fix neither returned: uc_emu_start's timeout never fired inside the exception loop.
  const timedOut = await new EmuRunner().run({ elfPath: loop, cpu: 'cortex-a57', timeoutMs: 400 });
  t.is(timedOut.verdict, 'timeout', timedOut.reason);
  // A PSCI call per three instructions runs far slower than guest time passes: the CPU-time backstop ends it
  t.regex(
    timedOut.reason,
    // (or, on a host so loaded that the thread gets under a quarter of a core, the wall-clock guard)
    /^timeout after (1400 ms of the emulator's CPU time \(it ran this code slower than guest time passes|5000 ms on the wall clock \(the host gave the emulator too little CPU): \d+ ms of guest time\)$/,
  );
  t.true((timedOut.details['psciCalls'] as unknown[]).length > 0);
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 200);
  const aborted = await new EmuRunner().run({ elfPath: loop, cpu: 'cortex-a57', timeoutMs: 60_000 }, { signal: controller.signal });
  t.is(aborted.reason, 'cancelled');
});

test("same bytes, same result: a kernel printing across thousands of slice boundaries gives the same serial at every slice size, and QEMU's", async (t) => {
  // flood prints the same 73-byte line forever, a UART store per byte: a replayed store would
  // shift every later byte.
  const s = await subject('flood');
  const spec: RunSpec = { elfPath: s.elfPath, cpu: 'cortex-a57', timeoutMs: 20_000, maxSerialBytes: 60_000 };
  const serials = new Map<number, string>();
  for (const slice of [7, 97, 1009, 100_003]) {
    const run = await new EmuRunner({ sliceInstructions: slice }).run(spec);
    t.is(run.verdict, 'output-limit', `${slice}: ${run.reason}`);
    t.true((run.details['slices'] as number) > (slice < 1000 ? 1000 : 1), `slice ${slice}: ${run.details['slices']} slices`);
    serials.set(slice, run.serial);
  }
  const reference = serials.get(100_003)!;
  t.is(reference.length, 60_000);
  for (const [slice, serial] of serials) t.is(serial, reference, `slice size ${slice}`);
  const qemu = await new QemuRunner().run(spec);
  t.is(qemu.serial.slice(0, 50_000), reference.slice(0, 50_000), 'QEMU prints the same bytes');
});

/** SYS_WRITE0 of a message, then SYS_EXIT(ADP_Stopped_ApplicationExit, 3); the block and the string follow the code. */
function semihostingKernel(): string {
  const HLT = 0xd45e0000;
  const code = (dataAt: number) => [
    movz(0, 0x04),
    movz(1, (0x40080000 + dataAt + 16) & 0xffff),
    movk(1, 0x4008, 16),
    HLT, // SYS_WRITE0(message)
    movz(0, 0x18),
    movz(1, (0x40080000 + dataAt) & 0xffff),
    movk(1, 0x4008, 16),
    HLT, // SYS_EXIT(&block)
    b(0),
  ];
  const dataAt = code(0).length * 4 + 4; // 8-byte align the block
  const data = Buffer.alloc(4 + 16 + 32);
  data.writeBigUInt64LE(0x20026n, 4);
  data.writeBigUInt64LE(3n, 12);
  Buffer.from('T1 Y\nsemihosting says hi\nDONE\n\0').copy(data, 20);
  return elf(code(dataAt), data);
}

test('semihosting: SYS_WRITE0 and SYS_EXIT with status 3 on the emulator as on QEMU -semihosting-config enable=on', async (t) => {
  const path = semihostingKernel();
  const emu = await new EmuRunner().run({ elfPath: path, cpu: 'cortex-a57', timeoutMs: 5000, machine: { semihosting: true } });
  t.is(emu.verdict, 'completed', emu.reason);
  t.is(emu.exitStatus, 3);
  t.is(emu.reason, 'semihosting SYS_EXIT (status 3)');
  t.is(emu.serial, 'T1 Y\nsemihosting says hi\nDONE\n');
  const qemu = await execa(
    'qemu-system-aarch64',
    [
      '-M',
      'virt',
      '-cpu',
      'cortex-a57',
      '-m',
      '128M',
      '-nographic',
      '-monitor',
      'none',
      '-nic',
      'none',
      '-semihosting-config',
      'enable=on,target=native',
      '-kernel',
      path,
    ],
    { reject: false, timeout: 20_000 },
  );
  t.is(qemu.exitCode, 3, 'QEMU exits with the status');
  t.is(`${qemu.stdout}${qemu.stderr}`.replace(/\r/g, '').trim(), emu.serial.trim(), 'QEMU prints the same text');
  // Without semihosting enabled, HLT #0xF000 is an undefined instruction, as on QEMU.
  const off = await new EmuRunner().run({ elfPath: path, cpu: 'cortex-a57', timeoutMs: 5000 });
  t.is(off.verdict, 'fault');
  t.is(off.fault?.kind, 'undefined instruction');
});

// ------------------------------------------------------------ not modelled, DTB placement

test('an access to a region of virt the emulator does not model is an infrastructure error naming it', async (t) => {
  // ldr w1, [x0] from the GICv2m MSI frame at 0x08020000.
  const r = await new EmuRunner().run({ elfPath: elf([movz(0, 0x0802, 16), 0xb9400001, b(0)]), cpu: 'cortex-a57', timeoutMs: 5000 });
  t.is(r.verdict, 'error');
  t.regex(r.reason, /^the emulator does not model GICv2m MSI frame at 0x8020000: read of 4 bytes/);
  const fwcfg = await new EmuRunner().run({
    // Select etc/acpi/tables (0x0023; the selector is big-endian), then read its data.
    elfPath: elf([movz(0, 0x0902, 16), movz(1, 0x2300), 0x79001001 /* strh w1, [x0, #8] */, 0xb9400001, b(0)]),
    cpu: 'cortex-a57',
    timeoutMs: 5000,
  });
  t.is(fwcfg.verdict, 'error');
  t.regex(
    fwcfg.reason,
    /does not model fw_cfg at 0x9020000: the contents of fw_cfg file etc\/acpi\/tables \(select 0x0023, 131072 bytes\)/,
  );
  // -smp is modelled (test/emu-smp.test.ts), up to what virt accepts: 8 CPUs with a GICv2.
  const smp = await new EmuRunner().run({ elfPath: elf([b(0)]), cpu: 'cortex-a57', timeoutMs: 5000, machine: { smp: 9 } });
  t.is(smp.verdict, 'error');
  t.regex(smp.reason, /-smp 9 is out of range for virt with a GICv2/);
});

test('the DTB goes where QEMU 7.2 puts it for an ELF: at the base of RAM when it fits below the kernel, else nowhere', (t) => {
  const ram = 0x4000_0000n;
  t.is(
    elfBootPlacement({ low: 0x4008_0000n, high: 0x4009_0000n }, ram, 0x10_0000).dtbAddress,
    null,
    'a kernel at 0x40080000 leaves 512 KiB: no 1 MiB DTB',
  );
  t.is(elfBootPlacement({ low: 0x4020_0000n, high: 0x4030_0000n }, ram, 0x10_0000).dtbAddress, ram);
  t.is(elfBootPlacement({ low: 0x20_0000n, high: 0x20_1000n }, ram, 0x10_0000).dtbAddress, ram, 'a kernel in flash leaves all of RAM');
  t.is(elfBootPlacement({ low: 0x4000_0000n, high: 0x4010_0000n }, ram, 0x10_0000).dtbAddress, null);
});
