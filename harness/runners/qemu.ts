// Runs a kernel under qemu-system-aarch64 -M virt. Serial on stdout (bytes), exceptions on stderr,
// read as a stream (bounded memory however much QEMU logs).
import { formatError, MissingDependencyError } from '../errors.js';
import type { Symbolizer } from '../elf/symbols.js';
import { loadKernelImage, type KernelImage } from '../machine/kernel-image.js';
import { decodeStatus } from '../markers/parse.js';
import { startTiedChild } from '../util/child.js';
import { Slots } from '../util/slots.js';
import { hex } from '../util/hex.js';
import { ExceptionJudge, type UnhandledException } from './exception-judge.js';
import { kernelSetsExitCode, qemuInvocation } from './qemu-args.js';
import { accessKind, exceptionKind, qemuErrorLines, QemuLogReader, type QemuException } from './qemu-log.js';
import { buildRunResult, errorResult, SerialCapture } from './serial-capture.js';
import { stopLimits, WallClockStops } from './stop-policy.js';
import type { FaultInfo, Runner, RunOptions, RunResult, RunSpec, Verdict } from './types.js';

/** How long the log must stay quiet after the timeout before a pending handler is blamed. */
const TIMEOUT_GRACE_MS = 250;

/**
 * QEMU children this process runs at once: WBDIFF_QEMU_SLOTS, unset = no limit (the matrix bounds
 * its own concurrency). A run waits for a slot before its clock starts, so a host that runs many
 * at once (the test suite) does not turn oversubscription into timeouts.
 */
const qemuSlots = new Slots(Number(process.env['WBDIFF_QEMU_SLOTS']) || Number.POSITIVE_INFINITY);

export class QemuRunner implements Runner {
  readonly name = 'qemu' as const;

  async run(spec: RunSpec, options: RunOptions = {}): Promise<RunResult> {
    const release = await qemuSlots.acquire();
    try {
      return await this.runInSlot(spec, options);
    } finally {
      release();
    }
  }

  private async runInSlot(spec: RunSpec, options: RunOptions): Promise<RunResult> {
    const startedAt = Date.now();
    let image: KernelImage;
    try {
      image = await loadKernelImage(spec);
    } catch (error) {
      return errorResult('qemu', spec.cpu, formatError(error), startedAt);
    }
    const symbols = image.symbols;
    const { file, args } = qemuInvocation(spec);

    let stop: { verdict: Verdict; reason: string; fault?: FaultInfo } | null = null;
    const limits = stopLimits(spec);
    const capture = new SerialCapture(limits.maxSerialBytes);
    const log = new QemuLogReader();
    const judge = new ExceptionJudge(image.wordAt);
    // QEMU exits 0 both on PSCI SYSTEM_OFF and on semihosting SYS_EXIT(0): the last call tells them apart.
    let lastWasSemihosting = false;

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
    const unhandled = (u: UnhandledException) =>
      end('fault', `guest took ${exceptionKind(u.exception)}: ${u.why}`, faultFromException(u.exception, symbols));

    child.stdout?.on('data', (chunk: Buffer) => {
      capture.push(chunk);
      options.onSerial?.(chunk);
      checkLimits();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stop) return;
      for (const event of log.push(chunk.toString('latin1'))) {
        lastWasSemihosting = event.kind === 'taken' && event.exception.semihosting;
        const found = judge.onEvent(event);
        if (found) return unhandled(found);
      }
    });

    // The stop policy is asked on every serial chunk and when its next limit falls due.
    const stops = new WallClockStops(limits, capture, startedAt);
    let limitTimer: NodeJS.Timeout | undefined;
    let grace: NodeJS.Timeout | undefined;
    const checkLimits = () => {
      if (stop || grace) return;
      const decision = stops.decide(Date.now(), options.signal?.aborted);
      clearTimeout(limitTimer);
      if (!decision.stop) limitTimer = setTimeout(checkLimits, decision.nextCheckMs);
      else if (decision.cause === 'timeout') blameTimeout(decision.reason);
      else end(decision.verdict, decision.reason);
    };
    // A handler that never returned is what the time was lost to: name it. A kernel taking
    // exceptions in a loop is caught between a take and its return as often as not, so the
    // blame waits until the log has been quiet a moment with the same exception pending.
    const blameTimeout = (reason: string) => {
      const pending = judge.pendingCause();
      if (!pending) return end('timeout', reason);
      const seen = log.taken + log.returns;
      grace = setTimeout(() => {
        if (judge.pendingCause() === pending && log.taken + log.returns === seen) {
          end(
            'fault',
            `guest took ${exceptionKind(pending)} and did not return from its handler before the timeout (${spec.timeoutMs} ms)`,
            faultFromException(pending, symbols),
          );
        } else end('timeout', reason);
      }, TIMEOUT_GRACE_MS);
    };
    checkLimits();

