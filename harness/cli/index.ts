// Parses the command line, dispatches, and holds the only top-level catch: an expected error is
// printed as "where: what / hint" with its exit code, anything else as an internal error.
import { EXIT, formatError, HelpRequested, WbdiffError } from '../errors.js';
import { didYouMean } from '../util/suggest.js';

const HELP = `wbdiff — differential test harness for bare-metal AArch64 kernels

Usage:
  wbdiff build [kernel...] [--force] [--list]
        Build bundled kernels (all when none named) into the content-hash cache.
  wbdiff run <kernel|path/to.elf> [--runner qemu|emu|both] [--cpu cortex-a57] [--timeout ms]
             [--variant file.json]... [--board board.json]... [--replay captured.log]... [--json]
        Build (bundled kernels), patch with the variants if any, and run on each runner
        (QEMU, the Unicorn emulator, boards, captured logs); print verdicts, markers, agreement.
  wbdiff patch <kernel|elf> <variant.json>... -o <out.elf> [--json]
        Apply variant files; print every site (address, location, old -> new, disassembled)
        and write <out.elf> plus <out.elf>.patch.json (hashes and sites).
  wbdiff matrix [--config wbdiff.config.json] [--out dir] [--baseline dir|summary.json]
                [--no-baseline] [--repeat N] [--shard i/n] [--concurrency N] [--no-diagnose]
                [--json] [kernel...]
        Run kernels x variants x runners x CPUs from the config; classify each cell (patch bug,
        parity divergence, convention bug, masked failure); compare with the baseline (default:
        the newest earlier run in results/); write results/<run-id>/ and its reports.
  wbdiff matrix --resume <results-dir>       finish an interrupted run
  wbdiff matrix --explain <cell> [--from <results-dir>]   the evidence behind a cell
  wbdiff merge <shard-dir>... [--out dir] [--baseline ...]
        Merge shard results (--shard i/n runs) into one run; conflicting duplicates are an error.
  wbdiff report <results-dir> [--out dir]
        Write junit.xml (JUnit XML for Jenkins/GitLab), results.tap (TAP 13) and index.html
        (self-contained page: matrix, filters, baseline diff, trend, per-cell evidence and
        serial output) for a matrix run; print their paths. Exit 2 without summary.json.
  wbdiff diagnose <kernel|elf> [--variant name|file.json]... [--convention go1.19|go1.23|file.json]
             [--manifest out.elf.patch.json] [--cpu cortex-a57] [--no-recover] [--verbose] [--json]
        Trace each redirected call on the emulator; say whether the replacement routine
        follows the write-barrier convention (registers, stores, return), which calls to the
        runtime's barrier entry points the variant left behind, and why each marker is what
        it is. Exit 0 when every reached site is right; --verbose: every call and site.
  wbdiff bisect <kernel|elf> --variant v.json --marker T2[=Y] [--runner emu|qemu]
                [--repeat 3] [--no-confirm] [-o culprits.json] [--json]
        The smallest set of the variant's sites that flips the marker (delta debugging),
        verified on repeated runs and confirmed on QEMU; writes a variant of just those sites.
  wbdiff bisect <kernel|elf> --series v1.json v2.json ... --marker T2[=Y]
        The first variant of an ordered series that flips the marker (binary search).
  wbdiff check <kernel|elf> [--variant v.json] --marker T2=Y [--runner emu|qemu]
        (bisect and check take one marker syntax: T2=Y, or T2 with --want Y)
        A git bisect run predicate: exit 0 holds, 1 does not, 125 does not build, 128 harness error.
  wbdiff parity <kernel|elf> [--variant v.json]... [--at sym|addr]... [--max-hits N] [--json]
        Register-level parity: QEMU (gdbstub) and the emulator stop at the redirected call sites
        (or --at); x0-x30, sp, pc compared per hit; the earliest divergence, symbolised.

  wbdiff dtb <kernel|file> [machine flags] [-o out.dtb]
        The device tree QEMU generates for that machine (-machine dumpdtb=), cached by its options.

Machine (run, diagnose, bisect, check, parity, dtb; over the manifest's "machine"):
  --cpu NAME  --smp N  --memory MiB  --machine-opt K=V  --append "cmdline"  --initrd FILE
  --device SPEC  --chardev SPEC  --semihosting  --qemu-arg ARG (QEMU only)
  --results markers|kvm-unit-tests|ktap  --result-pattern REGEX|JSON  --symbols ELF (raw images)
Suites: wbdiff matrix --suite kvm-unit-tests:<built tree> [--max-smp N] [--test NAME]...

Kernels: a bundled kernel name ("gowb" = every Go toolchain it lists, "gowb@go1.23" = one),
or the path of any AArch64 kernel: an ELF, a raw image (.bin, .flat) or an arm64 Image.

Exit codes:
  0  success (run: as the manifest expects and runners agree; matrix: no regression)
  1  run: a kernel not as expected, or runners disagree; matrix/merge: regressions against
     the baseline (with no baseline: an unpatched kernel not as its manifest expects)
  2  harness or infrastructure error (bad input, missing tool, build failure, QEMU itself
     failing, a cell that could not run) — never counted as a kernel failure
  130 matrix interrupted by SIGINT (Ctrl-C); 143 by SIGTERM; 129 by SIGHUP (finished cells
     are kept, the summary is written; --resume finishes the rest)

Environment: WBDIFF_QEMU (qemu binary), WBDIFF_CC, WBDIFF_GO_1_19, WBDIFF_GO_1_23,
WBDIFF_CACHE (build cache, default .cache/), WBDIFF_RESULTS (default results/),
WBDIFF_KERNELS (kernels folder, default kernels/), WBDIFF_LIBUNICORN (libunicorn.so.2 to load),
WBDIFF_LIBCAPSTONE (libcapstone.so.4 to load).
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
