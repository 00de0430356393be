// QEMU `virt` (7.2, GICv2 or v3, -smp N; of extra devices only pci-testdev) on Unicorn: RAM at 0x40000000, the two
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
//
// Several CPUs (-smp N): one engine per CPU, all mapping one RAM buffer and one flash array
// (uc_mem_map_ptr) and the same device objects (the GIC with the accessing CPU's index). They run
// round-robin in CPU order, a turn of a fixed number of instructions each (`quantum`), so a run
// is the same whatever the caller's slice size, host or load. See README "Several CPUs".
import type { ElfImage } from '../elf/elf.js';
import { WbdiffError } from '../errors.js';
import { hex } from '../util/hex.js';
import { VIRT_RAM_BASE } from '../util/virt-addresses.js';
import { FLASH_BASE, FLASH_SIZE, FlashBus } from './devices/flash-bus.js';
import { GicV3Its } from './devices/gicv3-its.js';
import { HardwareBreakpoints } from './breakpoints.js';
import { CounterPolling } from './interrupts/counter-polling.js';
import { FwCfg, PciWindow, PcieEcam, Pl011, Pl031, Pl061, VirtioMmioTransports, type MmioDevice } from './devices/mmio.js';
import { PciTestdev } from './devices/pci-testdev.js';
import { attachInterrupts } from './interrupts/engine-hooks.js';
import { instructionCounterFor, type InstructionCounter } from './instruction-counter.js';
import { deviceForCpu, VirtInterrupts } from './interrupts/virt-interrupts.js';
import { psciCall, virtAffinity, type PowerState, type PsciCpus } from './psci.js';
import { guestStage1 } from './virtual-alias.js';
import { HLT_F000, semihostingCall } from './semihosting.js';
import {
  EXCP,
  strerror,
  UC_ERR,
  UC_PROT,
  Unicorn,
  type Arm64CpuModel,
  type CodeRange,
  type InvalidMemEvent,
  type MemAccess,
} from './unicorn.js';
import { enterNonSecureEl1 } from './sysregs.js';
import { ExceptionEntry, type GuestException, type TakenException } from './exception-entry.js';
import { BRANCH_TO_SELF } from './exceptions.js';
import { VirtualAliasPages } from './virtual-alias.js';
import { SoftwareStep } from './software-step.js';

export const VIRT = {
  ramBase: VIRT_RAM_BASE,
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
  /**
   * Every CPU waits in WFI (or CPU_SUSPEND) with nothing that could ever raise an interrupt, or
   * is off: the machine would sleep forever. pc is past the WFI of the first sleeping CPU;
   * `reason` says it in words when that is not one CPU's WFI (several CPUs, all off).
   */
  | { kind: 'halted'; pc: bigint; reason?: string }
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
  /** The PL031's date at guest time 0, in Unix ms, then following guest time (deterministic runs); default: the host's date. */
  rtcStartMs?: number;
  /** How slices are counted (instruction-counter.ts): Unicorn's own count when it offers it (default), or the block hook. */
  instructionCounting?: 'engine' | 'block-hook';
  /** Whether virt has its GICv3 ITS (QEMU -machine its=on, the default; devices/gicv3-its.ts: registers, no LPIs). */
  gicIts?: boolean;
  /** QEMU's pci-testdev plugged in at 00:01.0 (`-device pci-testdev`; devices/pci-testdev.ts). */
  pciTestdev?: boolean;
  /**
   * The polling rule (interrupts/counter-polling.ts; one CPU only; default off). Off under
   * --deterministic, whose counters must equal QEMU -icount's instruction for instruction.
   */
  pollingRule?: boolean;
  /** CPUs (QEMU -smp; default 1). CPU 0 boots; the others start powered off, as on virt with PSCI. */
  cpus?: number;
  /** With several CPUs: instructions of each CPU's turn (default SMP_QUANTUM). */
  quantum?: number;
  /** A reusable engine from an EnginePool (engine-pool.ts), new or reset, of this model; default: a new engine. */
  engine?: Unicorn;
}

/**
 * Instructions a CPU runs before the next one's turn when there are several: the interleaving
 * the guest sees. Fixed (not the caller's slice), so a run is reproducible; small enough that a
 * CPU spinning on a lock another holds wastes little, large enough that switching costs little.
 */
export const SMP_QUANTUM = 10_000;

export interface PsciCall {
  fn: string;
  pc: string;
  /** The calling CPU (with several CPUs only). */
  cpu?: number;
}

/** One CPU: its engine, its exception entry, and what its last engine run left behind. */
class VirtCpu {
  pc = 0n;
  power: PowerState;
  /** In WFI or CPU_SUSPEND until an interrupt is pending at it (wfiWakes). */
  sleeping = false;
  /** CPU_ON accepted for this CPU: it starts at its next turn (QEMU runs it as async work on the target). */
  start: { entry: bigint; context: bigint } | null = null;
  /** Whether the engine has run guest code (a second CPU_ON then gets a fresh engine: a reset). */
  ran = false;
  /** Instructions this CPU executed (all its lives). */
  instructions = 0;
  /** See VirtMachine.runTurn: slices while an interrupt is pending but masked. */
  maskedSlice = 0;
  /** Set by a hook that stopped the engine; read when uc_emu_start returns. */
  stopped: SliceOutcome | null = null;
  memFault: { event: InvalidMemEvent; pc: bigint } | null = null;
  /** An exception UC_HOOK_INTR reported, taken to the guest's vectors once the engine stopped. */
  pendingException: { intno: number; pc: bigint; syndrome: number | null } | null = null;
  /** Instructions of the run before a load/store that hit unmapped memory, if one did. */
  faultedAfter: number | null = null;
  /** Code ranges another CPU invalidated (IC IALLU/IALLUIS/IVAU) to drop from this engine's translations before it runs. */
  staleCode: { begin: bigint; end: bigint }[] = [];
  readonly exceptions: ExceptionEntry;
  readonly aliases: VirtualAliasPages;
  /** Instructions each engine run executed, exactly also when it ends early (WFI, exception, stop). */
  readonly quantum: InstructionCounter;
  /** Hardware breakpoints, modelled with code hooks (Unicorn's own crash the process: breakpoints.ts). */
  readonly breakpoints: HardwareBreakpoints;
  /** Software step: Unicorn's state machine, kept in step with PSTATE.D (software-step.ts). */
  readonly step: SoftwareStep;
  /** Instructions the running uc_emu_start was asked for (the polling rule's quantum end). */
  runCount = 0;
  /** With several CPUs: instructions of this run the polling rule skipped as time (they count toward the turn). */
  skippedInRun = 0;

