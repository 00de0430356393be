// Runs a kernel in-process on Unicorn (harness/emu/virt-machine.ts) through the one emulator run
// loop (emu-loop.ts: counted slices, the stop rules between them, the abort signal honoured),
// and turns how the loop ended into a verdict.
import type { Symbolizer } from '../elf/symbols.js';
import { formatError } from '../errors.js';
import { version, type Arm64CpuModel } from '../emu/unicorn.js';
import { EnginePool, resetRefusal, watchCodeOutside, type EngineKey } from '../emu/engine-pool.js';
import { VIRT, VirtMachine, type MachineFault } from '../emu/virt-machine.js';
import { emulatorCpuModels, machineProfile } from '../machine-profile.js';
import { droppedWritesDetail } from '../machine/layout.js';
import { dtbTotalSize, elfBootPlacement, linuxBootStub, VIRT_DTB_SIZE } from '../machine/dtb-placement.js';
import { qemuDtb } from './qemu-dtb.js';
import {
  DETERMINISTIC_RTC,
  OPTION_FLAG,
  unsupportedOptions,
  withoutOptionalDevices,
  type MachineOptionName,
} from '../machine/description.js';
import { readFileBounded } from '../util/bounded-read.js';
import { describeImage, loadKernelImage, type KernelImage } from '../machine/kernel-image.js';
import { hex } from '../util/hex.js';
import { runEmuLoop } from './emu-loop.js';
import { stopLimits } from './stop-policy.js';
import { buildRunResult, errorResult, SerialCapture } from './serial-capture.js';
import { DEFAULTS, type FaultInfo, type Runner, type RunOptions, type RunResult, type RunSpec, type Verdict } from './types.js';

/** QEMU -cpu names -> Unicorn 2.0.1's AArch64 models (uc_cpu_arm64): the one map, in qemu/virt.json. */
export const UNICORN_CPU_MODELS = emulatorCpuModels() as Readonly<Record<string, Arm64CpuModel>>;

export function unicornModelFor(cpu: string): Arm64CpuModel | null {
  return UNICORN_CPU_MODELS[cpu.trim().toLowerCase()] ?? null;
}

/**
 * The machine options (harness/machine/description.ts) the emulator honours: semihosting,
 * `-machine gic-version=2|3` (its only `machine` key: checked key by key below), -append
 * (carried by QEMU's own DTB) and deterministic (its clock always counts instructions).
 * `-machine gic-version=2|3` and its=off (checked key by key below), -append
 * (carried by QEMU's own DTB), -smp (one engine per CPU, emu/virt-machine.ts) and -initrd
 * (loaded where hw/arm/boot.c puts it; its place is in QEMU's DTB). Devices a spec marks
 * optional are left out (`withoutOptionalDevices`).
 */
export const EMU_SUPPORTED_OPTIONS: ReadonlySet<MachineOptionName> = new Set<MachineOptionName>([
  'semihosting',
  'machine',
  'append',
  'deterministic',
  'smp',
  'initrd',
]);

/** The GIC versions the emulator models (interrupts/gic-v2.ts, gic-v3.ts); QEMU virt's default is 2. */
const EMU_GIC_VERSIONS: Readonly<Record<string, 2 | 3>> = { '2': 2, '3': 3 };

/**
 * The `-machine` keys the emulator honours and their values: the GIC version, and its (the GICv3
 * ITS's registers, emu/devices/gicv3-its.ts; with its=off QEMU has none: its window is unassigned).
 */
const EMU_MACHINE_KEYS: Readonly<Record<string, readonly string[]>> = { 'gic-version': Object.keys(EMU_GIC_VERSIONS), its: ['off', 'on'] };

/** `-device` specs the emulator models (pci-testdev: emu/devices/pci-testdev.ts at 00:01.0, as QEMU places it). */
export const EMU_DEVICES: ReadonlySet<string> = new Set(['pci-testdev']);

function withoutModelledDevices(machine: RunSpec['machine']): RunSpec['machine'] {
  const devices = machine?.devices?.filter((d) => !EMU_DEVICES.has(d));
  if (!machine?.devices) return machine;
  const { devices: _all, ...rest } = machine;
  return devices!.length > 0 ? { ...rest, devices: devices! } : rest;
}

export function emuGicVersion(spec: Pick<RunSpec, 'machine'>): 2 | 3 {
  return EMU_GIC_VERSIONS[spec.machine?.machine?.['gic-version'] ?? '2'] ?? 2;
}