    // Everything QEMU wrote before it ended is read, however early it was killed: the output seen
    // before a fault must not depend on how fast this process drained the pipe.
    const drained = (stream: NodeJS.ReadableStream | null | undefined) =>
      stream
        ? new Promise<void>((resolve) => {
            stream.once('end', resolve);
            stream.once('close', resolve);
            stream.once('error', () => resolve());
          })
        : Promise.resolve();
    const [outcome] = await Promise.all([child, drained(child.stdout), drained(child.stderr)]);
    clearTimeout(limitTimer);
    clearTimeout(grace);
    if (!stop) {
      for (const event of log.end()) {
        lastWasSemihosting = event.kind === 'taken' && event.exception.semihosting;
        const found = judge.onEvent(event);
        if (found && !stop)
          stop = {
            verdict: 'fault',
            reason: `guest took ${exceptionKind(found.exception)}: ${found.why}`,
            fault: faultFromException(found.exception, symbols),
          };
      }
    }

    const details: Record<string, unknown> = {
      command: [file, ...args],
      exitCode: outcome.exitCode ?? null,
      signal: outcome.signal ?? null,
      exceptions: { taken: log.taken, returned: log.returns },
      ...(image.boot ? { image: { format: image.format, loadAddress: hex(image.boot.loadAddress) } } : {}),
    };
    if (log.guestErrors.length) details['guestErrors'] = log.guestErrors.slice(0, 20);
    const result = (
      verdict: Verdict,
      reason: string,
      extra: { poweredOff?: boolean; exitStatus?: number | null; fault?: FaultInfo | null } = {},
    ) =>
      buildRunResult({
        runner: 'qemu',
        cpu: spec.cpu,
        verdict,
        reason,
        capture,
        resultPatterns: spec.resultPatterns,
        startedAt,
        details,
        ...extra,
      });

    const finished = stop as { verdict: Verdict; reason: string; fault?: FaultInfo } | null;
    if (finished) return result(finished.verdict, finished.reason, { fault: finished.fault ?? null });
    if (options.signal?.aborted) return result('error', 'cancelled');
    const spawnError = (outcome as { code?: string }).code;
    if (spawnError === 'ENOENT') {
      return errorResult('qemu', spec.cpu, formatError(new MissingDependencyError(`${file} not found`, 'qemu-system-arm')), startedAt);
    }
    const qemuErrors = qemuErrorLines(log.messages);
    const ending = interpretExit(
      outcome.exitCode ?? null,
      outcome.signal ?? null,
      qemuErrors,
      kernelSetsExitCode(spec.machine),
      lastWasSemihosting,
    );
    if (ending.verdict === 'crash') details['stderr'] = log.messages.join('\n');
    return result(ending.verdict, ending.reason, { poweredOff: ending.poweredOff, exitStatus: ending.exitStatus });
  }
}

export interface ExitInterpretation {
  verdict: Verdict;
  reason: string;
  poweredOff: boolean;
  exitStatus: number | null;
}

/**
 * What QEMU's own exit says. 0: PSCI SYSTEM_OFF (or SYSTEM_RESET with -no-reboot). Under
 * semihosting, SYS_EXIT's status is QEMU's exit code; with chr-testdev, a kernel's exit(code) is
 * (code << 1) | 1, reported as arm/run does (1 -> 0, else as is). Anything else, a signal, or
 * QEMU's own error message is QEMU failing: `crash`, infrastructure, never a kernel outcome.
 */
export function interpretExit(
  code: number | null,
  signal: string | null,
  qemuErrors: readonly string[],
  exitDevice: 'semihosting' | 'chr-testdev' | null,
  lastCallSemihosting = false,
): ExitInterpretation {
  const crash = (why: string): ExitInterpretation => ({ verdict: 'crash', reason: why, poweredOff: false, exitStatus: null });
  if (signal) return crash(`QEMU was killed by ${signal}${qemuErrors.length ? `: ${qemuErrors[qemuErrors.length - 1]}` : ''}`);
  if (qemuErrors.length) return crash(`QEMU failed (exit ${code}): ${qemuErrors[qemuErrors.length - 1]}`);
  if (code === 0 && exitDevice === 'semihosting' && lastCallSemihosting)
    return { verdict: 'completed', reason: 'semihosting SYS_EXIT with status 0', poweredOff: false, exitStatus: 0 };
  if (code === 0) return { verdict: 'completed', reason: 'PSCI SYSTEM_OFF (QEMU exited)', poweredOff: true, exitStatus: null };
  if (code !== null && exitDevice === 'semihosting')
    return { verdict: 'completed', reason: `semihosting SYS_EXIT with status ${code}`, poweredOff: false, exitStatus: code };
  if (code !== null && exitDevice === 'chr-testdev' && code % 2 === 1) {
    const status = decodeStatus(code, 'testdev');
    return { verdict: 'completed', reason: `chr-testdev exit, status ${status}`, poweredOff: false, exitStatus: status };
  }
  return crash(`QEMU exited with ${code} and no kernel exit device (semihosting, chr-testdev) explains it`);
}

function faultFromException(e: QemuException, symbols: Symbolizer): FaultInfo {
  return {
    kind: exceptionKind(e),
    pc: e.elr === null ? null : hex(e.elr),
    pcSymbol: e.elr === null ? null : symbols.format(e.elr),
    address: e.far === null ? null : hex(e.far),
    addressSymbol: e.far === null ? null : symbols.format(e.far),
    access: accessKind(e),
    esr: e.esr === null ? null : hex(e.esr),
    detail: e.text,
  };
}
