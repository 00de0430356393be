// --deterministic as a machine option: parsed once, merged and labelled like the others, turned
// into QEMU's -icount by the pure argv builder, honoured by the emulator (whose clock always
// counts instructions) and refused by runners that cannot honour it.
import test from 'ava';
import { machineOverrides } from '../../harness/cli/machine-flags.js';
import { DEFAULT_ICOUNT_SHIFT } from '../../harness/emu/interrupts/instruction-clock.js';
import {
  canonicalMachine,
  DETERMINISTIC_ICOUNT,
  machineLabel,
  mergeMachine,
  setOptions,
  unsupportedOptions,
} from '../../harness/machine/description.js';
import { emuCannotHonour, EMU_SUPPORTED_OPTIONS } from '../../harness/runners/emu.js';
import { icountArg, qemuInvocation } from '../../harness/runners/qemu-args.js';
import { qemuErrorLines } from '../../harness/runners/qemu-log.js';

test('QEMU runs a deterministic machine with -icount shift=3,sleep=off, the shift of the emulator clock', (t) => {
  t.is(DETERMINISTIC_ICOUNT.shift, DEFAULT_ICOUNT_SHIFT);
  t.is(icountArg(), 'shift=3,sleep=off');
  const plain = qemuInvocation({ elfPath: '/k.elf', cpu: 'cortex-a57', timeoutMs: 1000 }).args;
  t.false(plain.includes('-icount'));
  const args = qemuInvocation({ elfPath: '/k.elf', cpu: 'cortex-a57', timeoutMs: 1000, machine: { deterministic: true } }).args;
  t.deepEqual(args.slice(args.indexOf('-icount'), args.indexOf('-icount') + 2), ['-icount', 'shift=3,sleep=off']);
  t.is(args.filter((a) => a === '-icount').length, 1);
});

test('the flag, the config layers and the label: later layers win, the cell name and provenance say it', (t) => {
  t.deepEqual(machineOverrides({ deterministic: true }).machine, { deterministic: true });
  t.is(machineOverrides({}).machine, undefined);
  t.true(mergeMachine({ smp: 1 }, { deterministic: true }).deterministic);
  t.false(mergeMachine({ deterministic: true }, { deterministic: false }).deterministic);
  t.deepEqual(canonicalMachine({ deterministic: false }), {});
  t.deepEqual(canonicalMachine({ deterministic: true, machine: { 'gic-version': '3' } }), {
    machine: { 'gic-version': '3' },
    deterministic: true,
  });
  t.is(machineLabel({ deterministic: true, machine: { 'gic-version': '3' } }), 'gic-version=3,deterministic');
  t.deepEqual(setOptions({ deterministic: true }), ['deterministic']);
});

test('the emulator honours it; a runner with a fixed machine (a board) refuses it by name', (t) => {
  t.is(emuCannotHonour({ machine: { deterministic: true } }), null);
  t.true(EMU_SUPPORTED_OPTIONS.has('deterministic'));
  t.deepEqual(unsupportedOptions({ deterministic: true }, new Set()), ['deterministic']);
});

test("-icount sleep=off's warning when nothing is left to wake the CPU is no QEMU failure; other messages still are", (t) => {
  t.deepEqual(qemuErrorLines(['qemu-system-aarch64: warning: icount sleep disabled and no active timers']), []);
  t.is(qemuErrorLines(['qemu-system-aarch64: -icount shift=11: icount: Invalid shift value']).length, 1);
});
