// QEMU `virt` (7.2, GICv2, one CPU, no extra devices) on Unicorn: RAM at 0x40000000, the two
// CFI flash banks at 0 (loadable, executable, stores handled as QEMU's pflash does and recorded:
// devices/flash-bus.ts), the MMIO devices of devices/mmio.ts, PSCI through `hvc` (psci.ts) and,
// when the machine enables it, semihosting through `HLT #0xF000` (semihosting.ts). A region of
// QEMU's memory map this file does not model ends the run as an infrastructure error naming it.
//
// Unicorn differs from QEMU in ways that matter here (checked against 2.0.1):
// - CPU exceptions are never taken to the guest's vector table: they arrive at UC_HOOK_INTR,
//   and exception-entry.ts takes them there (ESR/FAR/ELR/SPSR, EL1h, VBAR_EL1 + offset).
//   `hvc #0` at EL1 arrives as EXCP_UDEF (1) with pc at the hvc itself (pc is the next
//   instruction for EXCP_HVC (11), which 2.0.1 does not produce here, but is handled too).
// - Unmapped or protected accesses stop uc_emu_start with UC_ERR_*; the pc is exact only with
//   Unicorn.syncPcOnMemoryAccess() (otherwise it is the start of the translation block).
// - WFI makes uc_emu_start return as if finished, pc after the WFI.
// - A stop requested while a translation block runs (uc_emu_start's timeout thread, or
//   uc_emu_stop from a memory or MMIO callback) leaves pc at the last load/store, which runs
//   again on resume: a UART byte printed twice. So slices end by instruction count (Unicorn's
//   count hook stops *before* an instruction), never by time, and no callback stops the engine
//   to resume it later: a slice is the same whatever the host's load.
import type { ElfImage } from '../elf/elf.js';
import { WbdiffError } from '../errors.js';
import { hex } from '../util/hex.js';
import { FLASH_BASE, FLASH_SIZE, FlashBus } from './devices/flash-bus.js';
import { GicV3Its } from './devices/gicv3-its.js';
import { EmptyPciWindow, FwCfg, PcieEcam, Pl011, Pl031, Pl061, VirtioMmioTransports, type MmioDevice } from './devices/mmio.js';
import { attachInterrupts } from './interrupts/engine-hooks.js';
import { instructionCounterFor, type InstructionCounter } from './instruction-counter.js';
import { HardwareBreakpoints } from './breakpoints.js';
import { pmuLimit } from './pmu-limits.js';
import { CounterPolling } from './interrupts/counter-polling.js';
import { deviceForCpu, VirtInterrupts } from './interrupts/virt-interrupts.js';
import { psciCall } from './psci.js';
import { HLT_F000, semihostingCall } from './semihosting.js';
import { EXCP, strerror, UC_ERR, UC_PROT, Unicorn, type Arm64CpuModel, type InvalidMemEvent, type MemAccess } from './unicorn.js';
import { enterNonSecureEl1 } from './sysregs.js';
import { ExceptionEntry, type GuestException, type TakenException } from './exception-entry.js';
import { VirtualAliasPages } from './virtual-alias.js';

export const VIRT = {
  ramBase: 0x4000_0000n,
  uartBase: 0x0900_0000n,
  uartSize: 0x1000,
  flashBase: FLASH_BASE,
  flashSize: FLASH_SIZE,
} as const;

/** `hvc #0`. */
export const HVC_0 = 0xd400_0002;
const WFI = 0xd503_207f;

/**
 * Instructions per slice: small enough that a timeout or Ctrl-C is seen within a few
 * milliseconds, large enough that slicing costs nothing measurable.
 */
// 50k: with the instruction-counting block hook a slice of a tight loop costs ~0.45 us per
// instruction, and the event loop (QEMU's pipes in the same process, timers) waits for each slice.
export const SLICE_INSTRUCTIONS = 50_000;

