// QEMU `virt` as the bundled kernels see it, on Unicorn: RAM at 0x40000000, a PL011 that only
// transmits, and PSCI SYSTEM_OFF/SYSTEM_RESET through `hvc #0`. No GIC, no timer interrupts.
//
// Unicorn differs from QEMU in ways that matter here (checked against 2.0.1):
// - CPU exceptions are never taken to the guest's vector table: they arrive at UC_HOOK_INTR,
//   and exception-entry.ts takes them there (ESR/FAR/ELR/SPSR, EL1h, VBAR_EL1 + offset).
//   `hvc #0` at EL1 arrives as EXCP_UDEF (1) with pc at the hvc itself (pc is the next
//   instruction for EXCP_HVC (11), which 2.0.1 does not produce here, but is handled too).
// - Unmapped or protected accesses stop uc_emu_start with UC_ERR_*; the pc is exact only with
//   Unicorn.syncPcOnMemoryAccess() (otherwise it is the start of the translation block).
// - WFI makes uc_emu_start return as if finished, pc after the WFI.
import type { ElfImage } from '../elf/elf.js';
import { WbdiffError } from '../errors.js';
import { hex } from '../util/hex.js';
import {
  EXCP,
  strerror,
  UC_ERR,
  UC_PROT,
  Unicorn,
  type Arm64CpuModel,
  type InvalidMemEvent,
  type MemAccess,
} from './unicorn.js';
import { enterNonSecureEl1 } from './sysregs.js';
import { ExceptionEntry, type GuestException, type TakenException } from './exception-entry.js';
import { VirtualAliasPages } from './virtual-alias.js';

export const VIRT = {
  ramBase: 0x4000_0000n,
  uartBase: 0x0900_0000n,
  uartSize: 0x1000,
} as const;

/** PL011 registers the kernels touch: data register and flag register (TXFE|RXFE = idle, empty). */
export const PL011 = { DR: 0x00n, FR: 0x18n, FR_IDLE: 0x90 } as const;

/** PSCI 0.2 function ids (SMC32 convention: w0), as QEMU's virt implements them. */
export const PSCI = {
  SYSTEM_OFF: 0x8400_0008n,
  SYSTEM_RESET: 0x8400_0009n,
  NOT_SUPPORTED: -1n,
} as const;

/** `hvc #0`. */
export const HVC_0 = 0xd400_0002;

export interface MachineFault {
  /** In QEMU's words where there is one ("data abort", "undefined instruction"...). */
  kind: string;
  /** Like QEMU's ELR: the faulting instruction, or the next one for svc/hvc/smc. */
  pc: bigint | null;
  address: bigint | null;
  access: MemAccess | null;
  detail: string;
  /** The syndrome the guest would see (ESR_EL1), when the fault is an exception. */
  esr?: bigint | null;
}

export type SliceOutcome =
  /** The slice's time ran out; call runSlice again. */
  | { kind: 'running' }
  | { kind: 'poweroff'; psci: 'SYSTEM_OFF' | 'SYSTEM_RESET'; reason: string; pc: bigint }
  | { kind: 'fault'; fault: MachineFault }
  /** WFI: waits for an interrupt that never comes (nothing raises interrupts here). */
  | { kind: 'halted'; pc: bigint }
  /** The UART passed serialLimit. */
  | { kind: 'serial-limit' }
  /** Something the emulator cannot do faithfully (infrastructure, not the kernel's fault). */
  | { kind: 'emulator-limit'; reason: string; pc: bigint };

export interface VirtMachineOptions {
  model: Arm64CpuModel;
  /** RAM size in MiB (QEMU -m); default 128. */
  memoryMiB?: number;
  /** Exact pc for faulting loads/stores at some speed cost (default true). */
  precisePc?: boolean;
  /** Stop the guest as soon as the UART has received more than this many bytes. */
  serialLimit?: number;
}

export interface PsciCall {
  fn: string;
  pc: string;
}

export class VirtMachine {
  readonly uc: Unicorn;
  readonly ramSize: bigint;
  readonly model: Arm64CpuModel;
  /** Bytes written to the UART in total. */
  serialTotal = 0;
  serialLimit: number;
  /** PSCI calls other than SYSTEM_OFF/RESET, answered NOT_SUPPORTED (first few kept). */
  readonly psciCalls: PsciCall[] = [];
  private pc: bigint = 0n;
  private serialPending = new Uint8Array(4096);
  private serialPendingLength = 0;
  /** Set by a hook that stopped the engine; read when uc_emu_start returns. */
  private stopped: SliceOutcome | null = null;
  private memFault: { event: InvalidMemEvent; pc: bigint } | null = null;
  /** An exception UC_HOOK_INTR reported, taken to the guest's vectors once the engine stopped. */
  private pendingInterrupt: { intno: number; pc: bigint } | null = null;
  /** Exception entry to the guest's vector table (exception-entry.ts). */
  readonly exceptions: ExceptionEntry;
  /** Placeholder pages for guest mappings that are not the identity (virtual-alias.ts). */
  readonly aliases: VirtualAliasPages;
  slices = 0;

