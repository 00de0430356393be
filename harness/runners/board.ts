// A real board as a runner: user commands (execa, never a shell) load the image and switch power,
// the serial console is read over TCP or a tty, and the stop policy of every runner applies
// (stop-policy.ts): DONE, wall-clock timeout, silence timeout, the serial cap. A board gives no fault information of its
// own; a kernel that prints its exceptions can report them through result patterns.
import { openConsole, type ConsoleSpec } from './console.js';
import { killProcessGroup, startTiedChild } from '../util/child.js';
import { freeLoopbackPort } from '../util/free-port.js';
import { buildRunResult, errorResult, SerialCapture } from './serial-capture.js';
import { OPTION_FLAG, setOptions } from '../machine/description.js';
import { stopLimits, WallClockStops } from './stop-policy.js';
import type { Runner, RunOptions, RunResult, RunSpec, Verdict } from './types.js';

export interface BoardStep {
  /** argv; "{elf}", "{cpu}", "{board}" and "{port}" are replaced. */
  argv: string[];
  /** Keep running (e.g. an emulator standing in for a board) until the run ends, then kill it. */
  background?: boolean;
  timeoutMs?: number;
  cwd?: string;
}

export interface BoardSpec {
  name: string;
  console: ConsoleSpec;
  /** Attach the console before power-on (nothing lost at boot; ser2net), or after (the console is served by what power-on starts). */
  connect?: 'before-power-on' | 'after-power-on';
  connectTimeoutMs?: number;
  /** Stop when the console is silent this long (0: never). */
  silenceTimeoutMs?: number;
  /** Default time limit of each step. */
  stepTimeoutMs?: number;
  commands?: { load?: BoardStep; 'power-on'?: BoardStep; 'power-off'?: BoardStep };
}

export class BoardRunner implements Runner {
  readonly name = 'board' as const;

  constructor(readonly board: BoardSpec) {}

