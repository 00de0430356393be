// Parses the command line, dispatches, and holds the only top-level catch: an expected error is
// printed as "where: what / hint" with its exit code, anything else as an internal error.
import { EXIT, formatError, WbdiffError } from '../errors.js';

const HELP = `wbdiff — differential test harness for bare-metal AArch64 kernels

Usage:
  wbdiff build [kernel...] [--force] [--list]
        Build bundled kernels (all when none named) into the content-hash cache.
  wbdiff run <kernel|path/to.elf> [--runner qemu|emu|both] [--cpu cortex-a57]
             [--timeout ms] [--variant file.json]... [--json]
        Build (bundled kernels), patch with the variants if any, and run on each runner;
        print verdicts, markers, agreement.
  wbdiff patch <kernel|elf> <variant.json>... -o <out.elf> [--json]
        Apply variant files; print every site (address, location, old -> new, disassembled)
        and write <out.elf> plus <out.elf>.patch.json (hashes and sites).
  wbdiff matrix [--runner ...] [--cpu ...] [--out dir] [--json] [kernel...]
        Build every bundled kernel and run it on every runner; print the table and
        write results/<run-id>/ (one JSON per cell, summary.json).
  wbdiff report <results-dir> [--out dir]
        Write junit.xml (JUnit XML for Jenkins/GitLab), results.tap (TAP 13) and index.html
        (self-contained page: matrix, filters, baseline diff, trend, per-cell evidence and
        serial output) for a matrix run; print their paths. Exit 2 without summary.json.
  wbdiff diagnose <kernel|elf> [--variant file.json]... [--convention go1.19|go1.23|file.json]
             [--manifest out.elf.patch.json] [--cpu cortex-a57] [--no-recover] [--json]
        Trace each redirected call on the emulator; say whether the replacement routine
        follows the write-barrier convention (registers, stores, return).

Kernels: a bundled kernel name ("gowb" = every Go toolchain it lists, "gowb@go1.23" = one),
or the path of any AArch64 ELF.

Exit codes:
  0  success (run/matrix: every cell as its manifest expects)
  1  a kernel did not behave as expected (marker, verdict) or runners disagree
  2  harness or infrastructure error (bad input, missing tool, build failure)

Environment: WBDIFF_QEMU (qemu binary), WBDIFF_CC, WBDIFF_GO_1_19, WBDIFF_GO_1_23,
WBDIFF_CACHE (build cache, default .cache/), WBDIFF_RESULTS (default results/).
`;

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
  diagnose: async () => (await import('../diagnose/command.js')).diagnoseCommand,
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
    process.stderr.write(`wbdiff: unknown command "${name}"\n  hint: commands are ${Object.keys(COMMANDS).join(', ')}; see wbdiff --help\n`);
    return EXIT.harness;
  }
  try {
    return await (await load())(rest);
  } catch (error) {
    process.stderr.write(`wbdiff ${name}: ${formatError(error)}\n`);
    return error instanceof WbdiffError ? error.exitCode : EXIT.harness;
  }
}
