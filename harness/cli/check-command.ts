// `wbdiff check <kernel> [--variant F] --marker T2=Y`: a `git bisect run` predicate.
//   0 the expectation holds, 1 it does not (the kernel's fault), 125 the kernel does not build
//   (git bisect skips the commit), 128 the harness itself failed (git bisect stops: exit 2 would be
//   read as "this commit is bad" and give a wrong answer). --help is 0, never an error.
import { resolveRunTarget } from '../build/run-target.js';
import { BuildError, EXIT, formatError, HelpRequested, InfrastructureError, WbdiffError } from '../errors.js';
import { createRunner } from '../runners/index.js';
import { DEFAULTS, isInfrastructure } from '../runners/types.js';
import { MACHINE_FLAGS, machineOverrides } from './machine-flags.js';
import { parseCommandArgs, parseMarkerSpec, parsePositiveInt } from './args.js';

export const CHECK_EXIT = { holds: EXIT.ok, fails: EXIT.failed, cannotBuild: EXIT.skip, harness: EXIT.abortBisect } as const;

export async function checkCommand(argv: string[]): Promise<number> {
  try {
    return await check(argv);
  } catch (error) {
    return checkExitCode(
      error,
      (text) => process.stdout.write(text),
      (text) => process.stderr.write(text),
    );
  }
}

/** The one mapping of check's errors to git bisect run's exit codes. */
export function checkExitCode(error: unknown, out: (text: string) => void, err: (text: string) => void): number {
  if (error instanceof HelpRequested) {
    out(error.text);
    return CHECK_EXIT.holds;
  }
  if (error instanceof BuildError) {
    err(`wbdiff check: ${error.target} does not build (exit 125: git bisect skips this commit)\n${formatError(error)}\n`);
    return CHECK_EXIT.cannotBuild;
  }
  err(`wbdiff check: ${formatError(error)}\n  (exit 128: git bisect stops; the harness cannot test this or any commit)\n`);
  return CHECK_EXIT.harness;
}

async function check(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('check', argv, {
    variant: { type: 'string', multiple: true },
    marker: { type: 'string', multiple: true },
    want: { type: 'string' },
    runner: { type: 'string', default: 'emu' },
    cpu: { type: 'string', default: DEFAULTS.cpu },
    timeout: { type: 'string' },
    ...MACHINE_FLAGS,
  });
  // One marker syntax with bisect: "--marker T2=Y", or "--marker T2 --want Y".
  const expectations = (values.marker ?? []).map((m) => {
    const { id, value } = parseMarkerSpec(m, values.want);
    if (value === undefined)
      throw new WbdiffError(`--marker ${m} needs the value it must have`, { hint: `--marker ${id}=Y, or --marker ${id} --want Y` });
    return { id, value };
  });
  if (positionals.length !== 1 || expectations.length === 0)
    throw new WbdiffError('usage: wbdiff check <kernel|elf> [--variant F] --marker T2=Y');
  const target = await resolveRunTarget({
    kernel: positionals[0]!,
    variants: values.variant,
    overrides: machineOverrides(values),
    timeoutMs: parsePositiveInt(values.timeout, '--timeout'),
    single: 'check',
  });
  const run = await createRunner(values.runner!).run(target.runSpec(values.cpu!));
  if (isInfrastructure(run.verdict))
    throw new InfrastructureError(`the run could not be made: ${run.reason}`, { where: target.subject.id });
  const failures = expectations.filter((e) => run.markers[e.id] !== e.value);
  for (const e of expectations) process.stdout.write(`${e.id}: want ${e.value}, got ${run.markers[e.id] ?? `(missing; ${run.verdict})`}\n`);
  return failures.length ? CHECK_EXIT.fails : CHECK_EXIT.holds;
}