  async run(spec: RunSpec, options: RunOptions = {}): Promise<RunResult> {
    const startedAt = Date.now();
    const board = this.board;
    // A board is what it is: machine options (smp, -machine, devices...) cannot be applied to it.
    const cannot = setOptions(spec.machine);
    if (cannot.length)
      return errorResult(
        'board',
        spec.cpu,
        `board ${board.name} cannot honour ${cannot.map((o) => `${o} (${OPTION_FLAG[o]})`).join(', ')}: its machine is fixed`,
        startedAt,
      );
    const background: ReturnType<typeof startStep>[] = [];
    const limits = stopLimits(spec, { silenceMs: board.silenceTimeoutMs });
    const capture = new SerialCapture(limits.maxSerialBytes);
    // "{port}" in the console endpoint: a free loopback port per run, also given to the commands.
    const port = 'tcp' in board.console && board.console.tcp.includes('{port}') ? String(await freeLoopbackPort()) : '';
    const consoleSpec: ConsoleSpec = 'tcp' in board.console ? { tcp: board.console.tcp.replaceAll('{port}', port) } : board.console;
    const line = openConsole(consoleSpec);
    const details: Record<string, unknown> = { board: board.name, console: line.description, steps: [] as string[] };
    const steps = details['steps'] as string[];
    const finish = (verdict: Verdict, reason: string) =>
      buildRunResult({ runner: 'board', cpu: spec.cpu, verdict, reason, capture, resultPatterns: spec.resultPatterns, startedAt, details });

    const step = async (label: 'load' | 'power-on' | 'power-off'): Promise<string | null> => {
      const s = board.commands?.[label];
      if (!s) return null;
      const argv = s.argv.map((a) =>
        a.replaceAll('{elf}', spec.elfPath).replaceAll('{cpu}', spec.cpu).replaceAll('{board}', board.name).replaceAll('{port}', port),
      );
      steps.push(`${label}: ${argv.join(' ')}`);
      const timeout = s.timeoutMs ?? board.stepTimeoutMs ?? 60_000;
      const child = startStep(argv, s.cwd);
      if (s.background) {
        background.push(child);
        // A background step that dies at once is a failed step (e.g. the port is taken).
        const early = await Promise.race([child.exited, new Promise<null>((r) => setTimeout(() => r(null), 150))]);
        if (early)
          return `${label} exited at once with ${early.exitCode ?? early.signal}: ${child.output().trim().split('\n').pop() ?? ''}`;
        return null;
      }
      // The step is over when its process exits (or at its time limit): a grandchild that keeps
      // the output pipe open is not waited for, it is killed with the step's process group.
      let timer: NodeJS.Timeout | undefined;
      const result = await Promise.race([child.exited, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeout)))]);
      clearTimeout(timer);
      await child.stop();
      if (result === 'timeout') return `${label} took longer than ${timeout} ms`;
      if (result.notFound) return `${label}: ${argv[0]} not found`;
      if (result.exitCode !== 0)
        return `${label} exited with ${result.exitCode ?? result.signal}: ${child.output().trim().split('\n').slice(-3).join(' / ')}`;
      return null;
    };

    let ended: { verdict: Verdict; reason: string } | null = null;
    let wake: () => void = () => undefined;
    const stop = (verdict: Verdict, reason: string) => {
      ended ??= { verdict, reason };
      wake();
    };
    const session = async (): Promise<{ verdict: Verdict; reason: string }> => {
      const loadFailure = await step('load');
      if (loadFailure) return { verdict: 'error', reason: `board ${board.name}: ${loadFailure}` };
      const connectFirst = (board.connect ?? 'before-power-on') === 'before-power-on';
      const attach = async () => {
        line.onData((chunk) => {
          capture.push(chunk);
          options.onSerial?.(chunk);
          if (capture.overflowed) wake();
        });
        line.onClose((why) => {
          if (capture.doneSeen) stop('completed', 'DONE printed; then the console closed');
          else stop('error', `${why} mid-run (after ${capture.total} bytes, before DONE): the board or its console server went away`);
        });
        await line.open(board.connectTimeoutMs ?? 10_000, options.signal);
      };
      try {
        if (connectFirst) await attach();
        const powerFailure = await step('power-on');
        if (powerFailure) return { verdict: 'error', reason: `board ${board.name}: ${powerFailure}` };
        if (!connectFirst) await attach();
      } catch (error) {
        return { verdict: 'error', reason: `board ${board.name}: ${(error as Error).message}` };
      }

      // The silence clock starts at power-on; the time limit counts from the start (load included).
      const stops = new WallClockStops(limits, capture, startedAt);
      capture.lastOutputAt = Date.now();
      while (!ended) {
        const decision = stops.decide(Date.now(), options.signal?.aborted);
        if (decision.stop)
          stop(
            decision.verdict,
            `${decision.reason}${decision.silentThroughout ? ' with no serial output at all: the board never answered' : ''}`,
          );
        else
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, Math.min(25, decision.nextCheckMs));
          });
      }
      return ended as { verdict: Verdict; reason: string };
    };

    let outcome: { verdict: Verdict; reason: string };
    try {
      outcome = await session();
    } finally {
      await line.close();
      const offFailure = await step('power-off').catch((e: Error) => e.message);
      if (offFailure) details['powerOff'] = offFailure;
      await Promise.all(background.map((child) => child.stop()));
    }
    // A board that may still be powered on needs someone to look: an infrastructure error that
    // keeps what the run itself showed.
    const offFailure = details['powerOff'];
    if (typeof offFailure === 'string') {
      details['runVerdict'] = outcome.verdict;
      return finish(
        'error',
        `board ${board.name}: ${offFailure}: the board may still be powered on (the run itself: ${outcome.verdict}, ${outcome.reason})`,
      );
    }
    return finish(outcome.verdict, outcome.reason);
  }
}

interface StepExit {
  exitCode: number | null;
  signal: string | null;
  notFound: boolean;
}

/**
 * A board step's process, in its own process group (so stop() also kills what it started) and
 * tied to wbdiff's life. Output is kept (the last 16 KiB) from listeners, never by waiting for
 * the pipes to close.
 */
function startStep(argv: string[], cwd: string | undefined) {
  const child = startTiedChild(argv[0]!, argv.slice(1), {
    reject: false,
    stdin: 'ignore',
    buffer: false,
    detached: true,
    cleanup: false,
    ...(cwd ? { cwd } : {}),
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-16 * 1024);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // 'exit' can come before the last output: wait for the pipes to close (bounded) before reading it.
  const closed = Promise.all([child.stdout, child.stderr].map((stream) => (stream ? new Promise((r) => stream.once('close', r)) : null)));
  const exited = new Promise<StepExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ exitCode: code, signal, notFound: false }));
    child.once('error', (error: NodeJS.ErrnoException) => resolve({ exitCode: null, signal: null, notFound: error.code === 'ENOENT' }));
  });
  void child.catch(() => undefined);
  const killGroup = () => killProcessGroup(child.pid);
  process.once('exit', killGroup);
  return {
    exited,
    output: () => output,
    /** SIGKILL to the step's whole group; waits (bounded) for its own process to exit. */
    stop: async () => {
      killGroup();
      process.removeListener('exit', killGroup);
      let drain: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise((r) => (drain = setTimeout(r, 250)))]);
      clearTimeout(drain);
      child.stdout?.destroy();
      child.stderr?.destroy();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 2000)))]);
      clearTimeout(timer);
    },
  };
}