/** Why the emulator cannot run this spec as asked (an option it does not model), or null. Raw and Image boots are modelled. */
export function emuCannotHonour(spec: Pick<RunSpec, 'machine' | 'imageFormat'>): string | null {
  spec = { ...spec, machine: withoutModelledDevices(withoutOptionalDevices(spec.machine).machine) };
  const refused: string[] = unsupportedOptions(spec.machine, EMU_SUPPORTED_OPTIONS).map((name) => {
    const m = spec.machine!;
    const value =
      name === 'smp'
        ? ` ${m.smp}`
        : name === 'devices'
          ? ` ${m.devices!.join(', ')}`
          : name === 'qemuArgs'
            ? ` ${m.qemuArgs!.join(' ')}`
            : '';
    return `${OPTION_FLAG[name]}${value}`;
  });
  for (const [key, value] of Object.entries(spec.machine?.machine ?? {})) {
    if (!EMU_MACHINE_KEYS[key]?.includes(String(value))) refused.push(`${OPTION_FLAG.machine} ${key}=${value}`);
  }
  if (refused.length === 0) return null;
  return `the emulator does not model ${refused.join('; ')} (it models virt with -smp N, GICv2 or GICv3 and of extra devices only pci-testdev): run this kernel on QEMU (--runner qemu)`;
}

export interface EmuRunnerOptions {
  /** Instructions per uc_emu_start call; bounds how late a timeout or abort is noticed. */
  sliceInstructions?: number;
  /** Exact pc for faulting loads/stores (default true; costs ~25% on memory-heavy code). */
  precisePc?: boolean;
  /** How slices are counted (emu/instruction-counter.ts); the block hook only to measure it against. */
  instructionCounting?: 'engine' | 'block-hook';
  /** Engines kept between runs (emu/engine-pool.ts): default this thread's pool; false: a new engine per run. */
  pool?: EnginePool | false;
  /** With -smp > 1: instructions of each CPU's turn (default emu/virt-machine.ts SMP_QUANTUM). */
  quantum?: number;
}

/** This thread's engines (a worker thread has its own module instance, so its own pool). */
const THREAD_POOL = new EnginePool();

/**
 * Closes this thread's pooled engines (uc_close): for a worker about to end, since terminating a
 * thread frees its JS heap but never the engines' native memory.
 */
export function closeThreadPool(): void {
  THREAD_POOL.close();
}

interface Ending {
  verdict: Verdict;
  reason: string;
  fault?: FaultInfo;
  poweredOff?: boolean;
  exitStatus?: number;
}

export class EmuRunner implements Runner {
  readonly name = 'emu' as const;
  private readonly sliceInstructions: number | undefined;
  private readonly precisePc: boolean;
  private readonly instructionCounting: 'engine' | 'block-hook' | undefined;
  private readonly pool: EnginePool | null;
  private readonly quantum: number | undefined;

  constructor(options: EmuRunnerOptions = {}) {
    this.pool = options.pool === false ? null : (options.pool ?? THREAD_POOL);
    this.sliceInstructions = options.sliceInstructions;
    this.precisePc = options.precisePc ?? true;
    this.instructionCounting = options.instructionCounting;
    this.quantum = options.quantum;
  }

