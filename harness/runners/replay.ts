// A captured serial log (from a lab, a colleague, a CI artifact) read as a run, so parity can be
// checked against hardware that is not here. The verdict is what the log shows: DONE, or a log
// that ends without it. The log is streamed and reading stops at the serial cap: memory stays
// bounded whatever its size (a 200 MB log, /dev/zero).
import { stat } from 'node:fs/promises';
import { streamChunks } from '../util/bounded-read.js';
import { buildRunResult, errorResult, SerialCapture } from './serial-capture.js';
import { DEFAULTS, type Runner, type RunResult, type RunSpec } from './types.js';

export class ReplayRunner implements Runner {
  readonly name = 'replay' as const;

  constructor(readonly logPath: string) {}

  async run(spec: RunSpec): Promise<RunResult> {
    const startedAt = Date.now();
    const cap = spec.maxSerialBytes ?? DEFAULTS.maxSerialBytes;
    const capture = new SerialCapture(cap);
    try {
      if ((await stat(this.logPath)).isDirectory()) throw Object.assign(new Error('a directory'), { code: 'EISDIR' });
      for await (const chunk of streamChunks(this.logPath)) {
        capture.push(chunk);
        if (capture.overflowed) break;
      }
    } catch (error) {
      return errorResult(
        'replay',
        spec.cpu,
        `cannot read the captured log ${this.logPath}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        startedAt,
      );
    }
    const details = { log: this.logPath };
    const common = { runner: 'replay' as const, cpu: spec.cpu, capture, resultPatterns: spec.resultPatterns, startedAt, details };
    if (capture.overflowed) return buildRunResult({ ...common, verdict: 'output-limit', reason: `the log passes the ${cap}-byte cap` });
    if (capture.doneSeen) return buildRunResult({ ...common, verdict: 'completed', reason: `DONE in the captured log` });
    return buildRunResult({ ...common, verdict: 'timeout', reason: 'the captured log ends without DONE' });
  }
}