/**
 * Regions of QEMU's map with nothing behind them on a plain `-M virt` (QEMU answers an access
 * with a data abort, as for any hole): the emulator leaves them unmapped too, so it faults alike.
 */
const UNASSIGNED_ON_QEMU = new Set(['platform bus', 'GIC redistributors', 'PCIe ECAM (low)']);

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
  /** The slice's instructions ran out; call runSlice again. */
  | { kind: 'running' }
  | { kind: 'poweroff'; psci: 'SYSTEM_OFF' | 'SYSTEM_RESET'; reason: string; pc: bigint }
  /** Semihosting SYS_EXIT / SYS_EXIT_EXTENDED. */
  | { kind: 'exit'; status: number; reason: string; pc: bigint }
  | { kind: 'fault'; fault: MachineFault }
  /** The guest used something of virt this model does not have: an infrastructure error. */
  | { kind: 'unmodelled'; device: string; address: bigint | null; detail: string; pc: bigint }
  /** WFI (or CPU_SUSPEND) with nothing that could ever raise an interrupt: it would sleep forever. */
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
  /** Arm semihosting (QEMU -semihosting-config enable=on): `HLT #0xF000` is a call, not a UDF. */
  semihosting?: boolean;
  /** Names of QEMU's memory map regions, for "not modelled" errors (qemu/virt.json). */
  qemuRegions?: readonly { name: string; base: bigint; end: bigint }[];
  /** QEMU -machine gic-version (default 2). */
  gicVersion?: 2 | 3;
  /** Guest time at the first instruction, in ns (default 0): the counters start there. */
  clockStartNs?: bigint;
  /** How slices are counted (instruction-counter.ts): Unicorn's own count when it offers it (default), or the block hook. */
  instructionCounting?: 'engine' | 'block-hook';
}

export interface PsciCall {
  fn: string;
  pc: string;
}

export class VirtMachine {
  readonly uc: Unicorn;
  readonly ramSize: bigint;
  readonly model: Arm64CpuModel;
  readonly flash: FlashBus;
  /** Bytes written to the UART in total. */
  serialTotal = 0;
  serialLimit: number;
  /** PSCI calls answered other than SYSTEM_OFF/RESET (first few kept). */
  readonly psciCalls: PsciCall[] = [];
  private pc: bigint = 0n;
  private serialPending = new Uint8Array(4096);
  private serialPendingLength = 0;
  /** Set by a hook that stopped the engine; read when uc_emu_start returns. */
  private stopped: SliceOutcome | null = null;
  private memFault: { event: InvalidMemEvent; pc: bigint } | null = null;
  /** Hardware breakpoints, modelled with code hooks (Unicorn's own crash the process: breakpoints.ts). */
  private readonly breakpoints: HardwareBreakpoints;
  /** The counter-polling rule (interrupts/counter-polling.ts); its counts go into run details. */
  readonly counterPolling = new CounterPolling();
  /** MMIO accesses to the devices so far: a loop that touches one is not a poll (counter-polling.ts). */
  private deviceAccesses = 0;
  /** Instructions the running uc_emu_start was asked for (the polling rule's quantum end). */
  private sliceCount = 0;
  /** A system-register access Unicorn would answer wrongly (pmu-limits.ts): the run ends as an emulator limit. */
  private sysregLimit: { reason: string; pc: bigint } | null = null;
  /** An exception UC_HOOK_INTR reported, taken to the guest's vectors once the engine stopped. */
  private pendingInterrupt: { intno: number; pc: bigint } | null = null;
  /** Exception entry to the guest's vector table (exception-entry.ts). */
  readonly exceptions: ExceptionEntry;
  /** Placeholder pages for guest mappings that are not the identity (virtual-alias.ts). */
  readonly aliases: VirtualAliasPages;
  private readonly semihosting: boolean;
  private readonly qemuRegions: readonly { name: string; base: bigint; end: bigint }[];
  private readonly devices: MmioDevice[] = [];
  private readonly startedAt = process.hrtime.bigint();
  slices = 0;
  /** The GIC, the generic timers and the instruction clock (interrupts/virt-interrupts.ts). */
  readonly interrupts: VirtInterrupts;
  /** Instructions each slice executed, exactly also when it ends early (WFI, exception, stop). */
  private readonly quantum: InstructionCounter;
  /** Interrupts taken to the guest's vectors, and WFI sleeps that an interrupt ended. */
  interruptsTaken = 0;
  wfiWakeups = 0;
  /**
   * Slices while an interrupt is pending but PSTATE masks it start at one instruction and double
   * up to SLICE_INSTRUCTIONS, so an unmasking (MSR DAIFClr, ERET) is seen soon after it happens
   * at little cost when it does not; counted in instructions, so the same bytes take it at the same place.
   */
  private maskedSlice = 0;
  /** Instructions of the slice before a load/store that hit unmapped memory, if one did. */
  private faultedAfter: number | null = null;

