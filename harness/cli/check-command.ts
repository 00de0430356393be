// `wbdiff check <kernel> [--variant F] --marker T2=Y`: a `git bisect run` predicate.
//   0 the expectation holds, 1 it does not (the kernel's fault), 125 the kernel does not build
//   (git bisect skips the commit), 128 the harness itself failed (git bisect stops).
import { resolveRunTarget, type RunTarget } from '../build/run-target.js';
import { HelpRequested, WbdiffError } from '../errors.js';
import { createRunner } from '../runners/index.js';
import { DEFAULTS, isInfrastructure } from '../runners/types.js';
import { MACHINE_FLAGS, machineOverrides } from './machine-flags.js';
import { parseCommandArgs, parseMarkerSpec, parsePositiveInt } from './args.js';

export const CHECK_EXIT = { holds: 0, fails: 1, cannotBuild: 125, harness: 128 } as const;

export async function checkCommand(argv: string[]): Promise<number> {
  try {
    return await check(argv);
  } catch (error) {
    // --help is not a harness failure: git bisect must not stop on it (128).
    if (error instanceof HelpRequested) {
      process.stdout.write(error.text);
      return CHECK_EXIT.holds;
    }
    process.stderr.write(`wbdiff check: ${(error as Error).message}\n`);
    return CHECK_EXIT.harness;
  }
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
  let target: RunTarget;
  try {
    target = await resolveRunTarget({
      kernel: positionals[0]!,
      variants: values.variant,
      overrides: machineOverrides(values),
      timeoutMs: parsePositiveInt(values.timeout, '--timeout'),
      single: 'check',
    });
  } catch (error) {
    if (error instanceof WbdiffError && /build of .* failed/.test(error.message)) {
      process.stderr.write(`wbdiff check: the kernel does not build (exit 125: git bisect skips this commit)\n${error.message}\n`);
      return CHECK_EXIT.cannotBuild;
    }
    throw error;
  }
  const run = await createRunner(values.runner!).run(target.runSpec(values.cpu!));
  if (isInfrastructure(run.verdict)) throw new Error(`the run could not be made: ${run.reason}`);
  const failures = expectations.filter((e) => run.markers[e.id] !== e.value);
  for (const e of expectations) process.stdout.write(`${e.id}: want ${e.value}, got ${run.markers[e.id] ?? `(missing; ${run.verdict})`}\n`);
  return failures.length ? CHECK_EXIT.fails : CHECK_EXIT.holds;
}
