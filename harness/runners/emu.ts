// Runs a kernel in-process on Unicorn (harness/emu/virt-machine.ts). uc_emu_start blocks the
// thread, so the run is cut into short slices; between slices the runner checks the clock,
// DONE, the serial cap and the abort signal, and lets the event loop breathe.
import type { ElfImage } from '../elf/elf.js';
import { readElf } from '../elf/read-elf.js';
import type { Symbolizer } from '../elf/symbols.js';
import { formatError } from '../errors.js';
import { version, type Arm64CpuModel } from '../emu/unicorn.js';
import { VirtMachine, type MachineFault } from '../emu/virt-machine.js';
import { hex } from '../util/hex.js';
import { buildRunResult, errorResult, SerialCapture } from './serial-capture.js';
import { OPTION_FLAG, unsupportedOptions, type MachineOptionName } from '../machine/description.js';
import { DEFAULTS, type FaultInfo, type Runner, type RunOptions, type RunResult, type RunSpec, type Verdict } from './types.js';

/** QEMU -cpu names -> Unicorn 2.0.1's AArch64 models (uc_cpu_arm64). */
export const UNICORN_CPU_MODELS: Readonly<Record<string, Arm64CpuModel>> = {
  'cortex-a57': 'A57',
  'cortex-a53': 'A53',
  'cortex-a72': 'A72',
  max: 'MAX',
};

export function unicornModelFor(cpu: string): Arm64CpuModel | null {
  return UNICORN_CPU_MODELS[cpu.trim().toLowerCase()] ?? null;
}

/** The machine options (harness/machine/description.ts) the emulator honours; the rest it refuses by name. */
export const EMU_SUPPORTED_OPTIONS: ReadonlySet<MachineOptionName> = new Set<MachineOptionName>([]);

/** Why the emulator cannot run this spec as asked (an option or boot format it does not model), or null. */
export function emuCannotHonour(spec: Pick<RunSpec, 'machine' | 'imageFormat'>): string | null {
  const missing = unsupportedOptions(spec.machine, EMU_SUPPORTED_OPTIONS);
  if (missing.length) return `the emulator cannot honour ${missing.map((m) => `${m} (${OPTION_FLAG[m]})`).join(', ')} yet: run this kernel on QEMU (--runner qemu)`;
  if (spec.imageFormat && spec.imageFormat !== 'elf') return `the emulator cannot boot a ${spec.imageFormat} image yet, only an ELF: run it on QEMU (--runner qemu)`;
  return null;
}

export interface EmuRunnerOptions {
  /** Host time per uc_emu_start call; bounds how late a timeout or abort is noticed. */
  sliceMs?: number;
  /** Exact pc for faulting loads/stores (default true; costs ~25% on memory-heavy code). */
  precisePc?: boolean;
}

interface Ending {
  verdict: Verdict;
  reason: string;
  fault?: FaultInfo;
  poweredOff?: boolean;
}

export class EmuRunner implements Runner {
  readonly name = 'emu' as const;
  private readonly sliceMs: number;
  private readonly precisePc: boolean;

  constructor(options: EmuRunnerOptions = {}) {
    this.sliceMs = options.sliceMs ?? 50;
    this.precisePc = options.precisePc ?? true;
  }

  async run(spec: RunSpec, options: RunOptions = {}): Promise<RunResult> {
    const startedAt = Date.now();
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
      const known = Object.entries(UNICORN_CPU_MODELS).map(([q, u]) => `${q} (${u})`).join(', ');
      return errorResult('emu', spec.cpu, `Unicorn ${unicorn} has no CPU model for -cpu "${spec.cpu}"; it has: ${known}`, startedAt);
    }
    // The QEMU name, so results line up with the qemu runner's; the Unicorn model is in details.
    const cpu = spec.cpu;

    let image: ElfImage;
    try {
      image = await readElf(spec.elfPath);
    } catch (error) {
      return errorResult('emu', cpu, formatError(error), startedAt);
    }
    if (options.signal?.aborted) return errorResult('emu', cpu, 'cancelled', startedAt);

