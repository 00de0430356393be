// Register snapshots on the emulator at the same breakpoints QEMU stops at: one exact-address
// code hook per breakpoint (Unicorn calls it before the instruction runs, with pc = that address),
// so each snapshot is the state at the same instruction boundary as QEMU's gdbstub stop.
//
// The run goes through the one emulator run loop (runners/emu-loop.ts): serial kept and escaped
// as every runner keeps it, the abort signal honoured.
//
// Optionally the run starts from given register values instead of Unicorn's reset state (see
// parity.ts: a second run seeded with QEMU's reset registers tells which differences come from
// the reset state rather than from the code).
import type { ElfImage } from '../elf/elf.js';
import type { Arm64CpuModel, Arm64Reg } from '../emu/unicorn.js';
import { VirtMachine } from '../emu/virt-machine.js';
import { CORE_REGISTERS, type BreakpointHit, type RegisterValues, type SnapshotRun } from '../gdb/snapshot.js';
import { EmuRunLoop, type LoopEnd } from '../runners/emu-loop.js';
import { SerialCapture } from '../runners/serial-capture.js';
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
  signal?: AbortSignal;
}

export async function snapshotOnEmulator(image: ElfImage, options: EmuSnapshotOptions): Promise<SnapshotRun> {
  const startedAt = Date.now();
  const maxHits = options.maxHits ?? 64;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxSerial = options.maxSerialBytes ?? RUN_DEFAULTS.maxSerialBytes;
  const machine = VirtMachine.create({
    model: options.model,
    memoryMiB: options.memoryMiB ?? 128,
    precisePc: true,
    serialLimit: maxSerial,
    ...(options.clockStartNs ? { clockStartNs: options.clockStartNs } : {}),
  });
  const uc = machine.uc;
  const capture = new SerialCapture(maxSerial);
  let full = false;
  const loop = new EmuRunLoop(machine, capture, {
    limits: { timeoutMs, silenceMs: 0, afterDoneMs: Number.POSITIVE_INFINITY, maxSerialBytes: maxSerial },
    signal: options.signal,
    // Stops at the hit limit come from the breakpoint hook; the loop sees them as a slice that ended.
    afterSlice: (outcome) => (full ? { kind: 'serial-limit' } : outcome),
  });
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
    for (const address of new Set(options.breakpoints)) {
      uc.hookCode(
        () => {
          if (full) return;
          loop.flushSerial();
          const n = (perAddress.get(address) ?? 0) + 1;
          perAddress.set(address, n);
          hits.push({ seq: hits.length + 1, address, hitOfBreakpoint: n, registers: read(), serialBefore: capture.text() });
          if (hits.length >= maxHits) {
            full = true;
            machine.stopFromHook('code');
          }
        },
        address,
        address,
      );
    }
    const ended = await loop.run();
    return {
      runner: 'emu',
      reset,
      hits,
      end: full
        ? { kind: 'max-hits', detail: `stopped after ${hits.length} hits (--max-hits)` }
        : snapshotEnd(ended, hits.length, timeoutMs, image),
      serial: capture.text(),
      durationMs: Date.now() - startedAt,
      details: { model: options.model, seeded: options.initialRegisters !== undefined },
    };
  } finally {
    machine.close();
  }
}

function snapshotEnd(ended: LoopEnd, hits: number, timeoutMs: number, image: ElfImage): SnapshotRun['end'] {
  switch (ended.kind) {
    case 'stop':
      if (ended.stop.cause === 'cancelled') return { kind: 'timeout', detail: `cancelled after ${hits} hits` };
      if (ended.stop.cause === 'serial-cap') return { kind: 'serial-limit', detail: 'serial output limit' };
      return {
        kind: 'timeout',
        detail: `the ${timeoutMs} ms limit ran out after ${hits} hits${ended.clock === 'guest' ? '' : ` (on the ${ended.clock === 'cpu' ? "emulator's CPU time" : 'wall clock'})`}`,
      };
    case 'spin':
      return { kind: 'halted', detail: `spins on a branch to itself at ${hex(ended.pc)}: nothing raises interrupts` };
    case 'machine':
      break;
  }
  const slice = ended.outcome;
  switch (slice.kind) {
    case 'poweroff':
    case 'exit':
      return { kind: 'exited', detail: `${slice.reason} at ${hex(slice.pc)}` };
    case 'fault':
      return {
        kind: 'fault',
        detail: `${slice.fault.kind}${slice.fault.pc !== null ? ` at ${image.symbols.format(slice.fault.pc)}` : ''}: ${slice.fault.detail}`,
      };
    case 'halted':
      return { kind: 'halted', detail: `WFI at ${hex(slice.pc - 4n)}: nothing raises interrupts` };
    case 'unmodelled':
      return { kind: 'fault', detail: `the emulator does not model ${slice.device}: ${slice.detail}` };
    case 'emulator-limit':
      return { kind: 'fault', detail: `emulator limit at ${hex(slice.pc)}: ${slice.reason}` };
    case 'serial-limit':
      return { kind: 'serial-limit', detail: 'serial output limit' };
  }
}
