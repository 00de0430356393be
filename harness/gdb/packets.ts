// GDB Remote Serial Protocol framing, pure: `$data#cs` packets with the mod-256 checksum,
// `}` escapes (byte XOR 0x20), `*` run-length encoding, and a streaming frame reader that turns
// the bytes coming off a socket into acks, packets and garbage. No sockets here (see rsp.ts).
//
// Bytes are carried in latin1 strings (one char = one byte, 0..255): RSP is a byte protocol and
// most of it is ASCII, so this keeps the code readable without losing anything.

/** Characters that must be escaped inside a packet's data. */
const MUST_ESCAPE = new Set(['$', '#', '}', '*']);
const ESCAPE = '}';

/** The largest packet the reader accepts before it calls the rest garbage (QEMU sends <= 4 KiB). */
export const MAX_PACKET_BYTES = 1 << 20;

/** Sum of the bytes mod 256. */
export function checksum(data: string): number {
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum = (sum + (data.charCodeAt(i) & 0xff)) & 0xff;
  return sum;
}

/** `}`-escapes the four characters that cannot appear raw in packet data. */
export function escapeData(data: string): string {
  let out = '';
  for (const c of data) out += MUST_ESCAPE.has(c) ? ESCAPE + String.fromCharCode(c.charCodeAt(0) ^ 0x20) : c;
  return out;
}

/** `$<escaped data>#<two hex digits>`. */
export function encodePacket(data: string): string {
  const body = escapeData(data);
  return `$${body}#${checksum(body).toString(16).padStart(2, '0')}`;
}

export class PacketFormatError extends Error {
  override readonly name = 'PacketFormatError';
}

/**
 * Expands run-length encoding: `c*n` is c followed by n-29 more copies of c (n printable, so a
 * run of 4 to 97). GDB expands runs before it unescapes, on the bytes as they came, and so do we.
 */
export function expandRunLength(raw: string): string {
  if (!raw.includes('*')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== '*') {
      out += c;
      continue;
    }
    if (out.length === 0) throw new PacketFormatError('run-length marker "*" with nothing before it to repeat');
    const n = raw.charCodeAt(i + 1);
    if (Number.isNaN(n)) throw new PacketFormatError('run-length marker "*" at the end of the packet, without a count');
    if (n < 32 || n > 126) throw new PacketFormatError(`run-length count byte 0x${n.toString(16)} is not printable`);
    out += out[out.length - 1]!.repeat(n - 29);
    i++;
  }
  return out;
}

/** Undoes `}` escapes (binary replies: qXfer, X). */
export function unescapeData(data: string): string {
  if (!data.includes(ESCAPE)) return data;
  let out = '';
  for (let i = 0; i < data.length; i++) {
    const c = data[i]!;
    if (c !== ESCAPE) {
      out += c;
      continue;
    }
    if (i + 1 >= data.length) throw new PacketFormatError('escape "}" at the end of the packet, with no byte after it');
    out += String.fromCharCode(data.charCodeAt(i + 1) ^ 0x20);
    i++;
  }
  return out;
}

export type FrameEvent =
  | { kind: 'ack' }
  | { kind: 'nack' }
  /**
   * A `$...#cs` frame. data is the payload after run-length expansion (null when the expansion
   * failed); checksumOk compares the sent checksum with the one computed over the raw bytes.
   */
  | { kind: 'packet'; raw: string; data: string | null; checksumOk: boolean; sentChecksum: string; problem: string | null }
  /** A `%...#cs` asynchronous notification (non-stop mode; we never ask for it). */
  | { kind: 'notification'; raw: string; checksumOk: boolean }
  /** Bytes that are none of the above. */
  | { kind: 'garbage'; bytes: string };

type ReaderState =
  | { at: 'idle' }
  | { at: 'body'; start: '$' | '%'; body: string }
  | { at: 'checksum'; start: '$' | '%'; body: string; digits: string };

/**
 * Streaming frame reader: push byte chunks as they come, get events out. Pure and incremental: a
 * frame split across chunks is reassembled, and bytes between frames that are not `+` or `-` are
 * reported as garbage (so a caller can fail fast on a line that is not speaking RSP).
 */
export class FrameReader {
  private state: ReaderState = { at: 'idle' };
  private garbage = '';

