// Reads QEMU's `-d int,guest_errors` log (on stderr) as a stream: each exception the guest takes is
//   Taking exception 4 [Data Abort] on CPU 0
//   ...from EL1 to EL1
//   ...with ESR 0x25/0x96000010
//   ...with FAR 0x50000000
//   ...with ELR 0x40080018
//   ...to EL1 PC 0x200 PSTATE 0x3c5
// and each ERET is "Exception return from AArch64 EL1 to AArch64 EL1 PC 0x40080440". PSCI calls
// made with HVC/SMC end "...handled as PSCI call", semihosting calls "...handled as semihosting call":
// QEMU served those itself, the guest's vectors never ran. Pure and bounded: nothing is kept per
// line but a few counters, so a kernel looping on exceptions costs CPU, never memory.

import { EXCEPTION_CLASS } from '../emu/exceptions.js';

export interface QemuException {
  number: number;
  name: string;
  cpu: number | null;
  fromEl: number | null;
  toEl: number | null;
  /** Exception class (ESR bits 31:26) and the full syndrome, as QEMU prints "EC/syndrome". */
  ec: number | null;
  esr: bigint | null;
  far: bigint | null;
  elr: bigint | null;
  /** Where the exception sent the CPU: the vector (VBAR_ELx + offset). */
  vector: bigint | null;
  /** QEMU handled it itself (PSCI or semihosting call): not an exception the guest saw. */
  psci: boolean;
  semihosting: boolean;
  /** The raw lines, for the report. */
  text: string;
}

export interface ExceptionReturn {
  fromEl: number;
  toEl: number;
  pc: bigint;
}

export type LogEvent = { kind: 'taken'; exception: QemuException } | { kind: 'return'; ret: ExceptionReturn };

/** A line longer than this is cut: QEMU's lines are short, a longer one is not a log line. */
const MAX_LINE = 4096;
const KEEP_GUEST_ERRORS = 100;
const KEEP_MESSAGES = 20;

export class QemuLogReader {
  private current: QemuException | null = null;
  private partial = '';
  /** Exceptions the guest took (PSCI/semihosting calls not counted) and ERETs seen. */
  taken = 0;
  returns = 0;
  /** "Invalid read at addr ..." lines from guest_errors, the first few kept for the evidence. */
  readonly guestErrors: string[] = [];
  /** The last lines that are neither exceptions nor guest errors: QEMU's own messages (errors, warnings). */
  readonly messages: string[] = [];

