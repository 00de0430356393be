// Register snapshots from QEMU's gdbstub: start qemu-system-aarch64 paused (-S) with the stub on
// a free loopback port, connect, read the reset state, set breakpoints, continue, and at each hit
// record the registers, up to N hits; then kill QEMU (its whole process group). Bounded overall.
//
// QEMU is started with the same arguments as the QEMU runner (qemuInvocation, plus
// `-gdb tcp:127.0.0.1:PORT -S`), through execa, without a shell.
import { WbdiffError } from '../errors.js';
import { qemuInvocation } from '../runners/qemu-args.js';
import { SerialCapture } from '../runners/serial-capture.js';
import { DEFAULTS as RUN_DEFAULTS } from '../runners/types.js';
import { startTiedChild } from '../util/child.js';
import { hex } from '../util/hex.js';
import { freeLoopbackPort } from '../util/free-port.js';
import { RspClient, RspError, type RspClientOptions } from './rsp.js';
import { CORE_REGISTERS, type BreakpointHit, type RegisterValues, type SnapshotRun } from './snapshot.js';
import { signalName, SIGTRAP, type StopReply } from './stop-reply.js';

export interface QemuSnapshotOptions {
  elfPath: string;
  /** QEMU -cpu (default cortex-a57). */
  cpu?: string;
  memoryMiB?: number;
  /** Instruction addresses to stop at (each stop is before the instruction runs). */
  breakpoints: readonly bigint[];
  /** Stop after this many hits in all (default 64). */
  maxHits?: number;
  /** Wall-clock limit for everything: start, connect, run, kill (default 30 s). */
  timeoutMs?: number;
  /** Limit for one request to the stub (default 3 s). */
  requestTimeoutMs?: number;
  /**
   * Once this many hits are recorded, wait at most graceMs for another hit or the power-off, then
   * end (kind 'settled'). The parity check passes the emulator's hit count here: when the emulator
   * ended after N hits, QEMU need not run its whole time limit to show it has nothing more.
   */
  settleAfter?: { hits: number; graceMs: number };
  /** qemu-system-aarch64 binary (default WBDIFF_QEMU or qemu-system-aarch64). */
  binary?: string;
  signal?: AbortSignal;
  onTraffic?: RspClientOptions['onTraffic'];
}

// A real gdbstub answers at once; the request limit only matters when it is broken, so it can be generous under load.
const DEFAULTS = { cpu: 'cortex-a57', maxHits: 64, timeoutMs: 30_000, requestTimeoutMs: 10_000 } as const;
const PORT_ATTEMPTS = 4;
const STDERR_KEEP = 8 * 1024;
const SERIAL_KEEP = 256 * 1024;
/** After a stop, how long serial bytes already written by the guest may take to reach us. */
const SERIAL_SETTLE_MS = 15;

/** Its own process group (detached), so a kill takes QEMU and anything it started. */
function spawnQemu(file: string, args: readonly string[]) {
  return startTiedChild(file, args, { stdin: 'ignore', encoding: 'buffer', buffer: false, reject: false, detached: true, cleanup: false });
}
type QemuChild = ReturnType<typeof spawnQemu>;

interface Started {
  child: QemuChild;
  port: number;
  client: RspClient;
  command: string[];
  output: { serial: string; stderr: string; exited: boolean; exitCode: number | null };
}

