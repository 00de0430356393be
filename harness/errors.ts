// Two tiers of errors, as in changesets: an expected error the user can fix (what, where, hint,
// exit code), and everything else, which is a bug in wbdiff. One place (cli/index.ts) prints them.

/** Exit codes shared by every command (documented in `wbdiff --help` and the README). */
export const EXIT = {
  ok: 0,
  /** The check failed / a regression was found: the kernel's fault, not the harness's. */
  failed: 1,
  /** The harness could not do its job: bad input, missing tool, build failure. */
  harness: 2,
  /** `git bisect run` convention: this commit cannot be tested. */
  skip: 125,
} as const;

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
