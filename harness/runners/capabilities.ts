// What each kind of runner can do, as data: the registry (index.ts) builds runners from it, the
// matrix schedules and validates with it, comparison asks it what a runner can see. Pure: no runner
// class is imported here, so pure modules (compare/) can read it.
import type { RunnerName } from './types.js';

export type RunnerKind = 'qemu' | 'emu' | 'board' | 'replay';

export interface RunnerCapabilities {
  kind: RunnerKind;
  /** Reports guest faults (exceptions, aborts) itself; the others see only the console go quiet. */
  seesFaults: boolean;
  /** Can stop the guest and read its registers (register-level parity). */
  registerSnapshots: boolean;
  /** Runs the kernel's bytes (a replay reads a captured log instead). */
  runsKernel: boolean;
  /** Applies machine options (SMP, -machine, devices, command line...); a board's machine is fixed. */
  honoursMachineOptions: boolean;
  /**
   * How the matrix schedules its cells: `parallel` (one process each, up to --concurrency),
   * `emulator` (one at a time on the emulator thread), `one-at-a-time` (each named runner, e.g. a
   * board, is one device: its cells run in turn).
   */
  lane: 'parallel' | 'emulator' | 'one-at-a-time';
  /** For help texts and errors. */
  description: string;
}

export const RUNNER_CAPABILITIES: Readonly<Record<RunnerKind, RunnerCapabilities>> = {
  qemu: {
    kind: 'qemu',
    seesFaults: true,
    registerSnapshots: true,
    runsKernel: true,
    honoursMachineOptions: true,
    lane: 'parallel',
    description: 'qemu-system-aarch64 -M virt',
  },
  emu: {
    kind: 'emu',
    seesFaults: true,
    registerSnapshots: true,
    runsKernel: true,
    honoursMachineOptions: true,
    lane: 'emulator',
    description: 'the in-process emulator (Unicorn)',
  },
  board: {
    kind: 'board',
    seesFaults: false,
    registerSnapshots: false,
    runsKernel: true,
    honoursMachineOptions: false,
    lane: 'one-at-a-time',
    description: 'a real board: board:<name> from the config\'s "boards", or --board FILE',
  },
  replay: {
    kind: 'replay',
    seesFaults: false,
    registerSnapshots: false,
    runsKernel: false,
    honoursMachineOptions: false,
    lane: 'parallel',
    description: 'a captured serial log read as a run',
  },
};

/** The runners a user can name without configuring anything. */
export const LOCAL_RUNNERS = ['qemu', 'emu'] as const;

export interface ParsedRunnerName {
  kind: RunnerKind;
  /** The board's name for "board:<name>"; null otherwise (and for a board given by file). */
  board: string | null;
}

/** "qemu", "emu", "replay", "board" or "board:<name>"; null for anything else. */
export function parseRunnerName(name: string): ParsedRunnerName | null {
  if (name === 'qemu' || name === 'emu' || name === 'replay' || name === 'board') return { kind: name, board: null };
  const board = /^board:(.+)$/.exec(name)?.[1];
  return board ? { kind: 'board', board } : null;
}

/** What a named runner can do; a name no runner has (e.g. in an old results file) is taken as console-only. */
export function capabilitiesOf(name: RunnerName | string): RunnerCapabilities {
  const parsed = parseRunnerName(name);
  return parsed ? RUNNER_CAPABILITIES[parsed.kind] : { ...RUNNER_CAPABILITIES.replay, description: `unknown runner ${name}` };
}