  private constructor(uc: Unicorn, options: VirtMachineOptions) {
    this.uc = uc;
    this.model = options.model;
    this.ramSize = BigInt(options.memoryMiB ?? 128) << 20n;
    this.serialLimit = options.serialLimit ?? Number.POSITIVE_INFINITY;
    this.exceptions = new ExceptionEntry(uc);
    this.aliases = new VirtualAliasPages(uc);
  }

  static create(options: VirtMachineOptions): VirtMachine {
    const memoryMiB = options.memoryMiB ?? 128;
    if (!Number.isInteger(memoryMiB) || memoryMiB < 1 || memoryMiB > 4096) {
      throw new WbdiffError(`memory size ${memoryMiB} MiB is out of range`, { hint: 'use a whole number of MiB between 1 and 4096 (QEMU virt\'s default is 128)' });
    }
    const uc = Unicorn.open({ model: options.model });
    try {
      const machine = new VirtMachine(uc, { ...options, memoryMiB });
      machine.build(options.precisePc ?? true);
      return machine;
    } catch (error) {
      uc.close();
      throw error;
    }
  }

  private build(precisePc: boolean): void {
    const uc = this.uc;
    uc.memMap(VIRT.ramBase, Number(this.ramSize), UC_PROT.ALL);
    // EL1 Non-secure AArch64 as on QEMU virt; without it the MMU cannot be turned on (sysregs.ts).
    enterNonSecureEl1(uc, VIRT.ramBase);
    uc.mmioMap(VIRT.uartBase, VIRT.uartSize, (offset) => this.uartRead(offset), (offset, _size, value) => this.uartWrite(offset, value));
    uc.hookIntr((intno) => this.onException(intno));
    uc.hookMemInvalid((event) => {
      // A non-identity guest mapping Unicorn 2.0.1 would refuse (virtual-alias.ts): retried.
      if (this.aliases.cover(event)) return true;
      // Read pc here: it is exact (with precisePc) only until the engine unwinds.
      this.memFault = { event, pc: uc.regRead('pc') };
      return false;
    });
    if (precisePc) uc.syncPcOnMemoryAccess();
  }

  /** PT_LOAD segments at their physical addresses (as QEMU -kernel does), bss zeroed; pc = entry. */
  loadElf(image: ElfImage): void {
    const ramEnd = VIRT.ramBase + this.ramSize;
    image.segments.forEach((segment, index) => {
      if (segment.type !== 'load' || segment.memsz === 0n) return;
      const start = segment.paddr;
      const end = start + segment.memsz;
      if (start < VIRT.ramBase || end > ramEnd) {
        throw new WbdiffError(
          `PT_LOAD segment ${index} (${hex(start)}-${hex(end)}, ${segment.memsz} bytes) lies outside the modelled RAM ${hex(VIRT.ramBase)}-${hex(ramEnd)}`,
          { where: image.path, hint: `link the kernel inside RAM (the bundled kernels load at 0x40080000) or raise the memory size (now ${this.ramSize >> 20n} MiB)` },
        );
      }
      this.uc.memWrite(start, segment.data.subarray(0, Number(segment.filesz)));
      // Fresh RAM is already zero; writing the bss anyway keeps a reused machine honest.
      const bss = segment.memsz - segment.filesz;
      if (bss > 0n) this.uc.memWrite(start + segment.filesz, new Uint8Array(Number(bss)));
    });
    this.pc = image.entry;
  }

  /** Current pc (the next instruction to run). */
  get programCounter(): bigint {
    return this.pc;
  }

  set programCounter(value: bigint) {
    this.pc = value;
  }

  /** Runs for at most timeoutUs of host time. */
  runSlice(timeoutUs: number): SliceOutcome {
    this.stopped = null;
    this.memFault = null;
    this.pendingInterrupt = null;
    this.slices++;
    this.exceptions.tidy();
    const err = this.uc.emuStart(this.pc, -1n, Math.max(1, Math.floor(timeoutUs)), 0);
    this.pc = this.uc.regRead('pc');
    if (this.stopped) return this.stopped;
    const exception = this.guestException();
    if (exception) return this.takeException(exception);
    if (err !== UC_ERR.OK) return { kind: 'fault', fault: this.faultFromError(err) };
    if (this.uc.timedOut()) return { kind: 'running' };
    return { kind: 'halted', pc: this.pc };
  }

  /** Serial bytes received since the last call. */
  takeSerial(): Uint8Array {
    const out = this.serialPending.slice(0, this.serialPendingLength);
    this.serialPendingLength = 0;
    return out;
  }

  close(): void {
    this.uc.close();
  }

  // ------------------------------------------------------------ devices

  private uartRead(offset: bigint): bigint {
    return offset === PL011.FR ? BigInt(PL011.FR_IDLE) : 0n;
  }

