// kvm-unit-tests as matrix entries: arm/unittests.cfg read as its own runner reads it
// (scripts/common.bash for_each_unittest, scripts/runtime.bash run, arm/run), each section one
// kernel named by the section. Pure: config text in, entries (or the reason a section is skipped) out.
import type { KernelExpectation } from '../build/manifest.js';
import type { MachineOptions } from '../machine/description.js';
import { WbdiffError } from '../errors.js';

export interface UnittestSection {
  name: string;
  file: string;
  smp: string | null;
  testArgs: string | null;
  /** qemu_params (or the older extra_params): QEMU options as shell words. */
  params: string | null;
  groups: string[];
  arch: string | null;
  accel: string | null;
  timeout: string | null;
  disabledIf: string | null;
  line: number;
}

export function parseUnittestsCfg(text: string): UnittestSection[] {
  const sections: UnittestSection[] = [];
  let current: UnittestSection | null = null;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const head = /^\[(.*)\]$/.exec(line);
    if (head) {
      current = {
        name: head[1]!,
        file: '',
        smp: null,
        testArgs: null,
        params: null,
        groups: [],
        arch: null,
        accel: null,
        timeout: null,
        disabledIf: null,
        line: i + 1,
      };
      sections.push(current);
      continue;
    }
    const kv = /^([a-z_]+)\s*=\s*(.*)$/.exec(line);
    if (!kv || !current) continue;
    let value = kv[2]!;
    // A value in """ ... """ spans lines (qemu_params only, in newer trees).
    if (value.startsWith('"""')) {
      value = value.slice(3);
      while (!/"""\s*$/.test(value) && i + 1 < lines.length) value += `\n${lines[++i]!}`;
      value = value.replace(/"""\s*$/, '').replace(/\\\n/g, ' ');
    }
    switch (kv[1]) {
      case 'file':
        current.file = value;
        break;
      case 'smp':
        current.smp = value;
        break;
      case 'test_args':
        current.testArgs = value;
        break;
      case 'qemu_params':
      case 'extra_params':
        current.params = value;
        break;
      case 'groups':
        current.groups = value.split(/\s+/).filter(Boolean);
        break;
      case 'arch':
        current.arch = value;
        break;
      case 'accel':
        current.accel = value;
        break;
      case 'timeout':
        current.timeout = value;
        break;
      case 'disabled_if':
        current.disabledIf = value;
        break;
      default:
        break;
    }
  }
  return sections;
}

/** Shell words, as bash splits the config's values: quotes and backslashes; no expansions. */
export function shellWords(text: string, where: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw new WbdiffError(`unterminated ${c} quote`, { where });
      const inner = text.slice(i + 1, end);
      if (c === '"' && /[`$]/.test(inner))
        throw new WbdiffError(`shell expansion in "${inner}" is not supported`, { where, hint: 'write the value out' });
      word = (word ?? '') + inner;
      i = end;
    } else if (c === '\\' && i + 1 < text.length) {
      word = (word ?? '') + text[++i];
    } else if (c === '`' || c === '$') {
      throw new WbdiffError(`shell expansion in "${text}" is not supported`, { where, hint: 'write the value out' });
    } else word = (word ?? '') + c;
  }
  if (word !== null) words.push(word);
  return words;
}

/** `smp = 2`, `$MAX_SMP`, or `$((($MAX_SMP < 8)?$MAX_SMP:8))`, as bash arithmetic would give them. */
export function evaluateSmp(text: string, maxSmp: number, where: string): number {
  const expr = text
    .replace(/\$\{?MAX_SMP\}?/g, String(maxSmp))
    .trim()
    .replace(/^\$\(\((.*)\)\)$/, '$1')
    .trim();
  if (/^\d+$/.test(expr)) return Number(expr);
  const m = /^\(?\s*(\d+)\s*(<=|>=|<|>|==)\s*(\d+)\s*\)?\s*\?\s*(\d+)\s*:\s*(\d+)$/.exec(expr);
  if (!m) throw new WbdiffError(`cannot evaluate smp = ${text}`, { where, hint: 'wbdiff reads integers, $MAX_SMP and (a < b)?c:d' });
  const [a, op, b] = [Number(m[1]), m[2]!, Number(m[3])];
  const holds = op === '<' ? a < b : op === '>' ? a > b : op === '<=' ? a <= b : op === '>=' ? a >= b : a === b;
  return Number(holds ? m[4] : m[5]);
}