  constructor(
    readonly index: number,
    readonly uc: Unicorn,
    counting: InstructionCounter['kind'] | undefined,
  ) {
    this.power = index === 0 ? 'on' : 'off';
    this.exceptions = new ExceptionEntry(uc);
    this.aliases = new VirtualAliasPages(uc);
    this.quantum = instructionCounterFor(uc, counting);
    this.breakpoints = new HardwareBreakpoints(uc, () => this.quantum.stopBefore('code'));
    this.step = new SoftwareStep(uc, () => this.quantum.stopBefore('code'));
  }
}

export class VirtMachine {
  /** The polling rule (interrupts/counter-polling.ts), one CPU only; its counts go into run details. */
  readonly counterPolling = new CounterPolling();
  /** MMIO accesses to the devices so far: a loop that touches one is not a poll (counter-polling.ts). */
  private deviceAccesses = 0;
  readonly ramSize: bigint;
  readonly model: Arm64CpuModel;
  readonly flash: FlashBus;
  /** Bytes written to the UART in total. */
  serialTotal = 0;
  serialLimit: number;
  /** PSCI calls answered other than SYSTEM_OFF/RESET (first few kept). */
  readonly psciCalls: PsciCall[] = [];
  /** The CPUs, in MPIDR order; CPU 0 boots. */
  readonly cpus: VirtCpu[] = [];
  private serialPending = new Uint8Array(4096);
  private serialPendingLength = 0;
  private readonly semihosting: boolean;
  private readonly rtcStartMs: number | undefined;
  private readonly qemuRegions: readonly { name: string; base: bigint; end: bigint }[];
  private readonly devices: MmioDevice[] = [];
  private readonly startedAt = process.hrtime.bigint();
  private readonly precisePc: boolean;
  /** RAM and flash as host buffers every engine maps (several CPUs only; one engine owns its own). */
  private readonly shared: { ram: Uint8Array; flash: Uint8Array } | null;
  private readonly quantumSize: number;
  private readonly gicIts: boolean;
  private readonly pollingRule: boolean;
  /** The CPU whose turn it is (or was last): hooks and devices act on it. */
  private current: VirtCpu;
  /** Round-robin position: the CPU whose turn comes next, and whether any CPU ran this round. */
  private nextCpu = 0;
  private roundRan = false;
  /** Engine runs (uc_emu_start calls) so far. */
  slices = 0;
  /** The GIC, the generic timers and the instruction clock (interrupts/virt-interrupts.ts). */
  readonly interrupts: VirtInterrupts;
  /** How each engine counts executed instructions (instruction-counter.ts). */
  private readonly instructionCountingOption: InstructionCounter['kind'] | undefined;
  /** Interrupts taken to the guest's vectors, and WFI sleeps that an interrupt ended. */
  interruptsTaken = 0;
  wfiWakeups = 0;
  /** CPU_ON calls that started a CPU. */
  cpusStarted = 0;

  private constructor(uc: Unicorn, options: VirtMachineOptions & { cpus: number }) {
    this.model = options.model;
    this.ramSize = BigInt(options.memoryMiB ?? 128) << 20n;
    this.serialLimit = options.serialLimit ?? Number.POSITIVE_INFINITY;
    this.semihosting = options.semihosting ?? false;
    this.rtcStartMs = options.rtcStartMs;
    this.qemuRegions = options.qemuRegions ?? [];
    this.precisePc = options.precisePc ?? true;
    this.quantumSize = Math.max(1, Math.floor(options.quantum ?? SMP_QUANTUM));
    this.gicIts = options.gicIts ?? true;
    this.pollingRule = options.pollingRule ?? false;
    this.instructionCountingOption = options.instructionCounting;
    this.shared = options.cpus > 1 ? { ram: new Uint8Array(Number(this.ramSize)), flash: new Uint8Array(Number(FLASH_SIZE)) } : null;
    this.interrupts = new VirtInterrupts({
      gicVersion: options.gicVersion ?? 2,
      cpus: options.cpus,
      ...(options.clockStartNs ? { clockStartNs: options.clockStartNs } : {}),
    });
    this.flash = new FlashBus(uc, () => {
      const f = this.flash.fetchFromCommandMode!;
      this.unmodelled(
        f.device,
        f.pc,
        `instruction fetches from ${f.device} in ${f.mode} (QEMU would fetch the device's status/id registers instead of code; the store at ${hex(f.pc)} switched the bank the code runs from out of read-array mode)`,
      );
    });
    const unmodelled = (device: string, offset: number, detail: string) => {
      const base = this.devices.find((d) => d.name === device)?.base ?? 0n;
      this.unmodelled(device, base + BigInt(offset), detail);
    };
    this.devices.push(
      new Pl011(VIRT.uartBase, (byte) => this.transmit(byte)),
      new Pl031(0x0901_0000n, this.rtcClock()),
      new FwCfg(0x0902_0000n, unmodelled),
      new Pl061(0x0903_0000n),
      new VirtioMmioTransports(0x0a00_0000n),
    );
    // -device pci-testdev: QEMU puts it in the first free slot of bus 0, 00:01.0 (devfn 8).
    const testdev = options.pciTestdev ? [new PciTestdev()] : [];
    this.devices.push(
      new PciWindow('PCIe MMIO', 0x1000_0000n, 0x2eff_0000, 'memory', 0x1000_0000, testdev),
      new PciWindow('PCIe PIO', 0x3eff_0000n, 0x1_0000, 'io', 0, testdev),
      new PcieEcam(0x40_1000_0000n, new Map(testdev.map((d) => [8, d]))),
    );
    // virt 7.2 with gic-version=3 has an ITS (its=on by default): its registers, no LPIs.
    if (this.interrupts.gicVersion === 3 && this.gicIts) this.devices.push(new GicV3Its(0x0808_0000n, unmodelled));
    this.current = new VirtCpu(0, uc, this.instructionCountingOption);
    this.cpus.push(this.current);
  }