    const maxSerial = spec.maxSerialBytes ?? DEFAULTS.maxSerialBytes;
    let machine: VirtMachine;
    try {
      machine = VirtMachine.create({ model, memoryMiB: spec.memoryMiB ?? DEFAULTS.memoryMiB, precisePc: this.precisePc, serialLimit: maxSerial });
    } catch (error) {
      return errorResult('emu', cpu, formatError(error), startedAt);
    }

    const capture = new SerialCapture(maxSerial);
    const details: Record<string, unknown> = { unicorn, cpuModel: model, entry: hex(image.entry), precisePc: this.precisePc };
    let ending: Ending;
    try {
      machine.loadElf(image);
      ending = await this.loop(machine, spec, options, capture, image.symbols);
    } catch (error) {
      ending = { verdict: 'error', reason: `emulator failure: ${formatError(error)}` };
    } finally {
      details['slices'] = machine.slices;
      details['stopPc'] = hex(machine.programCounter);
      details['stopPcSymbol'] = image.symbols.format(machine.programCounter);
      if (machine.psciCalls.length) details['psciNotSupported'] = machine.psciCalls;
      machine.close();
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
    });
  }

  private async loop(machine: VirtMachine, spec: RunSpec, options: RunOptions, capture: SerialCapture, symbols: Symbolizer): Promise<Ending> {
    const startedAt = Date.now();
    const timeoutAt = startedAt + spec.timeoutMs;
    const afterDoneMs = spec.afterDoneMs ?? DEFAULTS.afterDoneMs;
    const silenceMs = spec.silenceTimeoutMs ?? 0;
    const maxSerial = spec.maxSerialBytes ?? DEFAULTS.maxSerialBytes;
    let doneDeadline: number | null = null;

    for (;;) {
      const now = Date.now();
      if (options.signal?.aborted) return { verdict: 'error', reason: 'cancelled' };
      if (doneDeadline !== null && now >= doneDeadline) return { verdict: 'completed', reason: 'DONE printed; no PSCI power-off followed' };
      if (now >= timeoutAt) return { verdict: 'timeout', reason: `timeout after ${spec.timeoutMs} ms` };
      if (silenceMs > 0 && now - capture.lastOutputAt > silenceMs) return { verdict: 'timeout', reason: `no serial output for ${silenceMs} ms` };

      const until = Math.min(timeoutAt, doneDeadline ?? Infinity, silenceMs > 0 ? capture.lastOutputAt + silenceMs + 1 : Infinity);
      const outcome = machine.runSlice(Math.max(1, Math.min(this.sliceMs, until - now)) * 1000);

      const chunk = machine.takeSerial();
      if (chunk.length) {
        capture.push(chunk);
        options.onSerial?.(chunk);
      }
      if (capture.overflowed || outcome.kind === 'serial-limit') {
        return { verdict: 'output-limit', reason: `serial output passed the ${maxSerial}-byte cap` };
      }
      if (capture.doneSeen && doneDeadline === null) doneDeadline = Date.now() + afterDoneMs;

      switch (outcome.kind) {
        case 'poweroff':
          return { verdict: 'completed', reason: outcome.reason, poweredOff: true };
        case 'fault':
          return { verdict: 'fault', reason: `guest took ${outcome.fault.kind}`, fault: toFaultInfo(outcome.fault, symbols) };
        case 'halted': {
          // Nothing here raises interrupts, so a WFI sleeps forever: end now rather than idle.
          const where = `${hex(outcome.pc - 4n)} (${symbols.format(outcome.pc - 4n)})`;
          if (capture.doneSeen) return { verdict: 'completed', reason: `DONE printed; no PSCI power-off followed (CPU waits in WFI at ${where})` };
          return { verdict: 'timeout', reason: `CPU waits in WFI at ${where} and the emulator raises no interrupts; it would never wake` };
        }
        case 'running':
          break;
      }
      // Let timers, I/O and the abort signal run between slices.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}

function toFaultInfo(fault: MachineFault, symbols: Symbolizer): FaultInfo {
  return {
    kind: fault.kind,
    pc: fault.pc === null ? null : hex(fault.pc),
    pcSymbol: fault.pc === null ? null : symbols.format(fault.pc),
    address: fault.address === null ? null : hex(fault.address),
    addressSymbol: fault.address === null ? null : symbols.format(fault.address),
    access: fault.access,
    esr: null,
    detail: fault.detail,
  };
}