  private constructor(uc: Unicorn, options: VirtMachineOptions) {
    this.uc = uc;
    this.model = options.model;
    this.ramSize = BigInt(options.memoryMiB ?? 128) << 20n;
    this.serialLimit = options.serialLimit ?? Number.POSITIVE_INFINITY;
    this.exceptions = new ExceptionEntry(uc);
    this.aliases = new VirtualAliasPages(uc);
    this.semihosting = options.semihosting ?? false;
    this.qemuRegions = options.qemuRegions ?? [];
    this.interrupts = new VirtInterrupts({
      gicVersion: options.gicVersion ?? 2,
      cpus: 1,
      ...(options.clockStartNs ? { clockStartNs: options.clockStartNs } : {}),
    });
    this.quantum = instructionCounterFor(uc, options.instructionCounting);
    this.breakpoints = new HardwareBreakpoints(uc, () => this.quantum.stopBefore('code'));
    this.flash = new FlashBus(uc, () => {
      const f = this.flash.fetchFromCommandMode!;
      this.unmodelled(
        f.device,
        f.pc,
        `instruction fetches from ${f.device} in ${f.mode} (QEMU would fetch the device's status/id registers instead of code; the store at ${hex(f.pc)} switched the bank the code runs from out of read-array mode)`,
      );
    });
  }