  /** The PL031's clock in Unix ms: the host's, or (rtcStartMs) guest time as the accessing instruction sees it. */
  private rtcClock(): () => number {
    const start = this.rtcStartMs;
    if (start === undefined) return Date.now;
    return () => start + Number(this.interrupts.clock.nsAtAccess() / 1_000_000n);
  }

  static create(options: VirtMachineOptions): VirtMachine {
    const memoryMiB = options.memoryMiB ?? 128;
    if (!Number.isInteger(memoryMiB) || memoryMiB < 1 || memoryMiB > 4096) {
      throw new WbdiffError(`memory size ${memoryMiB} MiB is out of range`, {
        hint: "use a whole number of MiB between 1 and 4096 (QEMU virt's default is 128)",
      });
    }
    const cpus = options.cpus ?? 1;
    const most = (options.gicVersion ?? 2) === 2 ? 8 : 123;
    if (!Number.isInteger(cpus) || cpus < 1 || cpus > most) {
      throw new WbdiffError(`-smp ${cpus} is out of range for virt with a GICv${options.gicVersion ?? 2}`, {
        hint: `use 1 to ${most} CPUs${most === 8 ? ' (or -machine gic-version=3 for more)' : ''}, as QEMU's virt accepts`,
      });
    }
    // A pooled engine (engine-pool.ts) only with one CPU: shared RAM over several engines is not proven resettable.
    if (options.engine && cpus > 1) throw new Error('a pooled engine is for one CPU; -smp N builds its own engines');
    const uc = options.engine ?? Unicorn.open({ model: options.model });
    let machine: VirtMachine | null = null;
    try {
      machine = new VirtMachine(uc, { ...options, memoryMiB, cpus });
      machine.build(machine.cpus[0]!);
      for (let index = 1; index < cpus; index++) machine.cpus.push(machine.newCpu(index));
      return machine;
    } catch (error) {
      if (machine) machine.close();
      else uc.close();
      throw error;
    }
  }

  /** The boot CPU's engine (loading, the DTB, the tracer's hooks). */
  get uc(): Unicorn {
    return this.cpus[0]!.uc;
  }

  /** The boot CPU's exception entry. */
  get exceptions(): ExceptionEntry {
    return this.cpus[0]!.exceptions;
  }

  /** Placeholder pages of the boot CPU (virtual-alias.ts). */
  get aliases(): VirtualAliasPages {
    return this.cpus[0]!.aliases;
  }

  /** A powered-off CPU with a fresh engine, built like CPU 0's. */
  private newCpu(index: number): VirtCpu {
    const cpu = new VirtCpu(index, Unicorn.open({ model: this.model }), this.instructionCountingOption);
    try {
      this.build(cpu);
    } catch (error) {
      cpu.uc.close();
      throw error;
    }
    return cpu;
  }