  private uartWrite(offset: bigint, value: bigint): void {
    if (offset !== PL011.DR) return;
    if (this.serialPendingLength === this.serialPending.length) {
      const grown = new Uint8Array(this.serialPending.length * 2);
      grown.set(this.serialPending);
      this.serialPending = grown;
    }
    this.serialPending[this.serialPendingLength++] = Number(value & 0xffn);
    this.serialTotal++;
    if (this.serialTotal > this.serialLimit && !this.stopped) this.stop({ kind: 'serial-limit' });
  }

  // ------------------------------------------------------------ exceptions

  private onException(intno: number): void {
    // The replay that finds an MMU fault's address faults again: that one is not the guest's.
    if (this.exceptions.probing) return this.uc.emuStop();
    const pc = this.uc.regRead('pc');
    // EXCP_UDEF reports the hvc's own address, EXCP_HVC the next instruction.
    const hvcAt = intno === EXCP.UDEF ? pc : intno === EXCP.HVC ? pc - 4n : null;
    if (hvcAt !== null && this.readWord(hvcAt) === HVC_0) {
      this.psci(hvcAt);
      return;
    }
    this.pendingInterrupt = { intno, pc };
    this.uc.emuStop();
  }

  /** What the guest takes as an exception after this slice: a reported one or an unmapped access. */
  private guestException(): GuestException | null {
    if (this.pendingInterrupt) return this.exceptions.fromInterrupt(this.pendingInterrupt.intno, this.pendingInterrupt.pc);
    const mem = this.memFault;
    if (mem && mem.event.why === 'unmapped') return this.exceptions.fromUnmappedAccess(mem.event, mem.pc);
    return null;
  }

  private takeException(exception: GuestException): SliceOutcome {
    const result = this.exceptions.take(exception);
    if (result.kind === 'taken') {
      this.pc = result.exception.vector;
      return { kind: 'running' };
    }
    if (result.kind === 'limit') return { kind: 'emulator-limit', reason: `${result.why} (${exception.kind} at ${hex(exception.elr)})`, pc: exception.elr };
    return { kind: 'fault', fault: machineFault(exception, result.why) };
  }

  /** The exception the guest is still handling (never came back to its return address), if any. */
  unreturnedException(): MachineFault | null {
    const pending: TakenException | null = this.exceptions.unreturned();
    return pending ? machineFault(pending, `taken to the vector at ${hex(pending.vector)}; the handler did not return before the run ended`) : null;
  }

  private psci(hvcAt: bigint): void {
    const fn = this.uc.regRead('x0') & 0xffff_ffffn;
    if (fn === PSCI.SYSTEM_OFF) {
      this.stop({ kind: 'poweroff', psci: 'SYSTEM_OFF', reason: 'PSCI SYSTEM_OFF', pc: hvcAt });
    } else if (fn === PSCI.SYSTEM_RESET) {
      this.stop({ kind: 'poweroff', psci: 'SYSTEM_RESET', reason: 'PSCI SYSTEM_RESET (treated as power-off, like QEMU -no-reboot)', pc: hvcAt });
    } else {
      if (this.psciCalls.length < 16) this.psciCalls.push({ fn: hex(fn), pc: hex(hvcAt) });
      this.uc.regWrite('x0', PSCI.NOT_SUPPORTED);
      // Writing pc from a hook makes Unicorn resume there, past the hvc.
      this.uc.regWrite('pc', hvcAt + 4n);
    }
  }

  private stop(outcome: SliceOutcome): void {
    this.stopped = outcome;
    this.uc.emuStop();
  }

  private readWord(address: bigint): number | null {
    try {
      const b = this.uc.memRead(address, 4);
      return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
    } catch {
      return null;
    }
  }

  private faultFromError(err: number): MachineFault {
    const words = `Unicorn: ${strerror(err)}`;
    const mem = this.memFault;
    if (mem) {
      const { event } = mem;
      const what = `${event.why} ${event.access} of ${event.size} bytes at ${hex(event.address)}`;
      if (event.access === 'fetch') {
        return { kind: 'prefetch abort', pc: event.address, address: event.address, access: 'fetch', detail: `${what}; ${words}` };
      }
      return { kind: 'data abort', pc: mem.pc, address: event.address, access: event.access, detail: `${what}; ${words}` };
    }
    if (err === UC_ERR.READ_UNALIGNED || err === UC_ERR.WRITE_UNALIGNED || err === UC_ERR.FETCH_UNALIGNED) {
      const access = err === UC_ERR.READ_UNALIGNED ? 'read' : err === UC_ERR.WRITE_UNALIGNED ? 'write' : 'fetch';
      return { kind: access === 'fetch' ? 'prefetch abort' : 'data abort', pc: this.pc, address: null, access, detail: `unaligned ${access}; ${words}` };
    }
    if (err === UC_ERR.INSN_INVALID) return { kind: 'undefined instruction', pc: this.pc, address: null, access: null, detail: words };
    return { kind: 'emulator error', pc: this.pc, address: null, access: null, detail: words };
  }
}

function machineFault(e: GuestException, why: string): MachineFault {
  return { kind: e.kind, pc: e.elr, address: e.far, access: e.access, esr: e.esr, detail: `${e.detail}; ${why}` };
}