  async run(asked: RunSpec, options: RunOptions = {}): Promise<RunResult> {
    const startedAt = Date.now();
    // The board the emulator models: the spec less the devices it marks optional (listed in details).
    const modelled = withoutOptionalDevices(asked.machine);
    const spec: RunSpec = { ...asked, machine: modelled.machine };
    const refused = emuCannotHonour(spec);
    if (refused) return errorResult('emu', spec.cpu, refused, startedAt);
    const model = unicornModelFor(spec.cpu);
    let unicorn: string;
    try {
      unicorn = version().text;
    } catch (error) {
      return errorResult('emu', spec.cpu, (error as Error).message, startedAt);
    }
    if (!model) {
      const known = Object.entries(UNICORN_CPU_MODELS)
        .map(([q, u]) => `${q} (${u})`)
        .join(', ');
      return errorResult('emu', spec.cpu, `Unicorn ${unicorn} has no CPU model for -cpu "${spec.cpu}"; it has: ${known}`, startedAt);
    }
    // The QEMU name, so results line up with the qemu runner's; the Unicorn model is in details.
    const cpu = spec.cpu;

    let kernel: KernelImage;
    try {
      // A file named .elf must be one (as subjects.ts holds it), not booted as a raw image.
      kernel = await loadKernelImage({ ...spec, imageFormat: spec.imageFormat ?? (spec.elfPath.endsWith('.elf') ? 'elf' : undefined) });
    } catch (error) {
      return errorResult('emu', cpu, formatError(error), startedAt);
    }
    const symbols = kernel.symbols;
    if (options.signal?.aborted) return errorResult('emu', cpu, 'cancelled', startedAt);

    const maxSerial = spec.maxSerialBytes ?? DEFAULTS.maxSerialBytes;
    let machine: VirtMachine;
    const memoryMiB = spec.memoryMiB ?? DEFAULTS.memoryMiB;
    const engineKey: EngineKey = { model, memoryMiB, gicVersion: emuGicVersion(spec) };
    // Pooled engines for one CPU only (-smp N builds one engine per CPU over shared RAM: not pooled).
    const engine = (spec.machine?.smp ?? 1) === 1 ? this.pool?.acquire(engineKey) : undefined;
    try {
      machine = VirtMachine.create({
        model,
        memoryMiB,
        ...(engine ? { engine } : {}),
        precisePc: this.precisePc,
        serialLimit: maxSerial,
        semihosting: spec.machine?.semihosting ?? false,
        qemuRegions: machineProfile(memoryMiB).memoryMap,
        gicVersion: emuGicVersion(spec),
        ...(spec.machine?.deterministic ? { rtcStartMs: DETERMINISTIC_RTC.epochMs } : {}),
        ...(this.instructionCounting ? { instructionCounting: this.instructionCounting } : {}),
        cpus: spec.machine?.smp ?? 1,
        gicIts: spec.machine?.machine?.['its'] !== 'off',
        pciTestdev: spec.machine?.devices?.includes('pci-testdev') ?? false,
        // Polling loops skip guest time, except where the counters must equal QEMU -icount's.
        pollingRule: !spec.machine?.deterministic,
        ...(this.quantum === undefined ? {} : { quantum: this.quantum }),
      });
    } catch (error) {
      return errorResult('emu', cpu, formatError(error), startedAt);
    }

    const capture = new SerialCapture(maxSerial);
    const details: Record<string, unknown> = { unicorn, cpuModel: model, image: describeImage(kernel), precisePc: this.precisePc };
    if (modelled.left) details['omittedDevices'] = modelled.left;
    let ending: Ending;
    let watch: { outside: boolean } | null = null;
    let failed = false;
    try {
      const boot = await bootKernel(machine, kernel, spec);
      details['entry'] = hex(boot.entry);
      details['dtb'] = boot.why;
      if (engine) {
        details['engine'] = engine.reuses > 0 ? 'pooled (reset)' : 'pooled (new)';
        // No translated code to drop for this image (uc_mem_write keeps it): a reset engine has none,
        // since every reset drops its previous run's code pages and code run anywhere else closes the engine.
        // Code can only have been translated where it ran: machine.codeRanges, which the loader
        // wrote (executable segments, a raw image and its stub), are the pages searched at a reset.
        watch = watchCodeOutside(machine, machine.codeRanges);
      }
      ending = await this.loop(machine, spec, options, capture, symbols);
    } catch (error) {
      failed = true;
      ending = { verdict: 'error', reason: `emulator failure: ${formatError(error)}` };
    } finally {
      details['slices'] = machine.slices;
      details['instructionCounting'] = machine.instructionCounting;
      details['stopPc'] = hex(machine.programCounter);
      details['stopPcSymbol'] = symbols.format(machine.programCounter);
      if (machine.psciCalls.length) details['psciCalls'] = machine.psciCalls;
      details['gicVersion'] = machine.interrupts.gicVersion;
      if (machine.interruptsTaken) details['interruptsTaken'] = machine.interruptsTaken;
      if (machine.wfiWakeups) details['wfiWakeups'] = machine.wfiWakeups;
      if (machine.cpus.length > 1) details['smp'] = machine.smpDetails();
      details['guestInstructions'] = String(machine.interrupts.clock.executed);
      if (machine.counterPolling.polls)
        details['counterPolls'] = { polls: machine.counterPolling.polls, skippedNs: String(machine.counterPolling.skippedNs) };
      if (machine.flash.droppedTotal) details['droppedWrites'] = droppedWritesDetail(machine.flash, symbols);
      if (machine.aliases.pages.length) details['virtualAliasPages'] = machine.aliases.pages.slice(0, 16).map((p) => hex(p));
      if (engine && this.pool && watch) {
        this.pool.release(engine, engineKey, failed ? 'emulator failure' : resetRefusal(machine, watch.outside), machine.codeRanges);
      } else {
        machine.close();
      }
    }
    return buildRunResult({
      runner: 'emu',
      cpu,
      verdict: ending.verdict,
      reason: ending.reason,
      fault: ending.fault ?? null,
      poweredOff: ending.poweredOff ?? false,
      capture,
      resultPatterns: spec.resultPatterns,
      startedAt,
      details,
      ...(ending.exitStatus !== undefined ? { exitStatus: ending.exitStatus } : {}),
    });
  }