  private build(cpu: VirtCpu): void {
    const { uc, index } = cpu;
    if (this.shared) uc.memMapPtr(VIRT.ramBase, this.shared.ram, UC_PROT.ALL);
    else uc.memMap(VIRT.ramBase, Number(this.ramSize), UC_PROT.ALL);
    // EL1 Non-secure AArch64 as on QEMU virt; without it the MMU cannot be turned on (sysregs.ts).
    // A reset pooled engine is back in that state already (its saved CPU state is taken here).
    if (!uc.hasPristine) {
      enterNonSecureEl1(uc, VIRT.ramBase);
      if (uc.reusable) uc.savePristine();
    }
    if (this.shared) this.flash.attach(uc, this.shared.flash);
    else this.flash.map();
    // The GIC's registers (interrupts/gic-v2.ts or gic-v3.ts, checked against QEMU), banked by
    // this CPU's index; its lines are looked at after each run. The only MRS/MSR hook (Unicorn runs
    // one per kind) is attachInterrupts': the ICC_*, CNT* and MPIDR registers; any other handler must go through it.
    const gic = this.interrupts.mmioRegions().map((region) => deviceForCpu(region, index));
    attachInterrupts(uc, index, this.interrupts, {
      mapMmio: false,
      executedInQuantum: cpu.quantum.inQuantum,
      beforeStop: () => cpu.quantum.stopHere(true),
      // DBGBCR/DBGBVR: applied once the engine has stopped (breakpoints.ts).
      deferWrite: (access) => cpu.breakpoints.defer(access),
      // With several CPUs no other CPU runs until this one's turn ends, so nothing but time can
      // change what a loop reads until then: skips stop at the end of the run (a turn's part),
      // and what they skip counts toward the turn, so each CPU's share of guest time is the same.
      ...(this.pollingRule
        ? {
            counterPolling: {
              rule: this.counterPolling,
              inQuantum: cpu.quantum.inQuantum,
              remaining: () => Math.max(0, cpu.runCount - cpu.quantum.inQuantum() - 1 - cpu.skippedInRun),
              deviceAccesses: () => this.deviceAccesses,
              ...(this.shared ? { skipWithinRun: (instructions: number) => (cpu.skippedInRun += instructions) } : {}),
            },
          }
        : {}),
    });
    for (const device of [...gic, ...this.devices]) {
      // Whole pages for Unicorn; the device sees offsets past its size as its own (none care).
      const size = Math.max(0x1000, Math.ceil(device.size / 0x1000) * 0x1000);
      const raisesInterrupts = gic.includes(device);
      uc.mmioMap(
        device.base,
        size,
        (offset, sz) => {
          this.deviceAccesses++;
          return device.read(Number(offset), sz);
        },
        (offset, sz, value) => {
          this.deviceAccesses++;
          if (!raisesInterrupts) return device.write(Number(offset), sz, value);
          const wasHigh = this.interrupts.wfiWakes(index);
          device.write(Number(offset), sz, value);
          // An interrupt this store raised for this CPU (an SGI to itself, a pending bit set, an
          // enable or priority change) is looked at right after it, not at the slice's end: the
          // slice's count runs out here (the block-hook counter cannot, and waits for the end).
          if (!wasHigh && this.interrupts.wfiWakes(index) && uc.endCountHere()) cpu.quantum.stopHere(true);
        },
      );
    }
    uc.hookIntr((intno) => this.onException(cpu, intno));
    uc.hookMemInvalid((event) => {
      // A non-identity guest mapping Unicorn 2.0.1 would refuse (virtual-alias.ts): retried.
      if (cpu.aliases.cover(event)) return true;
      // Read pc here: it is exact (with precisePc) only until the engine unwinds.
      cpu.memFault = { event, pc: uc.regRead('pc') };
      // A load/store that stops the engine does so inside its block: it and the rest of the
      // block never ran (a fetch fault ends the block before it: pc is the target, not in it).
      cpu.faultedAfter = event.access === 'fetch' ? null : cpu.quantum.inQuantum();
      return false;
    });
    if (this.precisePc) uc.syncPcOnMemoryAccess();
    // Each engine translates code for itself: an instruction cache invalidation by one CPU drops
    // the range from the others' translations before they run again (README "Several CPUs").
    if (this.shared) uc.hookSysInsn('SYS', (access) => this.onCacheMaintenance(cpu, access));
    // A pooled engine (one CPU only): regions of its previous machine that this one did not map again go.
    if (uc.reusable) uc.dropUnadopted();
  }

