// Serial consoles a board is read through (labgrid's "console protocol"): a TCP endpoint as board
// labs expose them (ser2net raw mode), or a local tty (npm serialport). The board runner knows
// only this interface.
import { connect, type Socket } from 'node:net';

export type ConsoleSpec = { tcp: string } | { tty: string; baud?: number };

export interface Console {
  readonly description: string;
  /** Resolves once connected; rejects with a clear reason (refused, timed out, no such device). */
  open(timeoutMs: number, signal?: AbortSignal): Promise<void>;
  onData(listener: (chunk: Uint8Array) => void): void;
  /** Called once if the other side closes the line while we still read. */
  onClose(listener: (why: string) => void): void;
  close(): Promise<void>;
}

export function openConsole(spec: ConsoleSpec): Console {
  return 'tcp' in spec ? new TcpConsole(spec.tcp) : new TtyConsole(spec.tty, spec.baud ?? 115200);
}

export function parseHostPort(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) throw new Error(`"${text}" is not host:port (e.g. 127.0.0.1:5555)`);
  return { host: m[1] ?? m[2]!, port };
}

/** Listener bookkeeping both transports share; a close we asked for is not reported. */
abstract class ListenedConsole {
  private readonly dataListeners: ((chunk: Uint8Array) => void)[] = [];
  private readonly closeListeners: ((why: string) => void)[] = [];
  protected closing = false;

  onData(listener: (chunk: Uint8Array) => void): void {
    this.dataListeners.push(listener);
  }

  onClose(listener: (why: string) => void): void {
    this.closeListeners.push(listener);
  }

  protected emitData(chunk: Uint8Array): void {
    this.dataListeners.forEach((l) => l(chunk));
  }

  protected emitClose(why: string): void {
    if (!this.closing) this.closeListeners.forEach((l) => l(why));
  }
}

class TcpConsole extends ListenedConsole implements Console {
  private socket: Socket | null = null;

  constructor(private readonly endpoint: string) {
    super();
  }

  get description(): string {
    return `tcp:${this.endpoint}`;
  }

  /** Retries refused connections until the deadline: a console server may come up after us. */
  async open(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const { host, port } = parseHostPort(this.endpoint);
    const deadline = Date.now() + timeoutMs;
    let last = 'no attempt';
    while (Date.now() < deadline) {
      if (signal?.aborted) throw new Error('cancelled');
      try {
        this.socket = await attempt(host, port, Math.max(1, deadline - Date.now()));
        this.socket.on('data', (chunk: Buffer) => this.emitData(chunk));
        this.socket.on('close', () => this.emitClose(`the console ${this.description} closed the connection`));
        this.socket.on('error', () => undefined);
        return;
      } catch (error) {
        last = (error as Error).message;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`cannot connect to the console ${this.description} within ${timeoutMs} ms (${last})`);
  }

  async close(): Promise<void> {
    this.closing = true;
    const socket = this.socket;
    this.socket = null;
    if (socket && !socket.destroyed) await new Promise<void>((resolve) => socket.end(() => resolve()).destroy());
  }
}

function attempt(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('connect timed out'));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    });
  });
}

class TtyConsole extends ListenedConsole implements Console {
  private port: { close(cb: (e: Error | null) => void): void; isOpen: boolean } | null = null;

  constructor(
    private readonly path: string,
    private readonly baud: number,
  ) {
    super();
  }

  get description(): string {
    return `tty:${this.path}@${this.baud}`;
  }

  async open(timeoutMs: number): Promise<void> {
    // Loaded only when a board uses a tty: the native binding is not needed for TCP consoles.
    const { SerialPort } = await import('serialport');
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`opening ${this.description} took longer than ${timeoutMs} ms`)), timeoutMs);
      const port = new SerialPort({ path: this.path, baudRate: this.baud, autoOpen: false });
      port.open((error) => {
        clearTimeout(timer);
        if (error) return reject(new Error(`cannot open ${this.description}: ${error.message}`));
        port.on('data', (chunk: Buffer) => this.emitData(chunk));
        port.on('close', () => this.emitClose(`the tty ${this.path} went away`));
        this.port = port;
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    const port = this.port;
    this.port = null;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}
