// How many instructions a counted slice executed, exactly also when it ends early (WFI, an
// exception, a stop from a hook), and how far into the slice a hook is. Two ways:
// - EngineCounter reads Unicorn's own count (uc_struct.emu_counter, Unicorn.emuCounter): the
//   count hook every counted uc_emu_start runs anyway, so it costs nothing more per instruction;
// - QuantumCounter (interrupts/engine-hooks.ts) counts translation blocks from a JS block hook,
//   ~1.3 us per block entered (a tight loop ~600x slower): only where the first is unavailable.
import { QuantumCounter } from './interrupts/engine-hooks.js';
import type { Unicorn } from './unicorn.js';

/** What the machine's slices need from a counter (QuantumCounter's shape). */
export interface InstructionCounter {
  /** Before each uc_emu_start. */
  begin(): void;
  /** From a hook about to stop the engine: the slice ends after (`completes`) or before the current instruction. */
  stopHere(completes: boolean): void;
  /**
   * From a caller's own hook that stops the engine (a tracer site, a parity breakpoint): a code
   * hook stops before its instruction, a block hook before the block's first one.
   */
  stopBefore(where: 'code' | 'block'): void;
  /** Whether the slice ended by itself right after the instruction before `pc` (a WFI), not by its count or a stop. */
  ranThroughTo(pc: bigint): boolean;
  /** After uc_emu_start(count): the instructions the slice executed. */
  executed(count: number): number;
  /** From a hook inside the slice: instructions executed before the current one. */
  readonly inQuantum: () => number;
  /** Which way it counts, for run details. */
  readonly kind: 'engine' | 'block-hook';
}

/** The engine's own count when this libunicorn offers it (measured at load), else the block hook. */
export function instructionCounterFor(uc: Unicorn, prefer: InstructionCounter['kind'] = 'engine'): InstructionCounter {
  if (prefer === 'engine' && uc.emuCounter() !== null) return new EngineCounter(uc);
  const counter = new QuantumCounter(uc);
  // Its block hook, registered first, has counted the block whose hooks run: inQuantum() is exact in both.
  return Object.assign(counter, { kind: 'block-hook' as const, stopBefore: () => counter.stopHere(false) });
}

export class EngineCounter implements InstructionCounter {
  readonly kind = 'engine' as const;
  private stoppedAfter = Number.POSITIVE_INFINITY;
  private lastCount = 0;
  private lastCounted = 0;

  constructor(private readonly uc: Unicorn) {}

  begin(): void {
    this.stoppedAfter = Number.POSITIVE_INFINITY;
  }

  stopHere(completes: boolean): void {
    this.stoppedAfter = Math.min(this.stoppedAfter, this.inQuantum() + (completes ? 1 : 0));
  }

  stopBefore(where: 'code' | 'block'): void {
    // A code hook runs after the count hook counted its instruction; a block hook before it.
    this.stoppedAfter = Math.min(this.stoppedAfter, this.inQuantum() + (where === 'block' ? 1 : 0));
  }

  executed(count: number): number {
    // count + 1 after a start that ran out its count (the next instruction was counted, then stopped).
    this.lastCounted = this.uc.emuCounter()!;
    this.lastCount = count;
    return Math.min(count, this.lastCounted, this.stoppedAfter);
  }

  ranThroughTo(_pc: bigint): boolean {
    return this.stoppedAfter === Number.POSITIVE_INFINITY && this.lastCounted >= 1 && this.lastCounted <= this.lastCount;
  }

  /** The count hook has already counted the instruction whose hook is running. */
  readonly inQuantum = (): number => this.uc.emuCounter()! - 1;
}
