// Stop replies (answers to `?`, `c`, `s`), pure: `S05`, `T05thread:01;...`, `W00`, `X09`, and
// the `O` console-output packets a stub may send while the target runs.
import { hexToBytes, PacketFormatError, printable } from './packets.js';

export type StopReply =
  /** The target stopped with a signal (5 = SIGTRAP: breakpoint or step). */
  | { kind: 'stopped'; signal: number; thread: string | null; reason: string | null; info: Record<string, string> }
  /** The process exited (QEMU: the guest powered off) with this status. */
  | { kind: 'exited'; status: number }
  /** The process was terminated by a signal. */
  | { kind: 'terminated'; signal: number }
  /** `O<hex>`: output for the debugger's console; not a stop. */
  | { kind: 'output'; text: string };

export const SIGTRAP = 5;

/** Stop reasons that may appear as `reason:value` in a T reply. */
const REASONS = ['watch', 'rwatch', 'awatch', 'library', 'replaylog', 'swbreak', 'hwbreak', 'fork', 'vfork', 'vforkdone', 'exec', 'create'];

export function parseStopReply(reply: string): StopReply {
  const kind = reply[0];
  const bad = (why: string) => new PacketFormatError(`not a stop reply (${why}): "${printable(reply)}"`);
  if (kind === 'O') {
    if (!/^O([0-9a-fA-F]{2})+$/.test(reply)) throw bad('O must be followed by hex-encoded console output');
    return { kind: 'output', text: Buffer.from(hexToBytes(reply.slice(1))).toString('latin1') };
  }
  if (kind === 'S' || kind === 'T' || kind === 'W' || kind === 'X') {
    const code = reply.slice(1, 3);
    if (!/^[0-9a-fA-F]{2}$/.test(code)) throw bad('the code after the letter is not two hex digits');
    const value = parseInt(code, 16);
    if (kind === 'W') return { kind: 'exited', status: value };
    if (kind === 'X') return { kind: 'terminated', signal: value };
    if (kind === 'S') {
      if (reply.length !== 3) throw bad('S takes only a signal number');
      return { kind: 'stopped', signal: value, thread: null, reason: null, info: {} };
    }
    const info: Record<string, string> = {};
    let reason: string | null = null;
    for (const part of reply.slice(3).split(';')) {
      if (part === '') continue;
      const colon = part.indexOf(':');
      if (colon <= 0) throw bad(`"${part}" is not name:value`);
      const name = part.slice(0, colon);
      info[name] = part.slice(colon + 1);
      if (REASONS.includes(name)) reason = name;
    }
    return { kind: 'stopped', signal: value, thread: info['thread'] ?? null, reason, info };
  }
  throw bad(kind === undefined ? 'empty' : `unknown kind "${printable(kind)}"`);
}

/** "SIGTRAP (5)", for messages. */
export function signalName(signal: number): string {
  const names: Record<number, string> = { 2: 'SIGINT', 5: 'SIGTRAP', 6: 'SIGABRT', 9: 'SIGKILL', 11: 'SIGSEGV', 15: 'SIGTERM' };
  return `${names[signal] ?? 'signal'} (${signal})`;
}