/** What a section's QEMU words set in a machine description; anything else is kept as qemuArgs. */
export function machineFromParams(words: readonly string[]): { machine: MachineOptions; memoryMiB?: number } {
  const machine: MachineOptions = {};
  let memoryMiB: number | undefined;
  const rest: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const value = words[i + 1];
    if ((w === '-machine' || w === '-M') && value !== undefined) {
      for (const part of value.split(',')) {
        const [k, v] = part.split('=');
        if (k && v !== undefined) (machine.machine ??= {})[k] = v;
        else if (k && k !== 'virt') rest.push(w, value);
      }
      i++;
    } else if (w === '-m' && value !== undefined && /^\d+[Mm]?$/.test(value)) {
      memoryMiB = parseInt(value, 10);
      i++;
    } else if (w === '-device' && value !== undefined) {
      (machine.devices ??= []).push(value);
      i++;
    } else if (w === '-append' && value !== undefined) {
      machine.append = value;
      i++;
    } else if (w === '-smp' && value !== undefined && /^\d+$/.test(value)) {
      machine.smp = Number(value);
      i++;
    } else rest.push(w);
  }
  if (rest.length) machine.qemuArgs = rest;
  return memoryMiB === undefined ? { machine } : { machine, memoryMiB };
}

/** arm/run's devices: chr-testdev (the kernel's exit status) and pci-testdev. */
export const ARM_RUN_MACHINE: MachineOptions = {
  devices: ['virtio-serial-device', 'virtconsole,chardev=ctd', 'pci-testdev'],
  chardevs: ['testdev,id=ctd'],
};

/** chr-testdev: a virtio console on a virtio-mmio transport, and its `testdev` backend. */
export const CHR_TESTDEV_ENTRIES = ['virtio-serial-device', 'virtconsole,chardev=ctd', 'testdev,id=ctd'];

/**
 * Which of arm/run's devices a runner that lacks them may leave out, for one section (pure).
 * chr-testdev: lib/arm/io.c exit() prints `EXIT: STATUS=<code << 1 | 1>` on the UART before it
 * sends the code to chr-testdev and then calls PSCI SYSTEM_OFF; chr_testdev_init() leaves the
 * console unbound when no virtio console is found. So without it the kernel reports the same
 * lines and the same status (the line the result preset reads), as arm/run's run_test_status
 * reads it when chr-testdev is absent. pci-testdev: arm/run adds it only when QEMU has one, and
 * only lib/pci-testdev.c (the `pci` group) looks for it; elsewhere it changes nothing, but a test
 * of the pci group needs it (without it pci-test prints SKIP where QEMU prints PASS).
 */
export function armRunOptionalDevices(groups: readonly string[]): MachineOptions['optionalDevices'] {
  const entries = groups.includes('pci') ? CHR_TESTDEV_ENTRIES : [...CHR_TESTDEV_ENTRIES, 'pci-testdev'];
  const why = groups.includes('pci')
    ? 'chr-testdev only carries the exit status that lib/arm/io.c also prints as EXIT: STATUS= before PSCI SYSTEM_OFF (pci-testdev is what the pci group tests: required)'
    : 'chr-testdev only carries the exit status that lib/arm/io.c also prints as EXIT: STATUS= before PSCI SYSTEM_OFF; only the pci group looks for pci-testdev';
  return { entries, why };
}

/** A test passes with status 0 and is skipped with 77 (arm/run's SKIP); any other status is a failure. */
export const KVM_UNIT_TESTS_EXPECT: KernelExpectation = { verdict: 'completed', exitStatus: [0, 77], noFailingMarkers: true };

