// A GDB Remote Serial Protocol client over TCP (node:net): one request at a time, acks and
// retransmission (or QStartNoAckMode when the stub offers it), a timeout on every request, and a
// clear error — never a hang — when the other end is silent, closes, or sends garbage.
//
// Framing, escapes and run-length decoding are the pure functions of packets.ts; stop replies and
// register layouts are parsed by stop-reply.ts and target-xml.ts. This file is the I/O edge.
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { WbdiffError } from '../errors.js';
import { hex } from '../util/hex.js';
import {
  encodePacket,
  errorReply,
  FrameReader,
  hexToBytes,
  PacketFormatError,
  printable,
  unescapeData,
  type FrameEvent,
} from './packets.js';
import { parseStopReply, type StopReply } from './stop-reply.js';
import {
  aarch64CoreLayout,
  buildRegisterLayout,
  decodeRegisterBlock,
  parseTargetXml,
  type RegisterLayout,
  type TargetDocument,
} from './target-xml.js';

export type RspErrorKind =
  /** Could not open the TCP connection. */
  | 'connect'
  /** No (complete, valid) reply in time. */
  | 'timeout'
  /** The other end closed the connection. */
  | 'closed'
  /** Bytes that are not RSP, or packets that keep failing their checksum. */
  | 'garbage'
  /** Well-framed packets that do not say what the request expects. */
  | 'protocol'
  /** The stub answered `Exx`. */
  | 'stub-error'
  /** The stub answered with an empty packet: it does not support the request. */
  | 'unsupported';

export class RspError extends WbdiffError {
  constructor(
    readonly kind: RspErrorKind,
    what: string,
    options: { where?: string; hint?: string; cause?: unknown } = {},
  ) {
    super(what, { ...options, infrastructure: true });
    this.name = 'RspError';
  }
}

export interface RspClientOptions {
  /** Host to connect to (default 127.0.0.1); a non-loopback host needs allowRemote. */
  host?: string;
  /** A gdbstub gives full control of the target: only loopback unless this says otherwise. */
  allowRemote?: boolean;
  port: number;
  /** Limit for opening the connection (default 2000 ms). */
  connectTimeoutMs?: number;
  /** Default limit for one request and its reply (default 3000 ms). */
  requestTimeoutMs?: number;
  /** Retransmissions after a `-`, and `-`s sent for corrupt replies, before giving up (default 3). */
  maxRetries?: number;
  /** Bytes of non-RSP data tolerated while waiting for one reply (default 64). */
  maxGarbageBytes?: number;
  /** Sees every packet sent and received (for --verbose / debugging). */
  onTraffic?: (direction: 'send' | 'receive', text: string) => void;
}

export interface RequestOptions {
  timeoutMs?: number;
  /** How people should read the request in errors ("read registers (g)"); default the packet. */
  what?: string;
  /**
   * Sees each valid packet while waiting: return true when it is the reply, false to keep
   * waiting (e.g. `O` console-output packets before a stop reply).
   */
  isReply?: (data: string) => boolean;
}

interface Waiter {
  packet: string;
  what: string;
  retransmits: number;
  corruptReplies: number;
  garbageBytes: number;
  lastGarbage: string;
  acked: boolean;
  bytesIn: number;
  isReply: (data: string) => boolean;
  resolve: (data: string) => void;
  reject: (error: RspError) => void;
  timer: NodeJS.Timeout;
}

const DEFAULTS = { connectTimeoutMs: 2000, requestTimeoutMs: 3000, maxRetries: 3, maxGarbageBytes: 64 } as const;