  private async loop(
    machine: VirtMachine,
    spec: RunSpec,
    options: RunOptions,
    capture: SerialCapture,
    symbols: Symbolizer,
  ): Promise<Ending> {
    const maxSerial = spec.maxSerialBytes ?? DEFAULTS.maxSerialBytes;
    const end = await runEmuLoop(machine, capture, {
      limits: stopLimits(spec),
      signal: options.signal,
      ...(this.sliceInstructions ? { sliceInstructions: this.sliceInstructions } : {}),
      onSerial: options.onSerial,
    });
    const where = (pc: bigint) => `${hex(pc)} (${symbols.format(pc)})`;
    switch (end.kind) {
      case 'stop': {
        const reason = end.clock === 'guest' ? end.stop.reason : `${end.stop.reason} ${backstopWords(end.clock, end.guestMs)}`;
        if (end.stop.cause === 'timeout' || end.stop.cause === 'silence') return timeoutEnding(machine, reason, symbols);
        return { verdict: end.stop.verdict, reason };
      }
      case 'spin':
        if (capture.doneSeen)
          return { verdict: 'completed', reason: `DONE printed; no PSCI power-off followed (CPU spins at ${where(end.pc)})` };
        return timeoutEnding(
          machine,
          `the CPU spins on a branch to itself at ${where(end.pc)} and nothing can raise an interrupt (no interrupt pending, no timer armed)`,
          symbols,
        );
      case 'machine':
        break;
    }
    const outcome = end.outcome;
    switch (outcome.kind) {
      case 'poweroff':
        return { verdict: 'completed', reason: outcome.reason, poweredOff: true };
      case 'fault':
        return { verdict: 'fault', reason: `guest took ${outcome.fault.kind}`, fault: toFaultInfo(outcome.fault, symbols) };
      case 'exit':
        return { verdict: 'completed', reason: outcome.reason, poweredOff: true, exitStatus: outcome.status };
      case 'unmodelled': {
        const at = outcome.address === null ? '' : ` at ${hex(outcome.address)}`;
        return {
          verdict: 'error',
          reason: `the emulator does not model ${outcome.device}${at}: ${outcome.detail} (pc ${hex(outcome.pc)} ${symbols.format(outcome.pc)})`,
        };
      }
      case 'halted': {
        // WFI with no pending interrupt and no armed timer: nothing can ever wake the CPU.
        if (outcome.reason) return { verdict: capture.doneSeen ? 'completed' : 'timeout', reason: outcome.reason };
        if (capture.doneSeen)
          return {
            verdict: 'completed',
            reason: `DONE printed; no PSCI power-off followed (CPU waits in WFI at ${where(outcome.pc - 4n)})`,
          };
        return {
          verdict: 'timeout',
          reason: `the CPU waits in WFI at ${where(outcome.pc - 4n)} and nothing can raise an interrupt (no interrupt pending, no timer armed)`,
        };
      }
      case 'emulator-limit':
        return { verdict: 'error', reason: `emulator limit at ${where(outcome.pc)}: ${outcome.reason}` };
      case 'serial-limit':
        return { verdict: 'output-limit', reason: `serial output passed the ${maxSerial}-byte cap` };
    }
  }
}

/** How a run that ended on the backstop says so (emu-loop.ts). */
function backstopWords(clock: 'cpu' | 'wall', guestMs: number): string {
  return clock === 'cpu'
    ? `of the emulator's CPU time (it ran this code slower than guest time passes: ${guestMs.toFixed(0)} ms of guest time)`
    : `on the wall clock (the host gave the emulator too little CPU: ${guestMs.toFixed(0)} ms of guest time)`;
}