export interface ExpandedTest {
  name: string;
  file: string;
  machine: MachineOptions;
  memoryMiB?: number;
  timeoutMs: number;
  groups: string[];
}

export interface SuiteContext {
  maxSmp: number;
  /** The environ file arm/run passes as the initrd under TCG. */
  environPath: string;
  where: string;
}

/** One section as a kernel, or why it is not run (as run_tests.sh would skip it, or as wbdiff cannot run it). */
export function expandSection(section: UnittestSection, context: SuiteContext): ExpandedTest | { name: string; skipped: string } {
  const where = `${context.where} [${section.name}] (line ${section.line})`;
  if (section.groups.includes('nodefault')) return { name: section.name, skipped: 'test marked as manual run only (group nodefault)' };
  if (section.arch && section.arch !== 'arm64') return { name: section.name, skipped: `${section.arch} only` };
  if (section.accel && section.accel !== 'tcg') return { name: section.name, skipped: `${section.accel} only (wbdiff runs QEMU with TCG)` };
  if (section.groups.includes('migration'))
    return { name: section.name, skipped: 'migration test: needs two QEMU instances and QMP, which wbdiff does not drive' };
  if (!section.file) throw new WbdiffError('the section names no file', { where });
  const params = section.params ? machineFromParams(shellWords(section.params, where)) : { machine: {} as MachineOptions };
  const append = section.testArgs ? shellWords(section.testArgs, where).join(' ') : undefined;
  const machine: MachineOptions = {
    ...params.machine,
    smp: section.smp ? evaluateSmp(section.smp, context.maxSmp, where) : 1,
    ...(append !== undefined ? { append } : {}),
    initrd: context.environPath,
    devices: [...ARM_RUN_MACHINE.devices!, ...(params.machine.devices ?? [])],
    chardevs: [...ARM_RUN_MACHINE.chardevs!],
    optionalDevices: armRunOptionalDevices(section.groups),
  };
  return {
    name: section.name,
    file: section.file,
    machine,
    ...(params.memoryMiB !== undefined ? { memoryMiB: params.memoryMiB } : {}),
    timeoutMs: parseTimeout(section.timeout ?? '90s', where),
    groups: section.groups,
  };
}

/** `90s`, `10`, `2m`, as GNU timeout reads them. */
export function parseTimeout(text: string, where: string): number {
  const m = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(text.trim());
  if (!m) throw new WbdiffError(`cannot read timeout = ${text}`, { where });
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2]! as '' | 's' | 'm' | 'h' | 'd'];
  return Math.round(Number(m[1]) * unit * 1000);
}

/** The environ arm/run writes to a temp file and passes with -initrd (scripts/arch-run.bash env_params, env_errata under TCG). */
export function kvmUnitTestsEnviron(qemuVersionLine: string, kernelRelease: string): string {
  const [, , , major, minor, micro] = qemuVersionLine.split(/[ .]/);
  const [version, patchlevel, rest = ''] = kernelRelease.split('.');
  const [sub = '', extra = ''] = rest.split('-');
  const digits = (s: string) => /^\d+/.exec(s)?.[0] ?? '';
  return [
    'TARGET=qemu',
    'QEMU_ACCEL=tcg',
    `QEMU_VERSION_STRING=${qemuVersionLine}`,
    `QEMU_MAJOR=${major ?? ''}`,
    `QEMU_MINOR=${minor ?? ''}`,
    `QEMU_MICRO=${micro ?? ''}`,
    `KERNEL_VERSION_STRING=${kernelRelease}`,
    `KERNEL_VERSION=${version ?? ''}`,
    `KERNEL_PATCHLEVEL=${patchlevel ?? ''}`,
    `KERNEL_SUBLEVEL=${digits(sub)}`,
    `KERNEL_EXTRAVERSION=${digits(extra)}`,
    'ERRATA_FORCE=y',
    '',
  ].join('\n');
}
