// Parses the command line, dispatches, and holds the only top-level catch: an expected error is
// printed as "where: what / hint" with its exit code, anything else as an internal error.
import { EXIT, formatError, HelpRequested, WbdiffError } from '../errors.js';
import { COMMAND_HELP, formatMainHelp } from './help.js';
import { MACHINE_FLAGS } from './machine-flags.js';
import { didYouMean } from '../util/suggest.js';

const HELP = formatMainHelp({
  commands: Object.keys(COMMAND_HELP),
  machineFlags: ['cpu', ...Object.keys(MACHINE_FLAGS)],
  notes: `Kernels: a bundled kernel name ("gowb" = every Go toolchain it lists, "gowb@go1.23" = one),
or the path of any AArch64 kernel: an ELF, a raw image (.bin, .flat) or an arm64 Image.
Variants: a bundled variant name ("seed-barrier": the kernel's own file for its toolchain) or a file.
Suites: wbdiff matrix --suite kvm-unit-tests:<built tree> [--max-smp N] [--test NAME]...

Exit codes:
  ${EXIT.ok}  success (run: as the manifest expects and runners agree; matrix: no regression)
  ${EXIT.failed}  run: a kernel not as expected, or runners disagree; matrix/merge: regressions against
     the baseline (with no baseline: an unpatched kernel not as its manifest expects)
  ${EXIT.harness}  harness or infrastructure error (bad input, missing tool, build failure, QEMU itself
     failing, a cell that could not run) — never counted as a kernel failure
  ${EXIT.skip} / ${EXIT.abortBisect}  check only (git bisect run): the kernel does not build (skip) / the harness failed (stop)
  ${EXIT.signalBase}+N  matrix interrupted by signal N: 130 SIGINT (Ctrl-C), 143 SIGTERM, 129 SIGHUP (finished
     cells are kept, the summary is written; --resume finishes the rest)

Environment: WBDIFF_QEMU (qemu binary), WBDIFF_CC, WBDIFF_GO_1_19, WBDIFF_GO_1_23,
WBDIFF_CACHE (build cache, default .cache/), WBDIFF_RESULTS (default results/),
WBDIFF_KERNELS (kernels folder, default kernels/), WBDIFF_LIBUNICORN (libunicorn.so.2 to load),
WBDIFF_LIBCAPSTONE (libcapstone.so.4 to load).
`,
});

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  build: async () => (await import('./build-command.js')).buildCommand,
  run: async () => (await import('./run-command.js')).runCommand,
  patch: async () => (await import('./patch-command.js')).patchCommand,
  matrix: async () => (await import('./matrix-command.js')).matrixCommand,
  report: async () => (await import('./report-command.js')).reportCommand,
  merge: async () => (await import('./merge-command.js')).mergeCommand,
  bisect: async () => (await import('./bisect-command.js')).bisectCommand,
  check: async () => (await import('./check-command.js')).checkCommand,
  diagnose: async () => (await import('./diagnose-command.js')).diagnoseCommand,
  parity: async () => (await import('./parity-command.js')).parityCommand,
  dtb: async () => (await import('./dtb-command.js')).dtbCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(HELP);
    return name === undefined ? EXIT.harness : EXIT.ok;
  }
  if (name === '--version') {
    const { readFile } = await import('node:fs/promises');
    const { REPO_ROOT } = await import('../paths.js');
    process.stdout.write(`${JSON.parse(await readFile(`${REPO_ROOT}/package.json`, 'utf8')).version}\n`);
    return EXIT.ok;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(
      `wbdiff: unknown command "${name}"${didYouMean(name, Object.keys(COMMANDS))}\n  hint: commands are ${Object.keys(COMMANDS).join(', ')}; see wbdiff --help\n`,
    );
    return EXIT.harness;
  }
  try {
    return await (await load())(rest);
  } catch (error) {
    if (error instanceof HelpRequested) {
      process.stdout.write(error.text);
      return EXIT.ok;
    }
    process.stderr.write(`wbdiff ${name}: ${formatError(error)}\n`);
    return error instanceof WbdiffError ? error.exitCode : EXIT.harness;
  }
}
