// Arm semihosting (`HLT #0xF000` in AArch64) as QEMU 7.2 implements the calls a bare-metal test
// uses (semihosting/arm-compat-semi.c): w0 = operation, x1 = a parameter or a parameter block.
// Console output goes to the serial stream, so markers printed this way are read like UART ones.

export const HLT_F000 = 0xd45e_0000;

export const SEMIHOSTING_OP = {
  SYS_WRITEC: 0x03,
  SYS_WRITE0: 0x04,
  SYS_WRITE: 0x05,
  SYS_CLOCK: 0x10,
  SYS_EXIT: 0x18,
  SYS_EXIT_EXTENDED: 0x20,
  SYS_ELAPSED: 0x30,
  SYS_TICKFREQ: 0x31,
} as const;

/** ADP_Stopped_ApplicationExit: the only reason whose subcode is an exit status. */
export const ADP_STOPPED_APPLICATION_EXIT = 0x2_0026n;

export interface SemihostingMemory {
  read(address: bigint, size: number): Uint8Array;
  write(address: bigint, bytes: Uint8Array): void;
}

export type SemihostingResult =
  | { kind: 'return'; x0: bigint; output?: Uint8Array }
  | { kind: 'exit'; status: number; reason: string }
  | { kind: 'unsupported'; op: number };

const u64 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset + at, 8).getBigUint64(0, true);

/** One semihosting call. `elapsedNs` is the time since the run started (SYS_CLOCK, SYS_ELAPSED). */
export function semihostingCall(op: number, x1: bigint, memory: SemihostingMemory, elapsedNs: bigint): SemihostingResult {
  switch (op) {
    case SEMIHOSTING_OP.SYS_WRITEC:
      return { kind: 'return', x0: 0n, output: memory.read(x1, 1) };
    case SEMIHOSTING_OP.SYS_WRITE0: {
      const bytes: number[] = [];
      for (let at = x1; bytes.length < 1 << 20; at++) {
        const byte = memory.read(at, 1)[0]!;
        if (byte === 0) break;
        bytes.push(byte);
      }
      return { kind: 'return', x0: 0n, output: Uint8Array.from(bytes) };
    }
    case SEMIHOSTING_OP.SYS_WRITE: {
      const block = memory.read(x1, 24);
      const fd = u64(block, 0);
      const length = Number(u64(block, 16) & 0xff_ffffn);
      // fds 1 and 2 (and QEMU's :tt handles) are the console; x0 = bytes NOT written.
      if (fd !== 1n && fd !== 2n) return { kind: 'unsupported', op };
      return { kind: 'return', x0: 0n, output: memory.read(u64(block, 8), length) };
    }
    case SEMIHOSTING_OP.SYS_CLOCK:
      return { kind: 'return', x0: elapsedNs / 10_000_000n };
    case SEMIHOSTING_OP.SYS_ELAPSED: {
      const out = new Uint8Array(8);
      new DataView(out.buffer).setBigUint64(0, elapsedNs, true);
      memory.write(x1, out);
      return { kind: 'return', x0: 0n };
    }
    case SEMIHOSTING_OP.SYS_TICKFREQ:
      return { kind: 'return', x0: 1_000_000_000n };
    case SEMIHOSTING_OP.SYS_EXIT:
    case SEMIHOSTING_OP.SYS_EXIT_EXTENDED: {
      // AArch64: x1 points at { reason, subcode }.
      const block = memory.read(x1, 16);
      const reason = u64(block, 0);
      const subcode = u64(block, 8);
      const name = op === SEMIHOSTING_OP.SYS_EXIT ? 'SYS_EXIT' : 'SYS_EXIT_EXTENDED';
      if (reason === ADP_STOPPED_APPLICATION_EXIT)
        return { kind: 'exit', status: Number(subcode & 0xffn), reason: `semihosting ${name} (status ${Number(subcode & 0xffn)})` };
      return { kind: 'exit', status: 1, reason: `semihosting ${name} with reason 0x${reason.toString(16)} (status 1)` };
    }
    default:
      return { kind: 'unsupported', op };
  }
}
