// The tiers of errors, as in changesets: an expected error the user can fix (what, where, hint,
// exit code); an infrastructure error (a missing tool or library, QEMU failing: never a kernel
// outcome); and everything else, which is a bug in wbdiff. One place (cli/index.ts) prints them.

/** Exit codes shared by every command (documented in `wbdiff --help` and the README). */
export const EXIT = {
  ok: 0,
  /** The check failed / a regression was found: the kernel's fault, not the harness's. */
  failed: 1,
  /** The harness could not do its job: bad input, missing tool, build failure. */
  harness: 2,
  /** `git bisect run` convention: this commit cannot be tested (wbdiff check: the kernel does not build). */
  skip: 125,
  /** `git bisect run` convention: stop bisecting (wbdiff check: the harness itself cannot test any commit). */
  abortBisect: 128,
  /** A matrix stopped by a signal: 128 + its number (SIGHUP 129, SIGINT 130, SIGTERM 143). */
  signalBase: 128,
} as const;

/** An expected error: the user can fix it; what, where, how (hint), and the exit code. */
export class WbdiffError extends Error {
  readonly where: string | undefined;
  readonly hint: string | undefined;
  readonly exitCode: number;
  /** Infrastructure problems are never counted as kernel failures. */
  readonly infrastructure: boolean;

  constructor(what: string, options: { where?: string; hint?: string; exitCode?: number; infrastructure?: boolean; cause?: unknown } = {}) {
    super(what, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WbdiffError';
    this.where = options.where;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? EXIT.harness;
    this.infrastructure = options.infrastructure ?? true;
  }
}

/** The machine wbdiff runs on lacks something (a tool, a library) or it failed: not the kernel's fault. */
export class InfrastructureError extends WbdiffError {
  constructor(what: string, options: { where?: string; hint?: string; cause?: unknown } = {}) {
    super(what, { ...options, infrastructure: true });
    this.name = 'InfrastructureError';
  }
}

/** A native library or tool is not installed: the hint names the Debian package that provides it. */
export class MissingDependencyError extends InfrastructureError {
  constructor(
    what: string,
    readonly debianPackage: string,
    options: { where?: string; alternative?: string; cause?: unknown } = {},
  ) {
    // The package is in the message itself: a runner's one-line reason keeps it.
    super(`${what}: install the Debian package ${debianPackage} (npm run setup does)`, {
      ...(options.where ? { where: options.where } : {}),
      ...(options.alternative ? { hint: options.alternative } : {}),
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.name = 'MissingDependencyError';
  }
}

/** A kernel does not build (its compiler or linker failed): `wbdiff check` tells git bisect to skip the commit. */
export class BuildError extends WbdiffError {
  constructor(
    readonly target: string,
    what: string,
    options: { where?: string; hint?: string } = {},
  ) {
    super(what, options);
    this.name = 'BuildError';
  }
}

/** `--help` on a command: not a failure; its message is the help text, printed on stdout, exit 0. */
export class HelpRequested extends WbdiffError {
  constructor(readonly text: string) {
    super('help requested', { exitCode: EXIT.ok, infrastructure: false });
    this.name = 'HelpRequested';
  }
}

/** "where: what (hint: ...)": the one format every expected error is shown in. */
export function formatError(error: unknown): string {
  if (error instanceof WbdiffError) {
    const where = error.where ? `${error.where}: ` : '';
    const hint = error.hint ? `\n  hint: ${error.hint}` : '';
    return `${where}${error.message}${hint}`;
  }
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return `internal error (a bug in wbdiff; please report it with this text):\n${text}`;
}