/** Loopback addresses only, unless a caller deliberately names another host. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

export class RspClient {
  readonly host: string;
  readonly port: number;
  private readonly socket: Socket;
  private readonly reader = new FrameReader();
  private readonly settings: Required<Omit<RspClientOptions, 'host' | 'port' | 'onTraffic' | 'allowRemote'>>;
  private readonly onTraffic: RspClientOptions['onTraffic'];
  private waiter: Waiter | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private noAck = false;
  /** Set once the connection is unusable (closed, timed out mid-request, corrupted). */
  private broken: RspError | null = null;
  private features: Map<string, string | boolean> | null = null;
  private layoutCache: RegisterLayout | null = null;

  private constructor(socket: Socket, options: RspClientOptions) {
    this.socket = socket;
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port;
    this.settings = {
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
      maxRetries: options.maxRetries ?? DEFAULTS.maxRetries,
      maxGarbageBytes: options.maxGarbageBytes ?? DEFAULTS.maxGarbageBytes,
    };
    this.onTraffic = options.onTraffic;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) =>
      this.fail(new RspError('closed', `the connection to the gdbstub at ${this.endpoint} failed: ${error.message}`, { cause: error })),
    );
    socket.on('close', () =>
      this.fail(
        new RspError('closed', `the gdbstub at ${this.endpoint} closed the connection`, {
          hint: 'the stub (QEMU) exited or dropped the debugger; see its stderr',
        }),
      ),
    );
  }

  /** Opens the connection (bounded by connectTimeoutMs). */
  static connect(options: RspClientOptions): Promise<RspClient> {
    const host = options.host ?? '127.0.0.1';
    const limit = options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
    if (!isLoopback(host) && !options.allowRemote) {
      return Promise.reject(
        new RspError('connect', `refusing to connect to a gdbstub at ${host}:${options.port}: not a loopback address`, {
          hint: 'QEMU is started with -gdb tcp:127.0.0.1:PORT; pass allowRemote for a remote stub',
        }),
      );
    }
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host, port: options.port });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new RspError('connect', `could not connect to a gdbstub at ${host}:${options.port} within ${limit} ms`));
      }, limit);
      socket.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        socket.destroy();
        reject(
          new RspError('connect', `could not connect to a gdbstub at ${host}:${options.port}: ${error.code ?? error.message}`, {
            cause: error,
          }),
        );
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new RspClient(socket, { ...options, host }));
      });
    });
  }

  get endpoint(): string {
    return `${this.host}:${this.port}`;
  }

  /** Null while usable; otherwise why not. */
  get failure(): RspError | null {
    return this.broken;
  }

  /** Sends one packet and resolves with the reply's data (run-length expanded, not unescaped). */
  request(data: string, options: RequestOptions = {}): Promise<string> {
    const run = this.queue.then(() => this.exchange(data, options));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private exchange(data: string, options: RequestOptions): Promise<string> {
    if (this.broken) return Promise.reject(this.broken);
    const timeoutMs = options.timeoutMs ?? this.settings.requestTimeoutMs;
    const what = options.what ?? `"${printable(data, 40)}"`;
    return new Promise<string>((resolve, reject) => {
      const packet = encodePacket(data);
      const waiter: Waiter = {
        packet,
        what,
        retransmits: 0,
        corruptReplies: 0,
        garbageBytes: 0,
        lastGarbage: '',
        acked: false,
        bytesIn: 0,
        isReply: options.isReply ?? (() => true),
        resolve: (reply) => {
          clearTimeout(waiter.timer);
          this.waiter = null;
          resolve(reply);
        },
        reject: (error) => {
          clearTimeout(waiter.timer);
          this.waiter = null;
          reject(error);
        },
        timer: setTimeout(() => this.timedOut(waiter, timeoutMs), timeoutMs),
      };
      this.waiter = waiter;
      this.write(packet, data);
    });
  }

  private timedOut(w: Waiter, timeoutMs: number): void {
    if (this.waiter !== w) return;
    const seen =
      w.bytesIn === 0
        ? 'nothing came back'
        : w.garbageBytes > 0
          ? `${w.bytesIn} bytes came back, ${w.garbageBytes} of them not RSP (last: "${printable(w.lastGarbage, 40)}")`
          : `${w.bytesIn} bytes came back but no complete reply${w.acked ? ' (the request was acknowledged)' : ''}`;
    const error = new RspError('timeout', `no reply to ${w.what} from the gdbstub at ${this.endpoint} within ${timeoutMs} ms: ${seen}`, {
      hint:
        w.bytesIn === 0
          ? 'is a GDB stub listening there (QEMU -gdb tcp:HOST:PORT)? is the target running instead of stopped?'
          : 'the other end does not speak the GDB remote protocol',
    });
    // The stream's state is unknown now (a late reply would answer the wrong request): stop here.
    this.breakConnection(error);
  }

  private onData(chunk: Buffer): void {
    const text = chunk.toString('latin1');
    if (this.waiter) this.waiter.bytesIn += chunk.length;
    for (const event of this.reader.push(text)) this.onEvent(event);
  }

  private onEvent(event: FrameEvent): void {
    const w = this.waiter;
    switch (event.kind) {
      case 'ack':
        if (w) w.acked = true;
        return;
      case 'nack':
        if (!w || this.noAck) return;
        if (++w.retransmits > this.settings.maxRetries) {
          this.breakConnection(
            new RspError(
              'garbage',
              `the gdbstub at ${this.endpoint} rejected ${w.what} ${w.retransmits} times ("-"): the line corrupts packets`,
            ),
          );
          return;
        }
        this.write(w.packet, '(retransmit)');
        return;
      case 'notification':
        return; // non-stop notifications: never asked for
      case 'garbage':
        if (!w) return;
        w.garbageBytes += event.bytes.length;
        w.lastGarbage = event.bytes.slice(-40);
        if (w.garbageBytes > this.settings.maxGarbageBytes) {
          this.breakConnection(
            new RspError(
              'garbage',
              `garbage on the line from ${this.endpoint} while waiting for the reply to ${w.what}: ${w.garbageBytes} bytes that are not RSP packets ("${printable(event.bytes, 40)}")`,
              {
                hint: 'is this port a GDB stub? (a serial console or another service answers differently)',
              },
            ),
          );
        }
        return;
      case 'packet':
        this.onPacket(event, w);
        return;
    }
  }

  private onPacket(event: Extract<FrameEvent, { kind: 'packet' }>, w: Waiter | null): void {
    this.onTraffic?.('receive', event.raw);
    if (!event.checksumOk) {
      if (!w) return;
      if (this.noAck || ++w.corruptReplies > this.settings.maxRetries) {
        this.breakConnection(
          new RspError(
            'garbage',
            `corrupt reply to ${w.what} from ${this.endpoint}: ${event.problem}${this.noAck ? ' (no-ack mode: it cannot be resent)' : ` (${w.corruptReplies} times)`}; data "${printable(event.raw, 40)}"`,
          ),
        );
        return;
      }
      this.socket.write('-');
      return;
    }
    if (!this.noAck) this.socket.write('+');
    if (!w) return;
    if (event.data === null) {
      this.breakConnection(new RspError('protocol', `malformed reply to ${w.what} from ${this.endpoint}: ${event.problem}`));
      return;
    }
    if (w.isReply(event.data)) w.resolve(event.data);
  }

  private write(packet: string, label: string): void {
    this.onTraffic?.('send', label);
    this.socket.write(Buffer.from(packet, 'latin1'));
  }

  private fail(error: RspError): void {
    if (!this.broken) this.broken = error;
    const w = this.waiter;
    if (w) {
      const withContext = new RspError(
        error.kind,
        `${error.message} while waiting for the reply to ${w.what}${w.bytesIn ? ` (${w.bytesIn} bytes had come back)` : ''}`,
        {
          ...(error.hint ? { hint: error.hint } : {}),
          cause: error.cause,
        },
      );
      w.reject(withContext);
    }
  }

  private breakConnection(error: RspError): void {
    const w = this.waiter;
    this.broken ??= error;
    if (w) w.reject(error);
    this.socket.destroy();
  }

  /** Closes the socket (idempotent). */
  close(): void {
    this.broken ??= new RspError('closed', `the connection to ${this.endpoint} was closed by wbdiff`);
    this.socket.destroy();
  }

  // ------------------------------------------------------------ typed requests

  /** A request whose reply must be neither empty (unsupported) nor `Exx`. */
  private async command(data: string, what: string, timeoutMs?: number): Promise<string> {
    const reply = await this.request(data, { what, ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
    if (reply === '') throw new RspError('unsupported', `the gdbstub at ${this.endpoint} does not support ${what} (empty reply)`);
    const code = errorReply(reply);
    if (code !== null) throw new RspError('stub-error', `the gdbstub at ${this.endpoint} refused ${what}: error ${code}`);
    return reply;
  }

  private protocolError(what: string, error: unknown): RspError {
    return new RspError('protocol', `the reply to ${what} from ${this.endpoint} is malformed: ${(error as Error).message}`, {
      cause: error,
    });
  }

  /** qSupported; then QStartNoAckMode when offered (acks are redundant over TCP). */
  async handshake(): Promise<Map<string, string | boolean>> {
    const reply = await this.request('qSupported:swbreak+;hwbreak+;xmlRegisters=aarch64', { what: 'qSupported' });
    const features = parseSupported(reply);
    this.features = features;
    if (features.get('QStartNoAckMode') === true) {
      const ok = await this.command('QStartNoAckMode', 'QStartNoAckMode');
      if (ok !== 'OK') throw new RspError('protocol', `QStartNoAckMode answered "${printable(ok)}", not OK`);
      this.noAck = true;
    }
    return features;
  }

  get noAckMode(): boolean {
    return this.noAck;
  }

  /** An annex of the target description (qXfer:features:read), unescaped, in as many chunks as it takes. */
  async readFeature(annex: string, maxBytes = 1 << 20): Promise<string> {
    let out = '';
    const chunk = 0xfff;
    for (let rounds = 0; rounds < 1024; rounds++) {
      const what = `qXfer:features:read:${annex}`;
      const reply = await this.command(`qXfer:features:read:${annex}:${out.length.toString(16)},${chunk.toString(16)}`, what);
      const kind = reply[0];
      if (kind !== 'm' && kind !== 'l')
        throw this.protocolError(what, new Error(`it starts with "${printable(reply.slice(0, 1))}", not m or l`));
      let data: string;
      try {
        data = unescapeData(reply.slice(1));
      } catch (error) {
        throw this.protocolError(what, error);
      }
      out += data;
      if (out.length > maxBytes) throw new RspError('protocol', `${annex} from ${this.endpoint} is larger than ${maxBytes} bytes`);
      if (kind === 'l') return out;
      if (data.length === 0) throw this.protocolError(what, new Error('an "m" reply with no data would loop forever'));
    }
    throw new RspError('protocol', `${annex} from ${this.endpoint} did not end after 1024 chunks`);
  }

  /**
   * The register layout from the stub's target.xml and its includes; the built-in aarch64 core
   * layout only when the stub offers no target description at all.
   */
  async registerLayout(): Promise<RegisterLayout> {
    if (this.layoutCache) return this.layoutCache;
    const features = this.features ?? (await this.handshake());
    if (features.get('qXfer:features:read') !== true) {
      this.layoutCache = aarch64CoreLayout();
      return this.layoutCache;
    }
    const parse = async (annex: string) => {
      const xml = await this.readFeature(annex);
      try {
        return parseTargetXml(xml, annex);
      } catch (error) {
        throw this.protocolError(`qXfer:features:read:${annex}`, error);
      }
    };
    const root = await parse('target.xml');
    const annexes = new Map<string, TargetDocument>();
    const pending = root.items.flatMap((i) => (i.kind === 'include' ? [i.href] : []));
    while (pending.length) {
      const href = pending.shift()!;
      if (annexes.has(href)) continue;
      if (annexes.size >= 32) throw new RspError('protocol', `target.xml from ${this.endpoint} includes more than 32 annexes`);
      const doc = await parse(href);
      annexes.set(href, doc);
      for (const i of doc.items) if (i.kind === 'include') pending.push(i.href);
    }
    try {
      this.layoutCache = buildRegisterLayout(root, annexes);
    } catch (error) {
      throw this.protocolError('qXfer:features:read:target.xml', error);
    }
    return this.layoutCache;
  }

  /** `?`: why the target is stopped. */
  async haltReason(): Promise<StopReply> {
    const reply = await this.command('?', 'the halt reason (?)');
    return this.stopReply(reply, '?');
  }

  /** `g`: all the registers the stub sends, named by the layout (QEMU aarch64: x0..x30, sp, pc, cpsr). */
  async readRegisters(): Promise<Record<string, bigint | null>> {
    const layout = await this.registerLayout();
    const reply = await this.command('g', 'read registers (g)');
    try {
      return decodeRegisterBlock(reply, layout).values;
    } catch (error) {
      throw this.protocolError('read registers (g)', error);
    }
  }

  /** `p n`: one register by number (null when the stub reports it unavailable). */
  async readRegister(regnum: number): Promise<bigint | null> {
    const layout = await this.registerLayout();
    const reg = layout.registers.find((r) => r.regnum === regnum);
    const what = `read register ${reg?.name ?? regnum} (p${regnum.toString(16)})`;
    const reply = await this.command(`p${regnum.toString(16)}`, what);
    if (reg && reply.length !== reg.bitsize / 4)
      throw this.protocolError(what, new Error(`${reply.length / 2} bytes for a ${reg.bitsize}-bit register`));
    try {
      return (
        decodeRegisterBlock(reply, {
          ...layout,
          registers: [reg ?? { name: 'r', regnum, bitsize: reply.length * 4, type: null, group: null, feature: null }],
        }).values[reg?.name ?? 'r'] ?? null
      );
    } catch (error) {
      throw this.protocolError(what, error);
    }
  }

  /** `m addr,len`, in chunks the stub's PacketSize allows. */
  async readMemory(address: bigint, length: number): Promise<Uint8Array> {
    const packetSize = Number.parseInt(String(this.features?.get('PacketSize') ?? '400'), 16) || 0x400;
    const chunk = Math.max(16, Math.floor((packetSize - 8) / 2));
    const out = new Uint8Array(length);
    for (let done = 0; done < length; ) {
      const n = Math.min(chunk, length - done);
      const at = address + BigInt(done);
      const what = `read memory (m${at.toString(16)},${n.toString(16)})`;
      const reply = await this.command(`m${at.toString(16)},${n.toString(16)}`, what);
      let bytes: Uint8Array;
      try {
        bytes = hexToBytes(reply);
      } catch (error) {
        throw this.protocolError(what, error);
      }
      if (bytes.length === 0 || bytes.length > n) throw this.protocolError(what, new Error(`${bytes.length} bytes for ${n} asked`));
      out.set(bytes, done);
      done += bytes.length;
    }
    return out;
  }

  /** `Z0,addr,kind`: a software breakpoint (kind 4: one A64 instruction). */
  async insertBreakpoint(address: bigint, kind = 4): Promise<void> {
    const what = `insert breakpoint at ${hex(address)} (Z0)`;
    const reply = await this.command(`Z0,${address.toString(16)},${kind}`, what);
    if (reply !== 'OK') throw this.protocolError(what, new Error(`"${printable(reply)}", not OK`));
  }

  async removeBreakpoint(address: bigint, kind = 4): Promise<void> {
    const what = `remove breakpoint at ${hex(address)} (z0)`;
    const reply = await this.command(`z0,${address.toString(16)},${kind}`, what);
    if (reply !== 'OK') throw this.protocolError(what, new Error(`"${printable(reply)}", not OK`));
  }

  /**
   * `c` (or `s`): resumes and waits for the stop reply (`T05...`, `S05`, or `W`/`X` when the target
   * exits: QEMU sends `W00` when the guest powers off). Console output packets are collected.
   */
  async resume(how: 'continue' | 'step', timeoutMs: number): Promise<{ stop: StopReply; output: string }> {
    let output = '';
    const what = how === 'continue' ? 'continue (c)' : 'single step (s)';
    const reply = await this.request(how === 'continue' ? 'c' : 's', {
      what,
      timeoutMs,
      isReply: (data) => {
        if (data.length > 1 && data[0] === 'O' && /^O([0-9a-fA-F]{2})+$/.test(data)) {
          output += Buffer.from(hexToBytes(data.slice(1))).toString('latin1');
          return false;
        }
        return true;
      },
    });
    if (reply === '') throw new RspError('unsupported', `the gdbstub at ${this.endpoint} does not support ${what}`);
    const code = errorReply(reply);
    if (code !== null) throw new RspError('stub-error', `the gdbstub at ${this.endpoint} refused ${what}: error ${code}`);
    return { stop: this.stopReply(reply, what), output };
  }

  private stopReply(reply: string, what: string): StopReply {
    try {
      return parseStopReply(reply);
    } catch (error) {
      throw this.protocolError(what, error);
    }
  }

  /** Ctrl-C (0x03): asks a running target to stop; its stop reply answers the pending resume. */
  interrupt(): void {
    if (!this.broken) this.socket.write(Buffer.from([0x03]));
  }

  /** `k`: kill the target. No reply is expected (QEMU just exits); the connection is closed. */
  kill(): void {
    if (!this.broken) {
      try {
        this.write(encodePacket('k'), 'k');
      } catch {
        // already gone
      }
    }
    this.close();
  }

  /** `D`: detach and let the target run on. */
  async detach(timeoutMs?: number): Promise<void> {
    await this.command('D', 'detach (D)', timeoutMs);
    this.close();
  }
}

/** A qSupported reply: "PacketSize=1000;qXfer:features:read+;..." -> name -> value | true | false. */
export function parseSupported(reply: string): Map<string, string | boolean> {
  const out = new Map<string, string | boolean>();
  for (const part of reply.split(';')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq), part.slice(eq + 1));
    else if (part.endsWith('+')) out.set(part.slice(0, -1), true);
    else if (part.endsWith('-') || part.endsWith('?')) out.set(part.slice(0, -1), false);
    else out.set(part, true);
  }
  return out;
}

export { PacketFormatError };