  constructor(private readonly maxPacketBytes = MAX_PACKET_BYTES) {}

  push(chunk: string | Uint8Array): FrameEvent[] {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('latin1');
    const events: FrameEvent[] = [];
    for (let i = 0; i < text.length; i++) this.step(text[i]!, events);
    this.flushGarbage(events);
    return events;
  }

  /** True while a frame has started but not ended. */
  get inFrame(): boolean {
    return this.state.at !== 'idle';
  }

  private step(c: string, events: FrameEvent[]): void {
    const s = this.state;
    switch (s.at) {
      case 'idle':
        if (c === '+' || c === '-') {
          this.flushGarbage(events);
          events.push({ kind: c === '+' ? 'ack' : 'nack' });
        } else if (c === '$' || c === '%') {
          this.flushGarbage(events);
          this.state = { at: 'body', start: c, body: '' };
        } else {
          this.garbage += c;
        }
        return;
      case 'body':
        if (c === '#') {
          this.state = { at: 'checksum', start: s.start, body: s.body, digits: '' };
        } else if (c === '$') {
          // A new frame before this one ended: what came before was not a frame.
          this.garbage += s.start + s.body;
          this.flushGarbage(events);
          this.state = { at: 'body', start: '$', body: '' };
        } else if (s.body.length >= this.maxPacketBytes) {
          this.garbage += s.start + s.body + c;
          this.state = { at: 'idle' };
        } else {
          s.body += c;
        }
        return;
      case 'checksum':
        s.digits += c;
        if (s.digits.length === 2) {
          events.push(finishFrame(s.start, s.body, s.digits));
          this.state = { at: 'idle' };
        }
        return;
    }
  }

  private flushGarbage(events: FrameEvent[]): void {
    if (!this.garbage) return;
    events.push({ kind: 'garbage', bytes: this.garbage });
    this.garbage = '';
  }
}

function finishFrame(start: '$' | '%', body: string, digits: string): FrameEvent {
  const valid = /^[0-9a-fA-F]{2}$/.test(digits);
  const checksumOk = valid && parseInt(digits, 16) === checksum(body);
  if (start === '%') return { kind: 'notification', raw: body, checksumOk };
  if (!checksumOk) {
    const problem = valid
      ? `checksum ${digits} does not match the data (computed ${checksum(body).toString(16).padStart(2, '0')})`
      : `checksum "${printable(digits)}" is not two hex digits`;
    return { kind: 'packet', raw: body, data: null, checksumOk: false, sentChecksum: digits, problem };
  }
  try {
    return { kind: 'packet', raw: body, data: expandRunLength(body), checksumOk: true, sentChecksum: digits, problem: null };
  } catch (error) {
    return { kind: 'packet', raw: body, data: null, checksumOk: true, sentChecksum: digits, problem: (error as Error).message };
  }
}

/** Bytes shown to people: printable ASCII as is, the rest as \xNN, cut to `max` characters. */
export function printable(bytes: string, max = 80): string {
  let out = '';
  for (const c of bytes) {
    const code = c.charCodeAt(0);
    out += code >= 0x20 && code < 0x7f ? c : `\\x${code.toString(16).padStart(2, '0')}`;
    if (out.length >= max) return `${out.slice(0, max)}…`;
  }
  return out;
}

// ------------------------------------------------------------ hex payloads

/** Bytes from a hex string ("0a1b..."). Throws on odd length or a non-hex digit. */
export function hexToBytes(text: string): Uint8Array {
  if (text.length % 2 !== 0) throw new PacketFormatError(`hex data has an odd number of digits (${text.length})`);
  if (!/^[0-9a-fA-F]*$/.test(text)) throw new PacketFormatError(`hex data has non-hex characters: "${printable(text, 40)}"`);
  return Uint8Array.from(Buffer.from(text, 'hex'));
}

/** A little-endian unsigned value from target-order hex bytes; null when the stub says "xx" (unavailable). */
export function littleEndianHex(text: string): bigint | null {
  if (/^x+$/i.test(text)) return null;
  const bytes = hexToBytes(text);
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

/** A stub's error reply: "E01", "E.text" (the textual form some stubs use). */
export function errorReply(reply: string): string | null {
  const m = /^E([0-9a-fA-F]{2}|\..*)$/.exec(reply);
  return m ? m[1]! : null;
}
