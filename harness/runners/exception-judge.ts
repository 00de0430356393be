// Decides, from QEMU's exception log as it streams, whether the guest handles its exceptions.
// A kernel with its own vectors takes exceptions on purpose (SVC, undefined instructions, BRK,
// debug events) and returns: those are not faults. One is unhandled when
//   - there is no vector table: the vector is below 0x800 (VBAR_ELx = 0) with nothing loaded there;
//   - its vector is a branch to itself (`b .`): the handler can never return;
//   - the same exception is taken again and again at the same place without progress;
//   - the run times out before the handler returns (asked by the runner: pendingCause()).
// Pure: events in, findings out; the image is only asked for the word at an address.
import { BRANCH_TO_SELF, REPEAT_LIMIT } from '../emu/exceptions.js';
import { hex } from '../util/hex.js';
import type { LogEvent, QemuException } from './qemu-log.js';

export interface UnhandledException {
  exception: QemuException;
  why: string;
}

export { REPEAT_LIMIT };
const NO_VECTOR_TABLE_END = 0x800n;
const PENDING_KEEP = 64;

export class ExceptionJudge {
  private readonly pending: QemuException[] = [];
  private pendingDropped = 0;
  private lastKey: string | null = null;
  private lastReexecutes = false;
  private streak = 0;
  /** Where the last ERET went since the last exception (null: none since). */
  private returnedTo: bigint | null = null;

  constructor(private readonly wordAt: (addr: bigint) => number | null) {}

  /** Feeds one log event; returns the unhandled exception it reveals, if any. */
  onEvent(event: LogEvent): UnhandledException | null {
    if (event.kind === 'return') {
      if (this.pendingDropped > 0) this.pendingDropped -= 1;
      else this.pending.pop();
      this.returnedTo = event.ret.pc;
      return null;
    }
    const e = event.exception;
    if (e.psci || e.semihosting) return null;
    const vector = e.vector;
    if (vector !== null) {
      const word = this.wordAt(vector);
      if (word === null && vector < NO_VECTOR_TABLE_END) {
        return { exception: e, why: `no vector table (VBAR_EL${e.toEl ?? 1} is 0 and nothing is loaded at ${hex(vector)})` };
      }
      if (word === BRANCH_TO_SELF)
        return { exception: e, why: `its vector at ${hex(vector)} is a branch to itself (b .): the handler never returns` };
    }
    const key = `${e.name}|${e.elr}|${e.esr}`;
    // No progress: back at the instruction that trapped (an abort, UDF, BRK re-executed), or
    // trapped again before any return. Returning to ELR after an SVC/HVC/SMC or an interrupt
    // is progress: their ELR is already the next instruction.
    const stuck = this.returnedTo === null || (this.lastReexecutes && this.returnedTo === e.elr);
    this.streak = key === this.lastKey && stuck ? this.streak + 1 : 1;
    this.lastKey = key;
    this.lastReexecutes = reexecutes(e);
    this.returnedTo = null;
    if (this.pending.length < PENDING_KEEP) this.pending.push(e);
    else this.pendingDropped += 1;
    if (this.streak >= REPEAT_LIMIT) {
      return {
        exception: e,
        why: `taken ${this.streak} times in a row at ${e.elr === null ? 'the same place' : hex(e.elr)} without progress (a loop at the vector)`,
      };
    }
    return null;
  }

  /** The oldest exception whose handler has not returned (what a timeout is blamed on), or null. */
  pendingCause(): QemuException | null {
    return this.pending[0] ?? null;
  }
}

/** Whether ELR_ELx of this exception is the instruction that took it (so returning there re-executes it). */
export function reexecutes(e: QemuException): boolean {
  if (/^(IRQ|FIQ|Virtual|vIRQ|vFIQ)/i.test(e.name)) return false;
  return e.ec === null || (e.ec !== 0x15 && e.ec !== 0x16 && e.ec !== 0x17 && e.ec !== 0x32 && e.ec !== 0x33);
}