  static create(options: VirtMachineOptions): VirtMachine {
    const memoryMiB = options.memoryMiB ?? 128;
    if (!Number.isInteger(memoryMiB) || memoryMiB < 1 || memoryMiB > 4096) {
      throw new WbdiffError(`memory size ${memoryMiB} MiB is out of range`, {
        hint: "use a whole number of MiB between 1 and 4096 (QEMU virt's default is 128)",
      });
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
    this.flash.map();
    const unmodelled = (device: string, offset: number, detail: string) => {
      const base = this.devices.find((d) => d.name === device)?.base ?? 0n;
      this.unmodelled(device, base + BigInt(offset), detail);
    };
    // The GIC's registers (interrupts/gic-v2.ts or gic-v3.ts, checked against QEMU); its lines are
    // looked at after each slice (runSlice). The only MRS/MSR hook (Unicorn runs one per kind) is
    // attachInterrupts': the ICC_* and CNT* registers; any other handler must go through it.
    const gic = this.interrupts.mmioRegions().map((region) => deviceForCpu(region, 0));
    attachInterrupts(uc, 0, this.interrupts, {
      mapMmio: false,
      executedInQuantum: this.quantum.inQuantum,
      beforeStop: () => this.quantum.stopHere(true),
      counterPolling: {
        rule: this.counterPolling,
        inQuantum: this.quantum.inQuantum,
        remaining: () => Math.max(0, this.sliceCount - this.quantum.inQuantum() - 1),
        deviceAccesses: () => this.deviceAccesses,
      },
      // DBGBCR/DBGBVR: applied once the engine has stopped (breakpoints.ts).
      deferWrite: (access) => this.breakpoints.defer(access),
      limitFor: (kind, access) => {
        const reason = pmuLimit(kind, access);
        if (reason && !this.sysregLimit) this.sysregLimit = { reason, pc: this.uc.regRead('pc') };
        return reason !== null;
      },
    });
    this.devices.push(
      ...gic,
      new Pl011(VIRT.uartBase, (byte) => this.transmit(byte)),
      new Pl031(0x0901_0000n),
      new FwCfg(0x0902_0000n, unmodelled),
      new Pl061(0x0903_0000n),
      new VirtioMmioTransports(0x0a00_0000n),
      new EmptyPciWindow('PCIe MMIO', 0x1000_0000n, 0x2eff_0000),
      new EmptyPciWindow('PCIe PIO', 0x3eff_0000n, 0x1_0000),
      new PcieEcam(0x40_1000_0000n),
    );
    // virt 7.2 with gic-version=3 has an ITS (its=on by default): its registers, no LPIs.
    if (this.interrupts.gicVersion === 3) this.devices.push(new GicV3Its(0x0808_0000n, unmodelled));
    for (const device of this.devices) {
      // Whole pages for Unicorn; the device sees offsets past its size as its own (none care).
      const size = Math.max(0x1000, Math.ceil(device.size / 0x1000) * 0x1000);
      uc.mmioMap(
        device.base,
        size,
        (offset, sz) => {
          this.deviceAccesses++;
          return device.read(Number(offset), sz);
        },
        (offset, sz, value) => {
          this.deviceAccesses++;
          device.write(Number(offset), sz, value);
        },
      );
    }
    uc.hookIntr((intno) => this.onException(intno));
    uc.hookMemInvalid((event) => {
      // A non-identity guest mapping Unicorn 2.0.1 would refuse (virtual-alias.ts): retried.
      if (this.aliases.cover(event)) return true;
      // Read pc here: it is exact (with precisePc) only until the engine unwinds.
      this.memFault = { event, pc: uc.regRead('pc') };
      // A load/store that stops the engine does so inside its block: it and the rest of the
      // block never ran (a fetch fault ends the block before it: pc is the target, not in it).
      this.faultedAfter = event.access === 'fetch' ? null : this.quantum.inQuantum();
      return false;
    });
    if (precisePc) uc.syncPcOnMemoryAccess();
  }

  /**
   * PT_LOAD segments at their physical addresses, as QEMU -kernel does: into RAM or into the
   * flash array (which -kernel writes like ROM, whatever the flash would do with a store); pc = entry.
   */
  loadElf(image: ElfImage): void {
    const ramEnd = VIRT.ramBase + this.ramSize;
    image.segments.forEach((segment, index) => {
      if (segment.type !== 'load' || segment.memsz === 0n) return;
      const start = segment.paddr;
      const end = start + segment.memsz;
      const inRam = start >= VIRT.ramBase && end <= ramEnd;
      const inFlash = start >= VIRT.flashBase && end <= VIRT.flashBase + VIRT.flashSize;
      if (!inRam && !inFlash) {
        throw new WbdiffError(
          `PT_LOAD segment ${index} (${hex(start)}-${hex(end)}, ${segment.memsz} bytes) lies outside virt's RAM ${hex(VIRT.ramBase)}-${hex(ramEnd)} and flash ${hex(VIRT.flashBase)}-${hex(VIRT.flashBase + VIRT.flashSize)}`,
          {
            where: image.path,
            hint:
              end > ramEnd && start >= VIRT.ramBase
                ? `raise the memory size (now ${this.ramSize >> 20n} MiB) or link the kernel lower in RAM`
                : 'link the kernel in RAM (the bundled kernels load at 0x40080000) or in flash (below 0x08000000); QEMU -kernel refuses other addresses too',
          },
        );
      }
      this.uc.memWrite(start, segment.data.subarray(0, Number(segment.filesz)));
      // Fresh memory is already zero; writing the bss anyway keeps a reused machine honest.
      const bss = segment.memsz - segment.filesz;
      if (bss > 0n) this.uc.memWrite(start + segment.filesz, new Uint8Array(Number(bss)));
    });
    this.pc = image.entry;
  }

  /** Bytes at a guest address in RAM or flash (a raw image, the boot stub, the DTB). */
  loadImage(address: bigint, bytes: Uint8Array): void {
    const ramEnd = VIRT.ramBase + this.ramSize;
    const end = address + BigInt(bytes.length);
    if (!(address >= VIRT.ramBase && end <= ramEnd) && !(address >= VIRT.flashBase && end <= VIRT.flashBase + VIRT.flashSize)) {
      throw new WbdiffError(
        `${bytes.length} bytes at ${hex(address)} do not fit in virt's RAM (${hex(VIRT.ramBase)}-${hex(ramEnd)}) or flash`,
        { hint: `raise the memory size (now ${this.ramSize >> 20n} MiB)` },
      );
    }
    this.uc.memWrite(address, bytes);
  }

  /** Current pc (the next instruction to run). */
  get programCounter(): bigint {
    return this.pc;
  }

  set programCounter(value: bigint) {
    this.pc = value;
  }

  /**
   * Runs at most `instructions` instructions (fewer up to the next timer deadline); stops only
   * between instructions. Then takes a pending, unmasked IRQ/FIQ to the vectors, and sleeps
   * through a WFI until an interrupt is pending (time warps to the next timer deadline).
   */
  runSlice(instructions: number = SLICE_INSTRUCTIONS): SliceOutcome {
    // While an interrupt waits for PSTATE to unmask it, the slice length follows its own sequence,
    // not the caller's size, so where it is taken does not depend on how the caller slices.
    let count = this.maskedSlice > 0 ? this.maskedSlice : Math.max(1, Math.floor(instructions));
    const limit = this.interrupts.quantumLimit();
    if (limit !== null && limit < BigInt(count)) count = Math.max(1, Number(limit));
    const outcome = this.runInstructions(count);
    if (outcome.kind === 'halted') return this.sleep(outcome);
    if (outcome.kind !== 'running') return outcome;
    return this.deliverInterrupt();
  }

  private runInstructions(count: number): SliceOutcome {
    this.stopped = null;
    this.memFault = null;
    this.pendingInterrupt = null;
    this.slices++;
    this.exceptions.tidy();
    this.quantum.begin();
    this.sliceCount = count;
    this.faultedAfter = null;
    const err = this.uc.emuStart(this.pc, -1n, 0, count);
    // A later hook (the tracer's) may map the page and let the engine go on: only a stop counts.
    const executed = this.quantum.executed(count);
    this.interrupts.retire(0, err !== UC_ERR.OK && this.faultedAfter !== null ? Math.min(executed, this.faultedAfter) : executed);
    this.pc = this.uc.regRead('pc');
    if (this.sysregLimit) return { kind: 'emulator-limit', reason: this.sysregLimit.reason, pc: this.sysregLimit.pc };
    this.breakpoints.applyPending();
    if (this.breakpoints.unmodelled) return { kind: 'emulator-limit', reason: this.breakpoints.unmodelled, pc: this.pc };
    this.flash.settle();
    const debug = this.exceptions.unmodelledDebug();
    if (debug) return { kind: 'emulator-limit', reason: debug, pc: this.pc };
    if (this.stopped) return this.stopped;
    if (err !== UC_ERR.OK) {
      const unmodelled = this.unmodelledAccess();
      if (unmodelled) return unmodelled;
    }
    const exception = this.guestException(err);
    if (exception) return this.takeException(exception);
    if (err !== UC_ERR.OK) return { kind: 'fault', fault: this.faultFromError(err) };
    // The count stop and a WFI both return OK; only a WFI leaves pc just past a WFI that ended
    // the last block (an ERET or branch to the instruction after a WFI is no sleep).
    if (this.readWord(this.pc - 4n) === WFI && this.quantum.ranThroughTo(this.pc)) return { kind: 'halted', pc: this.pc };
    return { kind: 'running' };
  }

  /** WFI: one CPU, so the machine is idle: warp to the next timer deadline until an interrupt is pending. */
  private sleep(halted: SliceOutcome & { kind: 'halted' }): SliceOutcome {
    while (!this.interrupts.wfiWakes(0)) {
      if (!this.interrupts.warpToNextEvent()) return halted;
    }
    this.wfiWakeups++;
    this.uc.regWrite('pc', this.pc);
    return this.deliverInterrupt();
  }

  /** An asynchronous exception, as QEMU takes it between instructions: ELR = the next instruction, DAIF masked. */
  private deliverInterrupt(): SliceOutcome {
    const pending = this.interrupts.pendingInterrupt(0, this.uc.regRead('pstate'));
    if (pending === null) {
      const masked = this.interrupts.wfiWakes(0);
      this.maskedSlice = masked ? Math.min(SLICE_INSTRUCTIONS, Math.max(1, this.maskedSlice * 2)) : 0;
      return { kind: 'running' };
    }
    this.maskedSlice = 0;
    this.uc.regWrite('pc', this.pc);
    const result = this.exceptions.takeInterrupt(pending);
    if (result.kind === 'taken') {
      this.interruptsTaken++;
      this.pc = result.exception.vector;
      return { kind: 'running' };
    }
    if (result.kind === 'limit')
      return { kind: 'emulator-limit', reason: `${result.why} (${pending.toUpperCase()} at ${hex(this.pc)})`, pc: this.pc };
    return { kind: 'fault', fault: machineFault(result.exception, result.why) };
  }

  /**
   * For a caller's own hook that stops the engine (a tracer site, a parity breakpoint): the slice
   * then counts exactly what ran, and the stop is never taken for a WFI.
   */
  stopFromHook(where: 'code' | 'block'): void {
    this.quantum.stopBefore(where);
    this.uc.emuStop();
  }

  /** How this machine counts executed instructions (instruction-counter.ts), for run details. */
  get instructionCounting(): InstructionCounter['kind'] {
    return this.quantum.kind;
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

  private transmit(byte: number): void {
    if (this.serialPendingLength === this.serialPending.length) {
      const grown = new Uint8Array(this.serialPending.length * 2);
      grown.set(this.serialPending);
      this.serialPending = grown;
    }
    this.serialPending[this.serialPendingLength++] = byte;
    this.serialTotal++;
    // Stopping here replays the store on resume; fine, since the run ends at the cap.
    if (this.serialTotal > this.serialLimit && !this.stopped) this.stop({ kind: 'serial-limit' });
  }

  /** Ends the run as an infrastructure error: the guest needs something not modelled here. */
  private unmodelled(device: string, address: bigint | null, detail: string): void {
    if (this.stopped) return;
    this.stop({ kind: 'unmodelled', device, address, detail, pc: this.uc.regRead('pc') });
  }

  /**
   * QEMU's map (qemu/virt.json is virt's GICv2 layout) as it is with this GIC: with
   * gic-version=3, virt 7.2 has an ITS at 0x08080000 (its=on by default; devices/gicv3-its.ts maps
   * its registers, so this entry only names it), and no GICv2 CPU interface or GICv2m frame (unassigned there, so a data abort as on QEMU).
   */
  private gicRegions(): readonly { name: string; base: bigint; end: bigint }[] {
    if (this.interrupts.gicVersion === 2) return this.qemuRegions;
    const v3 = this.qemuRegions.filter((r) => r.name !== 'GICv2 CPU interface' && r.name !== 'GICv2m MSI frame');
    return [...v3, { name: 'GICv3 ITS', base: 0x0808_0000n, end: 0x080a_0000n }];
  }

  /** An access that faulted inside a region of QEMU's map that this model does not have. */
  private unmodelledAccess(): SliceOutcome | null {
    const mem = this.memFault;
    if (mem?.event.why !== 'unmapped') return null;
    const region = this.gicRegions().find((r) => mem.event.address >= r.base && mem.event.address < r.end);
    if (!region || region.name === 'RAM' || UNASSIGNED_ON_QEMU.has(region.name)) return null;
    return {
      kind: 'unmodelled',
      device: region.name,
      address: mem.event.address,
      detail: `${mem.event.access} of ${mem.event.size} bytes at ${hex(mem.event.address)}`,
      pc: mem.pc,
    };
  }

  // ------------------------------------------------------------ exceptions

  private onException(intno: number): void {
    // The replay that finds an MMU fault's address faults again: that one is not the guest's.
    if (this.exceptions.probing) return this.uc.emuStop();
    const pc = this.uc.regRead('pc');
    // EXCP_UDEF reports the instruction's own address, EXCP_HVC / EXCP_SEMIHOST the next one.
    const at = intno === EXCP.UDEF ? pc : intno === EXCP.HVC ? pc - 4n : intno === EXCP.SEMIHOST ? pc : null;
    const word = at === null ? null : this.readWord(at);
    if (at !== null && word !== null && (word & 0xffe0_001f) >>> 0 === HVC_0) {
      this.psci(at);
      return;
    }
    if (at !== null && word === HLT_F000 && this.semihosting) {
      this.semihostingCall(at);
      return;
    }
    this.pendingInterrupt = { intno, pc };
    this.uc.emuStop();
  }

  /** What the guest takes as an exception after this slice: a reported one or an unmapped access. */
  private guestException(err: number): GuestException | null {
    const breakpoint = this.breakpoints.hit;
    if (breakpoint !== null) {
      this.breakpoints.hit = null;
      return this.exceptions.fromBreakpoint(breakpoint);
    }
    if (this.pendingInterrupt) return this.exceptions.fromInterrupt(this.pendingInterrupt.intno, this.pendingInterrupt.pc);
    // Only an access that stopped the engine: a later hook (the tracer's) may have mapped the page.
    const mem = this.memFault;
    if (mem && err !== UC_ERR.OK && mem.event.why === 'unmapped') return this.exceptions.fromUnmappedAccess(mem.event, mem.pc);
    return null;
  }

  private takeException(exception: GuestException): SliceOutcome {
    const result = this.exceptions.take(exception);
    if (result.kind === 'taken') {
      this.pc = result.exception.vector;
      return { kind: 'running' };
    }
    if (result.kind === 'limit')
      return { kind: 'emulator-limit', reason: `${result.why} (${exception.kind} at ${hex(exception.elr)})`, pc: exception.elr };
    return { kind: 'fault', fault: machineFault(exception, result.why) };
  }

  /**
   * The exception the guest is still handling when the run ends, if any. A slice often ends right
   * after an exception is taken, so the handler first gets up to `graceInstructions` more
   * instructions (counted: the same bytes give the same answer) to come back from it.
   */
  unreturnedException(graceInstructions = 1_000_000): MachineFault | null {
    const returnsBefore = this.exceptions.returns;
    let left = graceInstructions;
    while (this.exceptions.unreturned() && this.exceptions.returns === returnsBefore && left > 0) {
      const step = Math.min(left, 100_000);
      left -= step;
      if (this.runSlice(step).kind !== 'running') break;
    }
    this.takeSerial(); // output after the end of the run is not the run's
    const pending: TakenException | null = this.exceptions.returns === returnsBefore ? this.exceptions.unreturned() : null;
    return pending
      ? machineFault(pending, `taken to the vector at ${hex(pending.vector)}; the handler did not return before the run ended`)
      : null;
  }

  private psci(hvcAt: bigint): void {
    const fn = this.uc.regRead('x0');
    const answer = psciCall(fn, this.uc.regRead('x1'));
    switch (answer.kind) {
      case 'poweroff':
        this.stop({
          kind: 'poweroff',
          psci: answer.psci,
          reason: answer.psci === 'SYSTEM_OFF' ? 'PSCI SYSTEM_OFF' : 'PSCI SYSTEM_RESET (treated as power-off, like QEMU -no-reboot)',
          pc: hvcAt,
        });
        return;
      case 'suspend':
        // CPU_SUSPEND is a WFI on QEMU: runSlice sleeps until an interrupt is pending.
        this.uc.regWrite('pc', hvcAt + 4n);
        this.stop({ kind: 'halted', pc: hvcAt + 4n });
        return;
      case 'cpu-off':
        this.unmodelled('PSCI', null, `CPU_OFF of the only CPU at ${hex(hvcAt)} (QEMU would leave the machine running with no CPU)`);
        return;
      case 'return':
        if (this.psciCalls.length < 16) this.psciCalls.push({ fn: `${hex(fn)} ${answer.name}`, pc: hex(hvcAt) });
        this.uc.regWrite('x0', answer.x0);
        // Writing pc from a hook makes Unicorn resume there, past the hvc.
        this.uc.regWrite('pc', hvcAt + 4n);
    }
  }

  private semihostingCall(hltAt: bigint): void {
    const op = Number(this.uc.regRead('x0') & 0xffff_ffffn);
    const memory = { read: (a: bigint, n: number) => this.uc.memRead(a, n), write: (a: bigint, b: Uint8Array) => this.uc.memWrite(a, b) };
    let result;
    try {
      result = semihostingCall(op, this.uc.regRead('x1'), memory, process.hrtime.bigint() - this.startedAt);
    } catch (error) {
      this.stop({
        kind: 'fault',
        fault: {
          kind: 'semihosting error',
          pc: hltAt,
          address: null,
          access: null,
          detail: `semihosting call ${hex(op)}: ${(error as Error).message}`,
        },
      });
      return;
    }
    switch (result.kind) {
      case 'exit':
        this.stop({ kind: 'exit', status: result.status, reason: result.reason, pc: hltAt });
        return;
      case 'unsupported':
        this.unmodelled(
          'semihosting',
          null,
          `semihosting operation ${hex(op)} at ${hex(hltAt)} (modelled: SYS_WRITEC, SYS_WRITE0, SYS_WRITE to the console, SYS_CLOCK, SYS_ELAPSED, SYS_TICKFREQ, SYS_EXIT, SYS_EXIT_EXTENDED)`,
        );
        return;
      case 'return':
        for (const byte of result.output ?? []) this.transmit(byte);
        this.uc.regWrite('x0', result.x0);
        this.uc.regWrite('pc', hltAt + 4n);
    }
  }

  private stop(outcome: SliceOutcome): void {
    this.stopped = outcome;
    this.uc.emuStop();
  }

  private readWord(address: bigint): number | null {
    return this.uc.readWord(address);
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
      return {
        kind: access === 'fetch' ? 'prefetch abort' : 'data abort',
        pc: this.pc,
        address: null,
        access,
        detail: `unaligned ${access}; ${words}`,
      };
    }
    if (err === UC_ERR.INSN_INVALID) return { kind: 'undefined instruction', pc: this.pc, address: null, access: null, detail: words };
    return { kind: 'emulator error', pc: this.pc, address: null, access: null, detail: words };
  }
}

function machineFault(e: GuestException, why: string): MachineFault {
  return { kind: e.kind, pc: e.elr, address: e.far, access: e.access, esr: e.esr, detail: `${e.detail}; ${why}` };
}