function toFaultInfo(fault: MachineFault, symbols: Symbolizer): FaultInfo {
  return {
    kind: fault.kind,
    pc: fault.pc === null ? null : hex(fault.pc),
    pcSymbol: fault.pc === null ? null : symbols.format(fault.pc),
    address: fault.address === null ? null : hex(fault.address),
    addressSymbol: fault.address === null ? null : symbols.format(fault.address),
    access: fault.access,
    esr: fault.esr === undefined || fault.esr === null ? null : hex(fault.esr),
    detail: fault.detail,
  };
}

/** A run that ends inside an exception handler faulted: the verdict names the exception (issue 11 item 4). */
function timeoutEnding(machine: VirtMachine, reason: string, symbols: Symbolizer): Ending {
  const pending = machine.unreturnedException();
  if (!pending) return { verdict: 'timeout', reason };
  return {
    verdict: 'fault',
    reason: `guest took ${pending.kind} and did not return from its handler (${reason})`,
    fault: toFaultInfo(pending, symbols),
  };
}

/**
 * Loads the kernel and the machine's DTB as QEMU 7.2's -kernel does (hw/arm/boot.c): an ELF at its
 * segments, entered directly with every register zero (the DTB at the base of RAM when it fits
 * below the ELF); a raw image or arm64 Image at its load address, entered through QEMU's boot stub
 * at the base of RAM, which sets x0 to the DTB (placed at RAM + min(RAM / 2, 128 MiB)) and x1-x3 to 0.
 */
async function bootKernel(machine: VirtMachine, kernel: KernelImage, spec: RunSpec): Promise<{ entry: bigint; why: string }> {
  const dtbOf = async () => (await qemuDtb({ ...spec, memoryMiB: spec.memoryMiB ?? DEFAULTS.memoryMiB })).bytes;
  if (kernel.elf) {
    machine.loadElf(kernel.elf);
    const loads = kernel.elf.segments.filter((s) => s.type === 'load' && s.memsz > 0n);
    if (loads.length === 0) return { entry: kernel.elf.entry, why: 'no PT_LOAD segments' };
    const low = loads.reduce((m, s) => (s.paddr < m ? s.paddr : m), loads[0]!.paddr);
    const high = loads.reduce((m, s) => (s.paddr + s.memsz > m ? s.paddr + s.memsz : m), 0n);
    // Ask QEMU for the tree only when it fits: virt's is always 1 MiB (hw/arm/virt.c create_fdt, never packed).
    const room = elfBootPlacement({ low, high }, VIRT.ramBase, VIRT_DTB_SIZE);
    if (room.dtbAddress === null) return { entry: kernel.elf.entry, why: room.why };
    const dtb = await dtbOf();
    const placement = elfBootPlacement({ low, high }, VIRT.ramBase, dtbTotalSize(dtb));
    if (placement.dtbAddress !== null) {
      machine.uc.memWrite(placement.dtbAddress, dtb);
    }
    return { entry: kernel.elf.entry, why: placement.why };
  }
  const boot = kernel.boot!;
  const bytes = kernel.bytes!;
  const initrd = spec.machine?.initrd
    ? await readFileBounded(spec.machine.initrd, {
        what: 'initrd',
        maxBytes: Number(machine.ramSize / 2n),
        hint: 'an initrd must fit in RAM',
      })
    : null;
  const stub = linuxBootStub(VIRT.ramBase, machine.ramSize, boot.entry, {
    imageEnd: boot.loadAddress + BigInt(bytes.length),
    initrdSize: initrd?.length ?? 0,
  });
  const dtb = await dtbOf();
  machine.loadImage(boot.loadAddress, bytes, { code: true });
  machine.loadImage(VIRT.ramBase, stub.code, { code: true });
  if (initrd) machine.loadImage(stub.initrdAddress, initrd);
  machine.loadImage(stub.dtbAddress, dtb);
  machine.programCounter = VIRT.ramBase;
  const initrdAt = initrd ? `, initrd (${initrd.length} bytes) at ${hex(stub.initrdAddress)}` : '';
  return {
    entry: boot.entry,
    why: `DTB at ${hex(stub.dtbAddress)}${initrdAt}, x0 set by QEMU's boot stub at ${hex(VIRT.ramBase)}`,
  };
}