/** Snapshots at breakpoints on QEMU. Throws WbdiffError (RspError for the protocol) on failure. */
export async function snapshotOnQemu(options: QemuSnapshotOptions): Promise<SnapshotRun> {
  const startedAt = Date.now();
  const settings = { ...DEFAULTS, ...stripUndefined(options) };
  const deadline = startedAt + settings.timeoutMs;
  const remaining = () => Math.max(1, deadline - Date.now());
  const started = await startQemu(options, settings.cpu, deadline);
  const { client, output } = started;
  const request = () => Math.min(settings.requestTimeoutMs, remaining());
  const abort = () => client.close();
  options.signal?.addEventListener('abort', abort, { once: true });
  // A hard bound on the whole session, whatever the stub does: at the limit the socket is closed
  // and the pending request fails (each request has its own, shorter timeout besides).
  let overran = false;
  const watchdog = setTimeout(
    () => {
      overran = true;
      client.close();
    },
    Math.max(1, deadline - Date.now()) + 1000,
  );
  try {
    // The client bounds each request; this only bounds the handshake's few requests together.
    await withDeadline(client.handshake(), request() * 3 + 250, 'the gdbstub handshake');
    const layout = await client.registerLayout();
    const missing = CORE_REGISTERS.filter((r) => !layout.registers.some((l) => l.name === r));
    if (missing.length) {
      throw new WbdiffError(`the gdbstub's target description has no ${missing.join(', ')}`, {
        where: `QEMU gdbstub ${client.endpoint}`,
        hint: `is this an AArch64 target? (architecture: ${layout.architecture ?? 'unknown'})`,
      });
    }
    const halt = await client.haltReason();
    if (halt.kind !== 'stopped')
      throw new WbdiffError(`QEMU was not stopped at reset (${describeStop(halt)})`, { where: `QEMU gdbstub ${client.endpoint}` });
    const reset = await readSnapshot(client);

    const breakpoints = [...new Set(options.breakpoints)];
    for (const address of breakpoints) await client.insertBreakpoint(address);
    const hits: BreakpointHit[] = [];
    const perAddress = new Map<bigint, number>();
    let stepOver: bigint | null = null;
    let end: SnapshotRun['end'] | null = null;

    const record = async (registers: RegisterValues) => {
      const address = registers['pc']!;
      const n = (perAddress.get(address) ?? 0) + 1;
      perAddress.set(address, n);
      await delay(SERIAL_SETTLE_MS);
      hits.push({ seq: hits.length + 1, address, hitOfBreakpoint: n, registers, serialBefore: output.serial });
    };

    while (end === null) {
      if (Date.now() >= deadline) {
        end = { kind: 'timeout', detail: `the ${settings.timeoutMs} ms limit ran out after ${hits.length} hits` };
        break;
      }
      if (hits.length >= settings.maxHits) {
        end = { kind: 'max-hits', detail: `stopped after ${hits.length} hits (--max-hits)` };
        break;
      }
      // Resuming from a breakpoint: lift it, step one instruction, put it back (as GDB does).
      if (stepOver !== null) {
        const at = stepOver;
        stepOver = null;
        await client.removeBreakpoint(at);
        const stepped = await client.resume('step', request());
        if (stepped.stop.kind !== 'stopped') {
          end = endOf(stepped.stop);
          break;
        }
        await client.insertBreakpoint(at);
        const regs = await readSnapshot(client);
        if (stepped.stop.signal === SIGTRAP && breakpoints.includes(regs['pc']!)) {
          // The step landed on another breakpoint: that is a hit, before its instruction runs.
          await record(regs);
          stepOver = regs['pc']!;
          continue;
        }
        if (stepped.stop.signal !== SIGTRAP) {
          end = { kind: 'stopped', detail: `stopped by ${signalName(stepped.stop.signal)} at ${hex(regs['pc']!)}` };
          break;
        }
      }
      const settling = options.settleAfter !== undefined && hits.length >= options.settleAfter.hits;
      const wait = settling ? Math.min(options.settleAfter!.graceMs, remaining()) : remaining();
      const waitUntil = Date.now() + wait;
      let resumed: { stop: StopReply };
      try {
        resumed = await client.resume('continue', wait);
      } catch (error) {
        if (error instanceof RspError && error.kind === 'timeout' && Date.now() >= waitUntil - 5) {
          end =
            settling && wait < remaining()
              ? { kind: 'settled', detail: `no further breakpoint or power-off within ${wait} ms after hit ${hits.length}` }
              : {
                  kind: 'timeout',
                  detail: `the guest did not reach a breakpoint or power off within the ${settings.timeoutMs} ms limit (${hits.length} hits)`,
                };
          break;
        }
        throw error;
      }
      const stop = resumed.stop;
      if (stop.kind !== 'stopped') {
        end = endOf(stop);
        break;
      }
      const regs = await readSnapshot(client);
      if (stop.signal !== SIGTRAP || !breakpoints.includes(regs['pc']!)) {
        end = { kind: 'stopped', detail: `stopped by ${signalName(stop.signal)} at ${hex(regs['pc']!)}, not at a breakpoint` };
        break;
      }
      await record(regs);
      stepOver = regs['pc']!;
    }
    await delay(SERIAL_SETTLE_MS);
    return {
      runner: 'qemu',
      reset,
      hits,
      end,
      serial: output.serial,
      durationMs: Date.now() - startedAt,
      details: {
        command: started.command,
        port: started.port,
        layout: layout.source,
        registersDescribed: layout.registers.length,
        /** name:regnum:bitsize of the registers the snapshots read, as the stub's description gives them. */
        coreLayout: layout.registers
          .filter((r) => [...CORE_REGISTERS, 'cpsr'].includes(r.name))
          .map((r) => `${r.name}:${r.regnum}:${r.bitsize}`),
        noAck: client.noAckMode,
      },
    };
  } catch (error) {
    if (options.signal?.aborted) throw new WbdiffError('cancelled', { where: 'QEMU gdbstub session' });
    if (overran)
      throw new RspError('timeout', `the QEMU gdbstub session at ${client.endpoint} passed its ${settings.timeoutMs} ms limit`, {
        cause: error,
      });
    const stderr = lastLines(output.stderr, 3);
    if (error instanceof WbdiffError && stderr) {
      const message = `${error.message}; QEMU stderr: ${stderr}`;
      const options = { ...(error.where ? { where: error.where } : {}), ...(error.hint ? { hint: error.hint } : {}), cause: error };
      throw error instanceof RspError ? new RspError(error.kind, message, options) : new WbdiffError(message, options);
    }
    throw error;
  } finally {
    clearTimeout(watchdog);
    options.signal?.removeEventListener('abort', abort);
    client.kill();
    await stopProcess(started.child);
  }
}