  /** Feeds a chunk of stderr; returns the events completed by it. */
  push(chunk: string): LogEvent[] {
    const events: LogEvent[] = [];
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
      const line = (this.partial + chunk.slice(start, nl)).replace(/\r$/, '');
      this.partial = '';
      start = nl + 1;
      this.line(line.slice(0, MAX_LINE), events);
    }
    if (start < chunk.length && this.partial.length < MAX_LINE) this.partial += chunk.slice(start, start + MAX_LINE - this.partial.length);
    return events;
  }

  /** Ends the stream: a block cut short still counts. */
  end(): LogEvent[] {
    const events: LogEvent[] = [];
    if (this.partial) {
      this.line(this.partial, events);
      this.partial = '';
    }
    if (this.current) this.finish(events);
    return events;
  }

  private line(line: string, events: LogEvent[]): void {
    const start = /^Taking exception (\d+) \[([^\]]+)\](?: on CPU (\d+))?/.exec(line);
    if (start) {
      if (this.current) this.finish(events);
      this.current = {
        number: Number(start[1]),
        name: start[2]!,
        cpu: start[3] === undefined ? null : Number(start[3]),
        fromEl: null,
        toEl: null,
        ec: null,
        esr: null,
        far: null,
        elr: null,
        vector: null,
        psci: false,
        semihosting: false,
        text: line,
      };
      return;
    }
    const ret = /^Exception return from AArch(?:64|32) EL(\d) to AArch(?:64|32) EL(\d) PC 0x([0-9a-f]+)/i.exec(line);
    if (ret) {
      if (this.current) this.finish(events);
      this.returns += 1;
      events.push({ kind: 'return', ret: { fromEl: Number(ret[1]), toEl: Number(ret[2]), pc: BigInt(`0x${ret[3]}`) } });
      return;
    }
    const e = this.current;
    if (!e || !line.startsWith('...')) {
      if (/^Invalid (read|write)|^unimplemented|^Bad/i.test(line)) {
        if (this.guestErrors.length < KEEP_GUEST_ERRORS) this.guestErrors.push(line);
      } else if (line.trim() !== '' && !line.startsWith('...')) {
        this.messages.push(line);
        if (this.messages.length > KEEP_MESSAGES) this.messages.shift();
      }
      return;
    }
    if (e.text.length < 1024) e.text += `\n${line}`;
    let m: RegExpExecArray | null;
    if ((m = /^\.\.\.from EL(\d) to EL(\d)/.exec(line))) {
      e.fromEl = Number(m[1]);
      e.toEl = Number(m[2]);
    } else if ((m = /^\.\.\.with ESR 0x([0-9a-f]+)\/0x([0-9a-f]+)/i.exec(line))) {
      e.ec = parseInt(m[1]!, 16);
      e.esr = BigInt(`0x${m[2]}`);
    } else if ((m = /^\.\.\.with FAR 0x([0-9a-f]+)/i.exec(line))) {
      e.far = BigInt(`0x${m[1]}`);
    } else if ((m = /^\.\.\.with ELR 0x([0-9a-f]+)/i.exec(line))) {
      e.elr = BigInt(`0x${m[1]}`);
    } else if (/handled as PSCI call/.test(line)) {
      e.psci = true;
      this.finish(events);
    } else if (/handl(?:ed|ing) as semihosting call/.test(line)) {
      e.semihosting = true;
      this.finish(events);
    } else if ((m = /^\.\.\.to EL\d PC 0x([0-9a-f]+)/i.exec(line))) {
      e.vector = BigInt(`0x${m[1]}`);
      this.finish(events);
    }
  }

  private finish(events: LogEvent[]): void {
    const e = this.current!;
    this.current = null;
    if (!e.psci && !e.semihosting) this.taken += 1;
    events.push({ kind: 'taken', exception: e });
  }
}

/** Read/write/fetch from the syndrome: data aborts carry WnR (ISS bit 6); instruction aborts are fetches. */
export function accessKind(e: QemuException): 'read' | 'write' | 'fetch' | null {
  if (e.ec === 0x20 || e.ec === 0x21) return 'fetch';
  if ((e.ec === 0x24 || e.ec === 0x25) && e.esr !== null) return (e.esr >> 6n) & 1n ? 'write' : 'read';
  if (e.ec === 0x34 || e.ec === 0x35) return e.esr !== null && (e.esr >> 6n) & 1n ? 'write' : 'read';
  return null;
}

/** The exception in words: the ESR class when QEMU gave one, else QEMU's own name. */
export function exceptionKind(e: QemuException): string {
  if (e.ec !== null && EXCEPTION_CLASS[e.ec] && !/^(IRQ|FIQ|Virtual)/.test(e.name)) {
    const cls = EXCEPTION_CLASS[e.ec]!;
    return e.ec === 0x00 && /Undefined/i.test(e.name) ? 'undefined instruction' : cls;
  }
  return e.name.toLowerCase();
}

/**
 * `-icount sleep=off` prints this once when every vCPU is idle with no timer armed (softmmu/icount.c
 * icount_start_warp_timer), e.g. as a kernel powers off: the clock simply stays, it is no error.
 */
const ICOUNT_IDLE_WARNING = /: warning: icount sleep disabled and no active timers$/;

/** QEMU's own error messages (it failed, not the guest); its harmless module and icount warnings are not. */
export function qemuErrorLines(messages: readonly string[]): string[] {
  return messages.filter(
    (line) =>
      (/^(qemu-system-[\w-]+|qemu): /.test(line) && !/: module \S+ not found/.test(line) && !ICOUNT_IDLE_WARNING.test(line)) ||
      /^\*\*|GLib|^\(process:\d+\)|Aborted|Segmentation fault/.test(line),
  );
}
