// Register snapshots on the emulator at the same breakpoints QEMU stops at: one exact-address
// code hook per breakpoint (Unicorn calls it before the instruction runs, with pc = that address),
// so each snapshot is the state at the same instruction boundary as QEMU's gdbstub stop.
//
// Optionally the run starts from given register values instead of Unicorn's reset state (see
// parity.ts: a second run seeded with QEMU's reset registers tells which differences come from
// the reset state rather than from the code).
import type { ElfImage } from '../elf/elf.js';
import type { Arm64CpuModel, Arm64Reg } from '../emu/unicorn.js';
import { VirtMachine } from '../emu/virt-machine.js';
import { CORE_REGISTERS, type BreakpointHit, type RegisterValues, type SnapshotRun } from '../gdb/snapshot.js';
import { DEFAULTS as RUN_DEFAULTS } from '../runners/types.js';
import { hex } from '../util/hex.js';

export interface EmuSnapshotOptions {
  model: Arm64CpuModel;
  memoryMiB?: number;
  breakpoints: readonly bigint[];
  /** Stop after this many hits in all (default 64). */
  maxHits?: number;
  /** Wall-clock limit (default 10 s). */
  timeoutMs?: number;
  /** Stop once the UART has received this many bytes (default 1 MiB, the runners' cap). */
  maxSerialBytes?: number;
  /** Registers to set before the first instruction (x0..x30, sp, cpsr); the rest keep Unicorn's reset values. */
  initialRegisters?: RegisterValues;
  /** Start the guest's clock this many ns later (what the counters read differs; the code does not). */
  clockStartNs?: bigint;
}

const SERIAL_KEEP = 256 * 1024;

export function snapshotOnEmulator(image: ElfImage, options: EmuSnapshotOptions): SnapshotRun {
  const startedAt = Date.now();
  const maxHits = options.maxHits ?? 64;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const machine = VirtMachine.create({
    model: options.model,
    memoryMiB: options.memoryMiB ?? 128,
    precisePc: true,
    serialLimit: options.maxSerialBytes ?? RUN_DEFAULTS.maxSerialBytes,
    ...(options.clockStartNs ? { clockStartNs: options.clockStartNs } : {}),
  });
  const uc = machine.uc;
  let serial = '';
  const takeSerial = () => {
    const chunk = machine.takeSerial();
    if (chunk.length && serial.length < SERIAL_KEEP) serial += Buffer.from(chunk).toString('latin1');
  };
  const read = (): RegisterValues => {
    const out: RegisterValues = {};
    for (const name of CORE_REGISTERS) out[name] = uc.regRead(name as Arm64Reg);
    out['cpsr'] = uc.regRead('pstate');
    return out;
  };
  try {
    machine.loadElf(image);
    for (const [name, value] of Object.entries(options.initialRegisters ?? {})) {
      if (name === 'pc') continue; // the entry, as on QEMU
      uc.regWrite(name === 'cpsr' ? 'pstate' : (name as Arm64Reg), value);
    }
    const reset = { ...read(), pc: image.entry };
    const hits: BreakpointHit[] = [];
    const perAddress = new Map<bigint, number>();
    let full = false;
    for (const address of new Set(options.breakpoints)) {
      uc.hookCode(
        () => {
          if (full) return;
          takeSerial();
          const n = (perAddress.get(address) ?? 0) + 1;
          perAddress.set(address, n);
          hits.push({ seq: hits.length + 1, address, hitOfBreakpoint: n, registers: read(), serialBefore: serial });
          if (hits.length >= maxHits) {
            full = true;
            uc.emuStop();
          }
        },
        address,
        address,
      );
    }
    const deadline = startedAt + timeoutMs;
    let end: SnapshotRun['end'] | null = null;
    while (end === null) {
      if (Date.now() >= deadline) {
        end = { kind: 'timeout', detail: `the ${timeoutMs} ms limit ran out after ${hits.length} hits` };
        break;
      }
      const slice = machine.runSlice();
      takeSerial();
      if (full) {
        end = { kind: 'max-hits', detail: `stopped after ${hits.length} hits (--max-hits)` };
        break;
      }
      switch (slice.kind) {
        case 'running':
          break;
        case 'poweroff':
          end = { kind: 'exited', detail: `${slice.reason} at ${hex(slice.pc)}` };
          break;
        case 'fault':
          end = {
            kind: 'fault',
            detail: `${slice.fault.kind}${slice.fault.pc !== null ? ` at ${image.symbols.format(slice.fault.pc)}` : ''}: ${slice.fault.detail}`,
          };
          break;
        case 'halted':
          end = { kind: 'halted', detail: `WFI at ${hex(slice.pc - 4n)}: nothing raises interrupts` };
          break;
        case 'exit':
          end = { kind: 'exited', detail: `${slice.reason} at ${hex(slice.pc)}` };
          break;
        case 'unmodelled':
          end = { kind: 'fault', detail: `the emulator does not model ${slice.device}: ${slice.detail}` };
          break;
        case 'serial-limit':
          end = { kind: 'serial-limit', detail: 'serial output limit' };
          break;
      }
    }
    return {
      runner: 'emu',
      reset,
      hits,
      end: end!,
      serial,
      durationMs: Date.now() - startedAt,
      details: { model: options.model, seeded: options.initialRegisters !== undefined },
    };
  } finally {
    machine.close();
  }
}