  /**
   * PT_LOAD segments at their physical addresses, as QEMU -kernel does: into RAM or into the
   * flash array (which -kernel writes like ROM, whatever the flash would do with a store); pc = entry.
   */
  loadElf(image: ElfImage): void {
    const ramEnd = VIRT.ramBase + this.ramSize;
    const chunks: { address: bigint; bytes: Uint8Array }[] = [];
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
      chunks.push({ address: start, bytes: segment.data.subarray(0, Number(segment.filesz)) });
      if (segment.flags.x) this.codeRanges.push({ start, end });
      // Written as zeros, not left to fresh memory: a reused engine keeps these pages (memWriteWhole).
      const bss = segment.memsz - segment.filesz;
      if (bss > 0n) chunks.push({ address: start + segment.filesz, bytes: new Uint8Array(Number(bss)) });
    });
    this.uc.memWriteWhole(chunks);
    this.cpus[0]!.pc = image.entry;
  }

  /**
   * Where the loaded code is (an ELF's executable segments; images loaded as code): what a pooled
   * engine's reset searches for translated code, and where software step looks for DAIF writes.
   */
  readonly codeRanges: CodeRange[] = [];

  /** Bytes at a guest address in RAM or flash (a raw image and the boot stub as `code`; the DTB, an initrd). */
  loadImage(address: bigint, bytes: Uint8Array, options: { code?: boolean } = {}): void {
    const ramEnd = VIRT.ramBase + this.ramSize;
    const end = address + BigInt(bytes.length);
    if (!(address >= VIRT.ramBase && end <= ramEnd) && !(address >= VIRT.flashBase && end <= VIRT.flashBase + VIRT.flashSize)) {
      throw new WbdiffError(
        `${bytes.length} bytes at ${hex(address)} do not fit in virt's RAM (${hex(VIRT.ramBase)}-${hex(ramEnd)}) or flash`,
        { hint: `raise the memory size (now ${this.ramSize >> 20n} MiB)` },
      );
    }
    this.uc.memWrite(address, bytes);
    if (options.code) this.codeRanges.push({ start: address, end: end });
  }

  /** The pc (the next instruction to run) of the CPU that ran last; set: the boot CPU's entry. */
  get programCounter(): bigint {
    return this.current.pc;
  }

  set programCounter(value: bigint) {
    this.cpus[0]!.pc = value;
  }

  /**
   * The pc of a CPU spinning on a branch to itself that nothing can ever take away, when the whole
   * machine is stuck that way: every CPU is off, asleep in WFI, or on `b .`, none with an
   * interrupt that could ever reach it (with one CPU: the CPU that ran last is on `b .` and cannot
   * be interrupted). A running CPU could always send an SGI, so then it is null.
   */
  spinningForever(): bigint | null {
    const spinning = (cpu: VirtCpu) => cpu.uc.readWord(cpu.pc) === BRANCH_TO_SELF && !this.interrupts.couldEverWake(cpu.index);
    if (!this.shared) return spinning(this.current) ? this.current.pc : null;
    let found: bigint | null = null;
    for (const cpu of this.cpus) {
      if (cpu.power === 'off') continue;
      if (cpu.power === 'on-pending') return null;
      if (cpu.sleeping && !this.interrupts.couldEverWake(cpu.index)) continue;
      if (!spinning(cpu)) return null;
      found ??= cpu.pc;
    }
    return found;
  }

  /** Per-CPU state for a run's details: power, pc, and the quantum. */
  smpDetails(): {
    quantum: number;
    cpusStarted: number;
    cpus: { cpu: number; power: PowerState; pc: string; sleeping: boolean; instructions: string }[];
  } {
    return {
      quantum: this.quantumSize,
      cpusStarted: this.cpusStarted,
      cpus: this.cpus.map((cpu) => ({
        cpu: cpu.index,
        power: cpu.power,
        pc: hex(cpu.pc),
        sleeping: cpu.sleeping,
        instructions: String(cpu.instructions),
      })),
    };
  }

  /** The CPU that ran last (the one an outcome is about). */
  get currentCpu(): number {
    return this.current.index;
  }

  /**
   * Runs about `instructions` instructions and stops only between instructions; then takes a
   * pending, unmasked IRQ/FIQ to the vectors, and sleeps through a WFI until an interrupt is
   * pending (time warps to the next timer deadline when every CPU sleeps). With one CPU a slice is
   * one engine run of at most `instructions`; with several, whole turns of the fixed quantum
   * round-robin until `instructions` have run, so where CPUs interleave never depends on the
   * caller's slice size.
   */
  runSlice(instructions: number = SLICE_INSTRUCTIONS): SliceOutcome {
    const wanted = Math.max(1, Math.floor(instructions));
    const quantum = this.shared ? this.quantumSize : wanted;
    let ran = 0;
    do {
      const cpu = this.cpus[this.nextCpu]!;
      this.nextCpu = (this.nextCpu + 1) % this.cpus.length;
      const turn = this.runTurn(cpu, quantum);
      if (turn.outcome.kind !== 'running') return turn.outcome;
      ran += turn.executed;
      if (this.nextCpu !== 0) continue;
      // A whole round: when no CPU could run, the machine is idle.
      const idle = this.roundRan ? null : this.idle();
      this.roundRan = false;
      if (idle) return idle;
    } while (this.shared && ran < wanted);
    return { kind: 'running' };
  }

  /** One CPU's turn: up to `quantum` instructions, cut at timer deadlines, WFI, CPU_OFF. */
  private runTurn(cpu: VirtCpu, quantum: number): { outcome: SliceOutcome; executed: number } {
    let executed = 0;
    const done = (outcome: SliceOutcome = { kind: 'running' }) => ({ outcome, executed });
    if (cpu.power === 'on-pending') this.powerOn(cpu);
    if (cpu.power !== 'on') return done();
    if (cpu.sleeping) {
      if (!this.interrupts.wfiWakes(cpu.index)) return done();
      const woken = this.wake(cpu);
      if (woken.kind !== 'running') return done(woken);
    }
    this.roundRan = true;
    let left = quantum;
    while (left > 0 && cpu.power === 'on' && !cpu.sleeping) {
      // While an interrupt waits for PSTATE to unmask it, runs follow their own sequence (1, 2,
      // 4 ... instructions), not the turn's size, so it is taken soon and at the same place.
      let count = cpu.maskedSlice > 0 ? Math.min(cpu.maskedSlice, left) : left;
      const limit = this.interrupts.quantumLimit();
      if (limit !== null && limit < BigInt(count)) count = Math.max(1, Number(limit));
      const run = this.runInstructions(cpu, count);
      executed += run.executed;
      left -= Math.max(1, run.executed + cpu.skippedInRun);
      if (run.outcome.kind === 'halted') {
        cpu.sleeping = true;
        if (!this.interrupts.wfiWakes(cpu.index)) break;
        const woken = this.wake(cpu);
        if (woken.kind !== 'running') return done(woken);
      } else {
        if (run.outcome.kind !== 'running') return done(run.outcome);
        if (cpu.power !== 'on') break;
        const delivered = this.deliverInterrupt(cpu);
        if (delivered.kind !== 'running') return done(delivered);
      }
      // One CPU: one engine run per slice, so a stop another hook asked for (the tracer's) is
      // seen by the caller right after it, as before several CPUs existed.
      if (!this.shared) break;
    }
    return done();
  }

  /**
   * No CPU could run this round: each is off or asleep with nothing pending. Time moves to the
   * next timer deadline (QEMU -icount sleep=off); with none armed the machine would sleep forever.
   */
  private idle(): SliceOutcome | null {
    const asleep = this.cpus.filter((cpu) => cpu.power === 'on' && cpu.sleeping);
    if (asleep.length === 0) {
      if (this.cpus.some((cpu) => cpu.power !== 'off')) return null;
      const pc = this.cpus[0]!.pc;
      return { kind: 'halted', pc, reason: `every CPU is powered off (PSCI CPU_OFF); QEMU would run on with no CPU until the timeout` };
    }
    if (asleep.some((cpu) => this.interrupts.wfiWakes(cpu.index))) return null;
    if (this.interrupts.warpToNextEvent()) return null;
    this.current = asleep[0]!;
    if (this.cpus.length === 1) return { kind: 'halted', pc: this.current.pc };
    const where = asleep.map((cpu) => `CPU ${cpu.index} at ${hex(cpu.pc - 4n)}`).join(', ');
    const off = this.cpus.filter((cpu) => cpu.power === 'off').map((cpu) => cpu.index);
    return {
      kind: 'halted',
      pc: this.current.pc,
      reason: `every CPU waits in WFI (${where})${off.length ? ` or is off (CPU ${off.join(', ')})` : ''} and nothing can raise an interrupt (no interrupt pending, no timer armed)`,
    };
  }

  /** A sleeping CPU with an interrupt pending at it: it leaves WFI and takes it if PSTATE allows. */
  private wake(cpu: VirtCpu): SliceOutcome {
    cpu.sleeping = false;
    this.wfiWakeups++;
    cpu.uc.regWrite('pc', cpu.pc);
    return this.deliverInterrupt(cpu);
  }

  /**
   * CPU_ON's deferred half, as QEMU's arm_set_cpu_on_async_work: a reset CPU (a fresh engine if
   * this one ever ran) at EL1h with DAIF masked, x0 = the context id, pc = the entry.
   */
  private powerOn(cpu: VirtCpu): void {
    let target = cpu;
    if (cpu.ran) {
      cpu.uc.close();
      target = this.newCpu(cpu.index);
      target.instructions = cpu.instructions;
      this.cpus[cpu.index] = target;
      this.interrupts.resetCpu(cpu.index);
    }
    const start = cpu.start!;
    target.uc.regWrite('pstate', 0x3c5n); // EL1h, D A I F set
    target.uc.regWrite('x0', start.context);
    target.pc = start.entry;
    target.power = 'on';
    target.start = null;
    this.cpusStarted++;
  }

  private runInstructions(cpu: VirtCpu, count: number): { outcome: SliceOutcome; executed: number } {
    const uc = cpu.uc;
    this.current = cpu;
    this.flash.select(uc);
    cpu.stopped = null;
    cpu.memFault = null;
    cpu.pendingException = null;
    cpu.ran = true;
    this.slices++;
    for (const range of cpu.staleCode.splice(0)) uc.removeCachedCode(range.begin, range.end);
    cpu.exceptions.tidy();
    cpu.quantum.begin();
    cpu.runCount = count;
    cpu.skippedInRun = 0;
    cpu.faultedAfter = null;
    const err = uc.emuStart(cpu.pc, -1n, 0, count);
    // A later hook (the tracer's) may map the page and let the engine go on: only a stop counts.
    const counted = cpu.quantum.executed(count);
    const executed = err !== UC_ERR.OK && cpu.faultedAfter !== null ? Math.min(counted, cpu.faultedAfter) : counted;
    this.interrupts.retire(cpu.index, executed);
    cpu.instructions += executed;
    cpu.pc = uc.regRead('pc');
    this.flash.settle();
    const result = (outcome: SliceOutcome) => ({ outcome, executed });
    cpu.breakpoints.undoWatchedAccess();
    if (cpu.breakpoints.applyPending()) cpu.step.rearm(this.codeRanges);
    if (cpu.step.syncNeeded) cpu.step.sync();
    if (cpu.breakpoints.unmodelled) return result({ kind: 'emulator-limit', reason: cpu.breakpoints.unmodelled, pc: cpu.pc });
    if (cpu.step.unmodelled) return result({ kind: 'emulator-limit', reason: cpu.step.unmodelled, pc: cpu.pc });
    const debug = cpu.exceptions.unmodelledDebug();
    if (debug) return result({ kind: 'emulator-limit', reason: debug, pc: cpu.pc });
    if (cpu.stopped) return result(cpu.stopped);
    if (err !== UC_ERR.OK) {
      const unmodelled = this.unmodelledAccess(cpu);
      if (unmodelled) return result(unmodelled);
    }
    const exception = this.guestException(cpu, err);
    if (exception) return result(this.takeException(cpu, exception));
    if (err !== UC_ERR.OK) return result({ kind: 'fault', fault: this.faultFromError(cpu, err) });
    // The count stop and a WFI both return OK; only a WFI leaves pc just past a WFI that ended
    // the last block (an ERET or branch to the instruction after a WFI is no sleep).
    if (uc.readWord(cpu.pc - 4n) === WFI && cpu.quantum.ranThroughTo(cpu.pc)) return result({ kind: 'halted', pc: cpu.pc });
    return result({ kind: 'running' });
  }

  /** An asynchronous exception, as QEMU takes it between instructions: ELR = the next instruction, DAIF masked. */
  private deliverInterrupt(cpu: VirtCpu): SliceOutcome {
    const pending = this.interrupts.pendingInterrupt(cpu.index, cpu.uc.regRead('pstate'));
    if (pending === null) {
      const masked = this.interrupts.wfiWakes(cpu.index);
      cpu.maskedSlice = masked ? Math.min(SLICE_INSTRUCTIONS, Math.max(1, cpu.maskedSlice * 2)) : 0;
      return { kind: 'running' };
    }
    cpu.maskedSlice = 0;
    cpu.uc.regWrite('pc', cpu.pc);
    const result = cpu.exceptions.takeInterrupt(pending);
    if (result.kind === 'taken') {
      this.interruptsTaken++;
      cpu.pc = result.exception.vector;
      cpu.step.sync();
      return { kind: 'running' };
    }
    if (result.kind === 'limit')
      return { kind: 'emulator-limit', reason: `${result.why} (${pending.toUpperCase()} at ${hex(cpu.pc)})`, pc: cpu.pc };
    return { kind: 'fault', fault: machineFault(result.exception, result.why) };
  }

  /**
   * For a caller's own hook that stops the engine (a tracer site, a parity breakpoint): the slice
   * then counts exactly what ran, and the stop is never taken for a WFI.
   */
  stopFromHook(where: 'code' | 'block'): void {
    this.current.quantum.stopBefore(where);
    this.current.uc.emuStop();
  }

  /** How this machine counts executed instructions (instruction-counter.ts), for run details. */
  get instructionCounting(): InstructionCounter['kind'] {
    return this.cpus[0]!.quantum.kind;
  }

  /** Serial bytes received since the last call. */
  takeSerial(): Uint8Array {
    const out = this.serialPending.slice(0, this.serialPendingLength);
    this.serialPendingLength = 0;
    return out;
  }

  close(): void {
    for (const cpu of this.cpus) cpu.uc.close();
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
    if (this.serialTotal > this.serialLimit && !this.current.stopped) this.stop({ kind: 'serial-limit' });
  }

  /** Ends the run as an infrastructure error: the guest needs something not modelled here. */
  private unmodelled(device: string, address: bigint | null, detail: string): void {
    if (this.current.stopped) return;
    this.stop({ kind: 'unmodelled', device, address, detail, pc: this.current.uc.regRead('pc') });
  }

  /**
   * QEMU's map (qemu/virt.json is virt's GICv2 layout) as it is with this GIC: with
   * gic-version=3, virt 7.2 has an ITS at 0x08080000 (its=on by default; devices/gicv3-its.ts maps
   * its registers, so this entry only names it), and no GICv2 CPU interface or GICv2m frame (unassigned there, so a data abort as on QEMU).
   */
  private gicRegions(): readonly { name: string; base: bigint; end: bigint }[] {
    if (this.interrupts.gicVersion === 2) return this.qemuRegions;
    const v3 = this.qemuRegions.filter((r) => r.name !== 'GICv2 CPU interface' && r.name !== 'GICv2m MSI frame');
    // With its=off QEMU has nothing there either: an access is a data abort on both. (With its=on the ITS device is mapped.)
    return this.gicIts ? [...v3, { name: 'GICv3 ITS', base: 0x0808_0000n, end: 0x080a_0000n }] : v3;
  }

  /** An access that faulted inside a region of QEMU's map that this model does not have. */
  private unmodelledAccess(cpu: VirtCpu): SliceOutcome | null {
    const mem = cpu.memFault;
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

  // ------------------------------------------------------------ several CPUs

  /** PSCI's view of the CPUs: found by virt's MPIDR affinity, with their power states. */
  private readonly psciCpus: PsciCpus = {
    byAffinity: (affinity) => {
      const index = this.cpus.findIndex((cpu) => virtAffinity(cpu.index, this.interrupts.gicVersion) === affinity);
      return index < 0 ? null : index;
    },
    power: (index) => this.cpus[index]!.power,
  };

  /**
   * SYS instructions of a CPU (several CPUs only). IC IALLU / IALLUIS drop every other engine's
   * translations of RAM and flash; IC IVAU the page holding the address (translated by the
   * guest's tables when its MMU is on). Everything else runs as Unicorn runs it.
   */
  private onCacheMaintenance(from: VirtCpu, access: { op1: number; crn: number; crm: number; op2: number; value: bigint }): null {
    if (access.crn !== 7) return null;
    let ranges: { begin: bigint; end: bigint }[] | null = null;
    if (access.op1 === 0 && access.op2 === 0 && (access.crm === 1 || access.crm === 5)) {
      ranges = [
        { begin: VIRT.ramBase, end: VIRT.ramBase + this.ramSize },
        { begin: VIRT.flashBase, end: VIRT.flashBase + VIRT.flashSize },
      ];
    } else if (access.op1 === 3 && access.crm === 5 && access.op2 === 1) {
      const walk = guestStage1(from.uc, access.value);
      const pa = walk === null ? access.value : walk.ok ? walk.pa : null;
      if (pa !== null) ranges = [{ begin: pa & ~0xfffn, end: (pa & ~0xfffn) + 0x1000n }];
    }
    if (ranges) for (const cpu of this.cpus) if (cpu !== from) cpu.staleCode.push(...ranges);
    return null;
  }

  // ------------------------------------------------------------ exceptions

  private onException(cpu: VirtCpu, intno: number): void {
    const uc = cpu.uc;
    // The replay that finds an MMU fault's address faults again: that one is not the guest's.
    if (cpu.exceptions.probing) return uc.emuStop();
    const pc = uc.regRead('pc');
    // Only a software step needs it (it comes as EXCP_UDEF); read first: a uc_mem_read with the
    // MMU on (readWord below) can overwrite it.
    const syndrome = intno === EXCP.UDEF ? uc.lastExceptionSyndrome() : null;
    // EXCP_UDEF reports the instruction's own address, EXCP_HVC / EXCP_SEMIHOST the next one.
    const at = intno === EXCP.UDEF ? pc : intno === EXCP.HVC ? pc - 4n : intno === EXCP.SEMIHOST ? pc : null;
    const word = at === null ? null : uc.readWord(at);
    if (at !== null && word !== null && (word & 0xffe0_001f) >>> 0 === HVC_0) {
      this.psci(cpu, at);
      return;
    }
    if (at !== null && word === HLT_F000 && this.semihosting) {
      this.semihostingCall(cpu, at);
      return;
    }
    cpu.pendingException = { intno, pc, syndrome };
    uc.emuStop();
  }

  /** What the guest takes as an exception after this run: a reported one or an unmapped access. */
  private guestException(cpu: VirtCpu, err: number): GuestException | null {
    const watched = cpu.breakpoints.watchpointHit;
    if (watched !== null) {
      cpu.breakpoints.watchpointHit = null;
      return cpu.exceptions.fromWatchpoint(watched.pc, watched.far, watched.write);
    }
    const breakpoint = cpu.breakpoints.hit;
    if (breakpoint !== null) {
      cpu.breakpoints.hit = null;
      return cpu.exceptions.fromBreakpoint(breakpoint);
    }
    if (cpu.pendingException) {
      const { intno, pc, syndrome } = cpu.pendingException;
      return cpu.exceptions.fromInterrupt(intno, pc, syndrome);
    }
    // Only an access that stopped the engine: a later hook (the tracer's) may have mapped the page.
    const mem = cpu.memFault;
    if (mem && err !== UC_ERR.OK && mem.event.why === 'unmapped') return cpu.exceptions.fromUnmappedAccess(mem.event, mem.pc);
    return null;
  }

  private takeException(cpu: VirtCpu, exception: GuestException): SliceOutcome {
    const result = cpu.exceptions.take(exception);
    if (result.kind === 'taken') {
      cpu.pc = result.exception.vector;
      // PSTATE.D is set now: a step in progress stops (Unicorn would only see it at its next rebuild).
      cpu.step.sync();
      return { kind: 'running' };
    }
    if (result.kind === 'limit')
      return { kind: 'emulator-limit', reason: `${result.why} (${exception.kind} at ${hex(exception.elr)})`, pc: exception.elr };
    return { kind: 'fault', fault: machineFault(exception, result.why) };
  }

  /**
   * The exception a CPU is still handling when the run ends, if any. A slice often ends right
   * after an exception is taken, so the handlers first get up to `graceInstructions` more
   * instructions (counted: the same bytes give the same answer) to come back from it.
   */
  unreturnedException(graceInstructions = 1_000_000): MachineFault | null {
    const before = this.cpus.map((cpu) => cpu.exceptions.returns);
    const open = () => this.cpus.filter((cpu, i) => cpu.exceptions.unreturned() !== null && cpu.exceptions.returns === before[i]);
    let left = graceInstructions;
    while (open().length > 0 && left > 0) {
      const step = Math.min(left, 100_000);
      left -= step;
      if (this.runSlice(step).kind !== 'running') break;
    }
    this.takeSerial(); // output after the end of the run is not the run's
    const cpu = open()[0];
    const pending: TakenException | null = cpu ? cpu.exceptions.unreturned() : null;
    if (!pending) return null;
    const which = this.cpus.length > 1 ? `CPU ${cpu!.index}: ` : '';
    return machineFault(pending, `${which}taken to the vector at ${hex(pending.vector)}; the handler did not return before the run ended`);
  }

  private psci(cpu: VirtCpu, hvcAt: bigint): void {
    const uc = cpu.uc;
    const fn = uc.regRead('x0');
    const answer = psciCall(fn, uc.regRead('x1'), { x2: uc.regRead('x2'), x3: uc.regRead('x3'), cpus: this.psciCpus });
    const record = (name: string) => {
      if (this.psciCalls.length >= 16) return;
      this.psciCalls.push({ fn: `${hex(fn)} ${name}`, pc: hex(hvcAt), ...(this.cpus.length > 1 ? { cpu: cpu.index } : {}) });
    };
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
        // CPU_SUSPEND is a WFI on QEMU, returning SUCCESS: the CPU sleeps until an interrupt is pending.
        uc.regWrite('x0', 0n);
        this.stop({ kind: 'halted', pc: hvcAt + 4n }, hvcAt + 4n);
        return;
      case 'cpu-off':
        // Never returns: the CPU is off until a CPU_ON starts it afresh.
        record('CPU_OFF');
        cpu.power = 'off';
        cpu.sleeping = false;
        uc.emuStopAt(hvcAt);
        return;
      case 'cpu-on': {
        record('CPU_ON');
        const target = this.cpus[answer.target]!;
        target.power = 'on-pending';
        target.start = { entry: answer.entry, context: answer.context };
        uc.regWrite('x0', 0n);
        uc.regWrite('pc', hvcAt + 4n);
        return;
      }
      case 'return':
        record(answer.name);
        uc.regWrite('x0', answer.x0);
        // Writing pc from a hook makes Unicorn resume there, past the hvc.
        uc.regWrite('pc', hvcAt + 4n);
    }
  }

  private semihostingCall(cpu: VirtCpu, hltAt: bigint): void {
    const uc = cpu.uc;
    const op = Number(uc.regRead('x0') & 0xffff_ffffn);
    const memory = { read: (a: bigint, n: number) => uc.memRead(a, n), write: (a: bigint, b: Uint8Array) => uc.memWrite(a, b) };
    let result;
    try {
      result = semihostingCall(op, uc.regRead('x1'), memory, process.hrtime.bigint() - this.startedAt);
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
        uc.regWrite('x0', result.x0);
        uc.regWrite('pc', hltAt + 4n);
    }
  }

  /** Stops the running engine; the run reports `outcome`; pc goes to `resumeAt`, if given, once it has stopped. */
  private stop(outcome: SliceOutcome, resumeAt?: bigint): void {
    this.current.stopped = outcome;
    if (resumeAt === undefined) this.current.uc.emuStop();
    else this.current.uc.emuStopAt(resumeAt);
  }

  private faultFromError(cpu: VirtCpu, err: number): MachineFault {
    const words = `Unicorn: ${strerror(err)}`;
    const mem = cpu.memFault;
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
        pc: cpu.pc,
        address: null,
        access,
        detail: `unaligned ${access}; ${words}`,
      };
    }
    if (err === UC_ERR.INSN_INVALID) return { kind: 'undefined instruction', pc: cpu.pc, address: null, access: null, detail: words };
    return { kind: 'emulator error', pc: cpu.pc, address: null, access: null, detail: words };
  }
}

function machineFault(e: GuestException, why: string): MachineFault {
  return { kind: e.kind, pc: e.elr, address: e.far, access: e.access, esr: e.esr, detail: `${e.detail}; ${why}` };
}
