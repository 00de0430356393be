// Runs a kernel under qemu-system-aarch64 -M virt. Serial on stdout (bytes), exceptions on stderr.
import { readElf } from '../elf/read-elf.js';
import type { Symbolizer } from '../elf/symbols.js';
import { startTiedChild } from '../util/child.js';
import { hex } from '../util/hex.js';
import { qemuInvocation } from './qemu-args.js';
import { accessKind, isFatalException, QemuLogReader, type QemuException } from './qemu-log.js';
import { buildRunResult, errorResult, SerialCapture } from './serial-capture.js';
import { DEFAULTS, type FaultInfo, type Runner, type RunOptions, type RunResult, type RunSpec, type Verdict } from './types.js';

const STDERR_KEEP = 16 * 1024;

export class QemuRunner implements Runner {
  readonly name = 'qemu' as const;

  async run(spec: RunSpec, options: RunOptions = {}): Promise<RunResult> {
    const startedAt = Date.now();
    let symbols: Symbolizer;
    try {
      symbols = (await readElf(spec.elfPath)).symbols;
    } catch (error) {
      return errorResult('qemu', spec.cpu, (error as Error).message, startedAt);
    }
    const { file, args } = qemuInvocation(spec);

    let stop: { verdict: Verdict; reason: string; fault?: FaultInfo } | null = null;
    let doneTimer: NodeJS.Timeout | undefined;
    const capture = new SerialCapture(spec.maxSerialBytes ?? DEFAULTS.maxSerialBytes, () => {
      // DONE without power-off: give the kernel a moment to power off, then end it ourselves.
      doneTimer = setTimeout(() => end('completed', 'DONE printed; no PSCI power-off followed'), spec.afterDoneMs ?? DEFAULTS.afterDoneMs);
    });
    const log = new QemuLogReader();
    let stderrTail = '';

    const child = startTiedChild(file, args, {
      stdin: 'ignore',
      encoding: 'buffer',
      buffer: false,
      reject: false,
      cleanup: true,
      ...(options.signal ? { cancelSignal: options.signal } : {}),
    });
    const end = (verdict: Verdict, reason: string, fault?: FaultInfo) => {
      if (stop) return;
      stop = fault ? { verdict, reason, fault } : { verdict, reason };
      child.kill('SIGKILL');
    };

    child.stdout?.on('data', (chunk: Buffer) => {
      capture.push(chunk);
      options.onSerial?.(chunk);
      if (capture.overflowed) end('output-limit', `serial output passed the ${spec.maxSerialBytes ?? DEFAULTS.maxSerialBytes}-byte cap`);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      if (stderrTail.length < STDERR_KEEP) stderrTail += text.slice(0, STDERR_KEEP - stderrTail.length);
      for (const e of log.push(text)) {
        if (isFatalException(e)) end('fault', `guest took ${e.name}`, faultFromException(e, symbols));
      }
    });

    const timer = setTimeout(() => end('timeout', `timeout after ${spec.timeoutMs} ms`), spec.timeoutMs);
    const silence = spec.silenceTimeoutMs
      ? setInterval(() => {
          if (Date.now() - capture.lastOutputAt > spec.silenceTimeoutMs!) end('timeout', `no serial output for ${spec.silenceTimeoutMs} ms`);
        }, Math.min(250, spec.silenceTimeoutMs))
      : undefined;

    const outcome = await child;
    clearTimeout(timer);
    clearTimeout(doneTimer);
    if (silence) clearInterval(silence);
    for (const e of log.end()) if (!stop && isFatalException(e)) stop = { verdict: 'fault', reason: `guest took ${e.name}`, fault: faultFromException(e, symbols) };

    const details: Record<string, unknown> = { command: [file, ...args], exitCode: outcome.exitCode ?? null, signal: outcome.signal ?? null };
    if (log.guestErrors.length) details['guestErrors'] = log.guestErrors.slice(0, 20);

    const finished = stop as { verdict: Verdict; reason: string; fault?: FaultInfo } | null;
    if (finished) {
      return buildRunResult({ runner: 'qemu', cpu: spec.cpu, ...finished, fault: finished.fault ?? null, capture, resultPatterns: spec.resultPatterns, startedAt, details });
    }
    if (options.signal?.aborted) {
      return buildRunResult({ runner: 'qemu', cpu: spec.cpu, verdict: 'error', reason: 'cancelled', capture, resultPatterns: spec.resultPatterns, startedAt, details });
    }
    const spawnError = (outcome as { code?: string }).code;
    if (spawnError === 'ENOENT') {
      return errorResult('qemu', spec.cpu, `${file} not found: install the Debian package qemu-system-arm (npm run setup does)`, startedAt);
    }
    if (outcome.exitCode === 0) {
      // QEMU exits 0 on PSCI SYSTEM_OFF (and on SYSTEM_RESET with -no-reboot).
      return buildRunResult({ runner: 'qemu', cpu: spec.cpu, verdict: 'completed', reason: 'PSCI SYSTEM_OFF (QEMU exited)', poweredOff: true, capture, resultPatterns: spec.resultPatterns, startedAt, details });
    }
    details['stderr'] = stderrTail.split('\n').filter((l) => !l.startsWith('...') && !l.startsWith('Taking exception')).slice(-20).join('\n');
    return buildRunResult({
      runner: 'qemu',
      cpu: spec.cpu,
      verdict: 'crash',
      reason: `QEMU exited with ${outcome.exitCode ?? outcome.signal}: ${String(details['stderr']).trim().split('\n').pop() ?? ''}`,
      capture,
      resultPatterns: spec.resultPatterns,
      startedAt,
      details,
    });
  }
}

function faultFromException(e: QemuException, symbols: Symbolizer): FaultInfo {
  return {
    kind: e.name.toLowerCase(),
    pc: e.elr === null ? null : hex(e.elr),
    pcSymbol: e.elr === null ? null : symbols.format(e.elr),
    address: e.far === null ? null : hex(e.far),
    addressSymbol: e.far === null ? null : symbols.format(e.far),
    access: accessKind(e),
    esr: e.esr === null ? null : hex(e.esr),
    detail: e.text,
  };
}
