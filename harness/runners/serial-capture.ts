// What every runner does with serial bytes: keep them (bounded), notice DONE as it streams by,
// and know when output last arrived. The runners differ only in where bytes come from.
import { DONE_LINE, parseMarkers } from '../markers/parse.js';
import { decodeSerial } from '../markers/decode.js';
import type { FaultInfo, ResultPattern, RunnerName, RunResult, Verdict } from './types.js';

export class SerialCapture {
  private readonly chunks: Uint8Array[] = [];
  private kept = 0;
  private lineTail = '';
  /** Total bytes seen, including those past the cap. */
  total = 0;
  overflowed = false;
  doneSeen = false;
  lastOutputAt = Date.now();

  constructor(
    private readonly maxBytes: number,
    private readonly onDone?: () => void,
  ) {}

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.total += chunk.length;
    this.lastOutputAt = Date.now();
    const room = this.maxBytes - this.kept;
    if (room > 0) {
      const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
      this.chunks.push(Uint8Array.from(part));
      this.kept += part.length;
    }
    if (this.total > this.maxBytes) this.overflowed = true;
    if (!this.doneSeen) this.scanForDone(chunk);
  }

  bytes(): Uint8Array {
    return Buffer.concat(this.chunks);
  }

  private textCache: { kept: number; text: string } | null = null;

  /** The kept bytes as text, escaped as every result's `serial` is (markers/decode.ts decodeSerial). */
  text(): string {
    if (this.textCache?.kept !== this.kept) this.textCache = { kept: this.kept, text: decodeSerial(this.bytes()) };
    return this.textCache.text;
  }

  private scanForDone(chunk: Uint8Array): void {
    const lines = (this.lineTail + decodeSerial(chunk)).split('\n');
    this.lineTail = (lines.pop() ?? '').slice(-256);
    if (lines.some((line) => DONE_LINE.test(line.trim()))) {
      this.doneSeen = true;
      this.onDone?.();
    }
  }
}

export interface ResultParts {
  runner: RunnerName;
  cpu: string | null;
  verdict: Verdict;
  reason: string;
  capture: SerialCapture;
  resultPatterns?: readonly ResultPattern[] | undefined;
  fault?: FaultInfo | null;
  poweredOff?: boolean;
  /** The kernel's exit status as the runner saw it (QEMU's exit code under semihosting or chr-testdev). */
  exitStatus?: number | null;
  startedAt: number;
  details?: Record<string, unknown>;
}

/** The one place a RunResult is assembled, so all runners report alike. */
export function buildRunResult(parts: ResultParts): RunResult {
  const report = parseMarkers(parts.capture.bytes(), { resultPatterns: parts.resultPatterns ?? [] });
  return {
    runner: parts.runner,
    cpu: parts.cpu,
    verdict: parts.verdict,
    reason: parts.reason,
    markers: report.markers,
    conflicts: report.conflicts,
    done: report.done,
    poweredOff: parts.poweredOff ?? false,
    fault: parts.fault ?? null,
    serial: report.serial,
    serialBytes: parts.capture.total,
    durationMs: Date.now() - parts.startedAt,
    exitStatus: parts.exitStatus ?? report.exitStatus,
    details: { ...(parts.details ?? {}), ...(report.tap ? { tap: report.tap } : {}) },
  };
}

/** A result for a run that never started (missing tool, bad ELF): verdict `error`, never a kernel outcome. */
export function errorResult(runner: RunnerName, cpu: string | null, reason: string, startedAt = Date.now()): RunResult {
  return buildRunResult({ runner, cpu, verdict: 'error', reason, capture: new SerialCapture(0), startedAt });
}
