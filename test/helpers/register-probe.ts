// A register probe: a script of MMIO and system-register accesses compiled into a tiny kernel,
// run on real QEMU `virt`, and the values it read back. The same script is replayed on the
// emulator's device models, so a test compares the models with QEMU 7.2 access by access.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { resolveToolchain } from '../../harness/build/toolchains.js';
import { KERNELS_DIR, REPO_ROOT } from '../../harness/paths.js';

/** Kernels written for the tests (not bundled: the matrix does not run them). */
export const TEST_KERNELS_DIR = join(REPO_ROOT, 'test', 'kernels');

export interface SysReg {
  op0: number;
  op1: number;
  crn: number;
  crm: number;
  op2: number;
}

export type ProbeStep =
  | { op: 'read'; address: number; label: string }
  | { op: 'write'; address: number; value: number }
  | { op: 'mrs'; reg: SysReg; label: string }
  | { op: 'msr'; reg: SysReg; value: bigint };

const sysregName = (r: SysReg) => `S${r.op0}_${r.op1}_C${r.crn}_C${r.crm}_${r.op2}`;

/** The kernel: each read prints `label=%08x` (mrs prints the low and high words). */
export function probeSource(steps: ProbeStep[]): string {
  const lines = ['#include "virt.h"', '\tkernel_entry main', 'main:', '\tstp x29, x30, [sp, #-16]!'];
  for (const step of steps) {
    switch (step.op) {
      case 'read':
        lines.push(`\tsay "${step.label}="`, `\tldr x1, =${step.address}`, '\tldr w0, [x1]', '\tbl puthex32', '\tsay "\\n"');
        break;
      case 'write':
        lines.push(`\tldr x1, =${step.address}`, `\tldr w0, =${step.value >>> 0}`, '\tstr w0, [x1]', '\tdsb sy');
        break;
      case 'mrs':
        lines.push(
          `\tmrs x19, ${sysregName(step.reg)}`,
          `\tsay "${step.label}="`,
          '\tlsr x0, x19, #32',
          '\tbl puthex32',
          '\tmov w0, w19',
          '\tbl puthex32',
          '\tsay "\\n"',
        );
        break;
      case 'msr':
        lines.push(`\tldr x0, =0x${step.value.toString(16)}`, `\tmsr ${sysregName(step.reg)}, x0`, '\tisb');
        break;
    }
  }
  lines.push('\tsay "DONE\\n"', '\tldp x29, x30, [sp], #16', '\tret', '\t.ltorg', '\tvirt_lib', '');
  return lines.join('\n');
}

/** Values by label; mrs values are 64-bit. */
export type ProbeValues = Map<string, bigint>;

export function parseProbeOutput(text: string): ProbeValues {
  const values: ProbeValues = new Map();
  for (const m of text.matchAll(/^([A-Za-z0-9_.]+)=([0-9a-f]{8,16})\r?$/gm)) values.set(m[1]!, BigInt(`0x${m[2]}`));
  return values;
}

/** An asm kernel's source: virt.h, `main` as its entry with `body`'s lines (tab-indented), and virt_lib. */
export function asmKernel(body: readonly string[]): string {
  return ['#include "virt.h"', '\tkernel_entry main', 'main:', ...body.map((line) => `\t${line}`), '\tvirt_lib', ''].join('\n');
}

/** Compiles a test kernel (preprocessed asm using kernels/common/virt.h and test/kernels/gic.h) into dir/<name>.elf. */
export async function buildTestKernel(dir: string, name: string, source: string, defines: string[] = []): Promise<string> {
  const sourcePath = join(dir, `${name}.S`);
  const elf = join(dir, `${name}.elf`);
  await writeFile(sourcePath, source);
  // The builder's cross gcc (WBDIFF_CC honoured), as for the bundled kernels.
  const gcc = await resolveToolchain({ kind: 'gcc' });
  await execa(gcc.command, [
    '-nostdlib',
    '-nostartfiles',
    '-ffreestanding',
    '-static',
    '-Wl,--build-id=none',
    ...defines.map((d) => `-D${d}`),
    '-T',
    join(KERNELS_DIR, 'common', 'virt.ld'),
    '-I',
    join(KERNELS_DIR, 'common'),
    '-I',
    TEST_KERNELS_DIR,
    '-o',
    elf,
    sourcePath,
  ]);
  return elf;
}

/** Runs a kernel on qemu-system-aarch64 -M <machine> and returns its serial output once DONE is printed. */
export async function runOnQemu(elf: string, machine: string, smp = 1, extra: string[] = []): Promise<string> {
  const { stdout } = await execa(
    'qemu-system-aarch64',
    [
      '-M',
      machine,
      '-cpu',
      'cortex-a57',
      '-smp',
      String(smp),
      '-m',
      '128',
      '-nographic',
      '-monitor',
      'none',
      '-serial',
      'stdio',
      '-nic',
      'none',
      '-no-reboot',
      ...extra,
      '-kernel',
      elf,
    ],
    { timeout: 20_000, stdin: 'ignore' },
  );
  if (!stdout.includes('DONE')) throw new Error(`kernel ${elf} did not finish on QEMU:\n${stdout}`);
  return stdout;
}

export async function withTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-irq-'));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Builds the probe and runs it on qemu-system-aarch64 -M virt with the given machine options. */
export async function runProbeOnQemu(steps: ProbeStep[], machine: string, smp = 1): Promise<ProbeValues> {
  return withTempDir(async (dir) =>
    parseProbeOutput(await runOnQemu(await buildTestKernel(dir, 'probe', probeSource(steps)), machine, smp)),
  );
}
