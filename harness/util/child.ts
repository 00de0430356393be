// Long-lived child processes (QEMU, a board's background step) that must die with wbdiff in every
// case, SIGKILL of wbdiff included: no exit handler runs then, so the kernel does it. Each child is
// started through util-linux `setpriv --pdeathsig KILL`, which sets PR_SET_PDEATHSIG and execs the
// program (same pid, same argv, no shell): when wbdiff's main thread dies the child gets SIGKILL.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { execa, type Options } from 'execa';

let setprivPath: string | null | undefined;

/** The first executable `name` on PATH (or the path itself when it has a slash), or null. */
export function findExecutable(name: string): string | null {
  const candidates = name.includes('/')
    ? [name]
    : (process.env['PATH'] ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** How a child is started so it dies with us: [file, args]. Pure but for the PATH look-ups. */
export function tiedInvocation(file: string, args: readonly string[]): { file: string; args: string[]; tied: boolean } {
  setprivPath ??= findExecutable('setpriv');
  // A program that is not there is started as it is, so the caller sees ENOENT (not setpriv's 127).
  if (!setprivPath || !findExecutable(file)) return { file, args: [...args], tied: false };
  return { file: setprivPath, args: ['--pdeathsig', 'KILL', '--', file, ...args], tied: true };
}

/**
 * execa(file, args, options), with the child killed by the kernel if wbdiff dies first. The one
 * way wbdiff starts a process that may outlive a command (QEMU, board background steps).
 */
export function startTiedChild<O extends Options>(file: string, args: readonly string[], options: O) {
  const invocation = tiedInvocation(file, args);
  return execa(invocation.file, invocation.args, options);
}

/** SIGKILL to a process group (a child started with detached: true, and all it started). */
export function killProcessGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // the group is gone
  }
}
