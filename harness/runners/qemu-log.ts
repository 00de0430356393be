// Reads QEMU's `-d int,guest_errors` log (on stderr): each exception the guest takes is a block
//   Taking exception 4 [Data Abort] on CPU 0
//   ...from EL1 to EL1
//   ...with ESR 0x25/0x96000010
//   ...with FAR 0x50000000
//   ...with ELR 0x40080018
//   ...to EL1 PC 0x200 PSTATE 0x3c5
// PSCI calls made with HVC/SMC show up as a block that ends "...handled as PSCI call".

export interface QemuException {
  number: number;
  name: string;
  fromEl: number | null;
  toEl: number | null;
  /** Exception class (ESR bits 31:26) and the full syndrome, as QEMU prints "EC/syndrome". */
  ec: number | null;
  esr: bigint | null;
  far: bigint | null;
  elr: bigint | null;
  psci: boolean;
  /** The raw lines, for the report. */
  text: string;
}

/** Exceptions that mean "the kernel went wrong" when the kernel has no handlers of its own. */
export function isFatalException(e: QemuException): boolean {
  if (e.psci) return false;
  return /Abort|Undefined|Unaligned|Breakpoint|Watchpoint|Illegal|SError|Data|Prefetch/i.test(e.name) || e.name === 'SVC';
}

export class QemuLogReader {
  private current: QemuException | null = null;
  private partial = '';
  readonly exceptions: QemuException[] = [];
  /** "Invalid read at addr ..." lines from guest_errors, kept for the evidence. */
  readonly guestErrors: string[] = [];

  /** Feeds a chunk of stderr; returns exceptions completed by it. */
  push(chunk: string): QemuException[] {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    const completed: QemuException[] = [];
    for (const line of lines) {
      const done = this.line(line.replace(/\r$/, ''));
      if (done) completed.push(done);
    }
    return completed;
  }

  /** Ends the stream: a block cut short still counts. */
  end(): QemuException[] {
    const completed: QemuException[] = [];
    if (this.partial) {
      const done = this.line(this.partial);
      if (done) completed.push(done);
      this.partial = '';
    }
    if (this.current) completed.push(this.finish());
    return completed;
  }

  private line(line: string): QemuException | null {
    const start = /^Taking exception (\d+) \[([^\]]+)\]/.exec(line);
    if (start) {
      const previous = this.current ? this.finish() : null;
      this.current = { number: Number(start[1]), name: start[2]!, fromEl: null, toEl: null, ec: null, esr: null, far: null, elr: null, psci: false, text: line };
      return previous;
    }
    const e = this.current;
    if (!e) {
      if (/^Invalid (read|write)|^unimplemented|^Bad/i.test(line) && this.guestErrors.length < 100) this.guestErrors.push(line);
      return null;
    }
    if (!line.startsWith('...')) {
      if (/^Invalid (read|write)/.test(line) && this.guestErrors.length < 100) this.guestErrors.push(line);
      return null;
    }
    e.text += `\n${line}`;
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
      return this.finish();
    } else if (/^\.\.\.to EL\d/.test(line)) {
      return this.finish();
    }
    return null;
  }

  private finish(): QemuException {
    const e = this.current!;
    this.current = null;
    this.exceptions.push(e);
    return e;
  }
}

/** Read/write/fetch from the syndrome: data aborts carry WnR (ISS bit 6); instruction aborts are fetches. */
export function accessKind(e: QemuException): 'read' | 'write' | 'fetch' | null {
  if (e.ec === 0x20 || e.ec === 0x21) return 'fetch';
  if ((e.ec === 0x24 || e.ec === 0x25) && e.esr !== null) return (e.esr >> 6n) & 1n ? 'write' : 'read';
  return null;
}