async function readSnapshot(client: RspClient): Promise<RegisterValues> {
  const values = await client.readRegisters();
  const out: RegisterValues = {};
  for (const name of [...CORE_REGISTERS, 'cpsr']) {
    const v = values[name];
    if (v === null || v === undefined) {
      if (name === 'cpsr') continue;
      throw new RspError('protocol', `the gdbstub at ${client.endpoint} did not report ${name} in its g reply`);
    }
    out[name] = v;
  }
  return out;
}

function endOf(stop: StopReply): SnapshotRun['end'] {
  switch (stop.kind) {
    case 'exited':
      return { kind: 'exited', detail: `QEMU exited with status ${stop.status} (the guest powered off)` };
    case 'terminated':
      return { kind: 'exited', detail: `QEMU was terminated by ${signalName(stop.signal)}` };
    default:
      return { kind: 'stopped', detail: describeStop(stop) };
  }
}

function describeStop(stop: StopReply): string {
  switch (stop.kind) {
    case 'stopped':
      return `stopped by ${signalName(stop.signal)}`;
    case 'exited':
      return `exited with status ${stop.status}`;
    case 'terminated':
      return `terminated by ${signalName(stop.signal)}`;
    case 'output':
      return 'console output';
  }
}

// ------------------------------------------------------------ the QEMU process

async function startQemu(options: QemuSnapshotOptions, cpu: string, deadline: number): Promise<Started> {
  let lastError: WbdiffError | null = null;
  for (let attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
    const port = await freeLoopbackPort();
    const { file, args } = qemuInvocation(
      { elfPath: options.elfPath, cpu, timeoutMs: 0, memoryMiB: options.memoryMiB ?? RUN_DEFAULTS.memoryMiB },
      { gdbPort: port, ...(options.binary ? { binary: options.binary } : {}) },
    );
    // Serial kept and escaped as every runner keeps it (SerialCapture), so it compares with the emulator's.
    const capture = new SerialCapture(SERIAL_KEEP);
    const output = {
      get serial(): string {
        return capture.text();
      },
      stderr: '',
      exited: false,
      exitCode: null as number | null,
    };
    // Killed with its group when the session ends, and on our own exit too (execa's cleanup skips detached children).
    const child = spawnQemu(file, args);
    const killOnExit = () => killGroup(child);
    process.once('exit', killOnExit);
    child.stdout?.on('data', (chunk: Buffer) => {
      capture.push(chunk);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (output.stderr.length < STDERR_KEEP) output.stderr += chunk.toString('latin1');
    });
    let spawnError: string | null = null;
    void child.then((result) => {
      output.exited = true;
      output.exitCode = result.exitCode ?? null;
      process.removeListener('exit', killOnExit);
      const code = (result as { code?: string }).code;
      if (code === 'ENOENT') spawnError = `${file} not found: install the Debian package qemu-system-arm (npm run setup does)`;
    });
    const command = [file, ...args];
    // QEMU opens the stub's socket while it starts: connect until it answers, it exits, or time is up.
    const connectBy = Math.min(deadline, Date.now() + 10_000);
    while (Date.now() < connectBy) {
      if (output.exited) break;
      try {
        const client = await RspClient.connect({
          port,
          connectTimeoutMs: Math.min(1000, Math.max(1, connectBy - Date.now())),
          requestTimeoutMs: options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
          ...(options.onTraffic ? { onTraffic: options.onTraffic } : {}),
        });
        return { child, port, client, command, output };
      } catch (error) {
        if (!(error instanceof RspError) || error.kind !== 'connect') throw error;
        await delay(25);
      }
    }
    await stopProcess(child);
    if (spawnError) throw new WbdiffError(spawnError, { where: 'wbdiff parity' });
    const inUse = /address already in use|failed to bind/i.test(output.stderr);
    lastError = new WbdiffError(
      output.exited
        ? `QEMU exited (${output.exitCode}) before its gdbstub on 127.0.0.1:${port} accepted a connection: ${lastLines(output.stderr, 3) || 'no message'}`
        : `QEMU's gdbstub on 127.0.0.1:${port} did not accept a connection in time`,
      { where: command.join(' '), hint: 'does this QEMU support -gdb tcp:HOST:PORT? (qemu-system-arm from Debian does)' },
    );
    if (!inUse || Date.now() >= deadline) throw lastError;
  }
  throw lastError ?? new WbdiffError('could not start QEMU with a gdbstub');
}

function killGroup(child: QemuChild): void {
  const pid = child.pid;
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** SIGKILL to the process group, then wait (bounded) for the exit to be reaped. */
async function stopProcess(child: QemuChild): Promise<void> {
  killGroup(child);
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, 3000)));
  await Promise.race([
    child.then(
      () => undefined,
      () => undefined,
    ),
    limit,
  ]);
  clearTimeout(timer);
}

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RspError('timeout', `${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function lastLines(text: string, n: number): string {
  return text
    .trim()
    .split('\n')
    .filter((l) => l && !l.startsWith('Taking exception') && !l.startsWith('...'))
    .slice(-n)
    .join(' | ');
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
