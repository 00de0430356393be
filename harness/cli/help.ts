// `wbdiff <command> --help`: generated from the option table the command hands its parser, so a
// flag cannot exist without showing in its help (an undocumented one is marked, and a test fails).
// Pure: text in, text out.
import type { ParseArgsConfig } from 'node:util';

type OptionTable = NonNullable<ParseArgsConfig['options']>;

export interface CommandHelp {
  /** Usage lines, without the leading "wbdiff ". */
  usage: string[];
  summary: string;
  examples: string[];
  /** What a flag means in this command when it differs from OPTION_HELP. */
  options?: Record<string, OptionDoc>;
}

export interface OptionDoc {
  /** The value's placeholder ("MS", "FILE"); none for booleans. */
  arg?: string;
  text: string;
}

/** What each flag means, shared by every command that takes it. */
export const OPTION_HELP: Record<string, OptionDoc> = {
  runner: { arg: 'NAME', text: 'qemu, emu, or both (repeatable; comma lists work)' },
  cpu: { arg: 'MODEL', text: 'the CPU model, as QEMU -cpu names it (cortex-a57, cortex-a53, cortex-a72, max)' },
  timeout: { arg: 'MS', text: "wall-clock limit of one run, in milliseconds (default: the manifest's, else 10000)" },
  json: { text: 'print one JSON document instead of text' },
  variant: { arg: 'FILE|NAME', text: 'a variant file, or a bundled variant name (repeatable; applied in order)' },
  board: { arg: 'FILE', text: 'a board definition (JSON): run on that board too (repeatable)' },
  replay: { arg: 'LOG', text: 'a captured serial log, read as a run (repeatable)' },
  force: { text: 'build even when the cache has the build' },
  list: { text: 'list the bundled kernels and their builds' },
  output: { arg: 'FILE', text: 'where to write the result' },
  out: { arg: 'DIR', text: 'the results folder to write' },
  config: { arg: 'FILE', text: 'the matrix config (.json, .ts, .mjs, .js; default wbdiff.config.json)' },
  resume: { arg: 'DIR', text: 'finish an interrupted run in that results folder' },
  explain: { arg: 'CELL', text: 'print the evidence behind one cell (kernel/variant/runner[/cpu])' },
  from: { arg: 'DIR', text: 'with --explain: the results folder to read (default: the newest)' },
  concurrency: { arg: 'N', text: 'QEMU cells run at once (default: the core count)' },
  shard: { arg: 'I/N', text: 'run shard I of N (a stable hash of each cell id)' },
  repeat: { arg: 'N', text: 'run each cell N times; disagreeing runs are flaky' },
  baseline: { arg: 'DIR|FILE', text: 'compare with this run (results folder or summary.json)' },
  'no-baseline': { text: 'compare with no earlier run' },
  'no-diagnose': { text: 'skip the register-convention diagnosis' },
  marker: { arg: 'ID', text: 'the marker to watch' },
  want: { arg: 'VALUE', text: 'the marker value that counts as good (default Y)' },
  series: { text: 'the positionals after the kernel are an ordered series of variants' },
  'no-confirm': { text: 'do not confirm the answer on QEMU' },
  manifest: { arg: 'FILE', text: 'a .patch.json manifest naming the patched sites' },
  convention: { arg: 'GO|FILE', text: 'the write-barrier convention to judge by (go1.19, go1.23, or a JSON file)' },
  'caller-budget': { arg: 'N', text: 'instructions of the caller traced after each call' },
  'no-recover': { text: 'stop at the first fault instead of mapping a zero page and going on' },
  at: { arg: 'SYM|ADDR', text: 'a breakpoint (repeatable; default: the patched call sites)' },
  'max-hits': { arg: 'N', text: 'breakpoint hits compared at most' },
  'no-analysis': { text: 'list the snapshots without the register analysis' },
  'differences-only': { text: 'show only the registers that differ' },
  smp: { arg: 'N', text: 'CPUs (QEMU -smp)' },
  memory: { arg: 'MIB', text: 'RAM size in MiB (QEMU -m)' },
  'machine-opt': { arg: 'K=V', text: '-machine virt option, e.g. gic-version=3 (repeatable)' },
  append: { arg: 'CMDLINE', text: 'the kernel command line (/chosen/bootargs)' },
  initrd: { arg: 'FILE', text: 'an initrd (QEMU -initrd)' },
  device: { arg: 'SPEC', text: 'a QEMU -device (repeatable)' },
  chardev: { arg: 'SPEC', text: 'a QEMU -chardev (repeatable)' },
  semihosting: { text: 'enable Arm semihosting (HLT #0xF000)' },
  'qemu-arg': { arg: 'ARG', text: 'an extra QEMU argument, last resort; other runners refuse it (repeatable)' },
  deterministic: {
    text: 'guest time from executed instructions on both runners (QEMU -icount shift=3,sleep=off): counter values reproducible',
  },
  results: { arg: 'PRESET', text: 'result format: markers, kvm-unit-tests or ktap' },
  'result-pattern': { arg: 'REGEX|JSON', text: 'a custom result pattern (repeatable)' },
  symbols: { arg: 'ELF', text: "symbolise a raw image with this ELF's symbols" },
  suite: { arg: 'SUITE:DIR', text: 'run a test suite without a config, e.g. kvm-unit-tests:~/kvm-unit-tests (a built tree)' },
  'max-smp': { arg: 'N', text: "with --suite: $MAX_SMP of the suite's config (default 1)" },
  test: { arg: 'NAME', text: 'with --suite: only this test (repeatable)' },
  help: { text: 'show this help' },
};

const KERNEL = '<kernel|file>';

export const COMMAND_HELP: Record<string, CommandHelp> = {
  build: {
    usage: ['build [kernel...] [--force] [--list]'],
    summary: 'Build bundled kernels (all when none is named) into the content-hash cache.',
    examples: ['wbdiff build gowb', 'wbdiff build --list'],
  },
  run: {
    usage: [`run ${KERNEL} [options]`],
    summary:
      "Build (bundled kernels), patch with the variants if any, and run on each runner; print verdicts, markers and agreement. With a variant, the unpatched kernel runs too and the matrix's classification and one-line diagnosis are printed.",
    examples: [
      'wbdiff run hello',
      'wbdiff run gowb@go1.19 --variant seed-barrier --runner both',
      'wbdiff run test.flat --results kvm-unit-tests --smp 2 --append "smp"',
    ],
    options: { explain: { text: 'with --variant: print the evidence behind each classification' } },
  },
  patch: {
    usage: [`patch ${KERNEL} <variant.json|name>... -o <out.elf> [--json]`],
    summary:
      'Apply variant files (or bundled variant names); print every site (address, location, old -> new) and write out.elf and out.elf.patch.json.',
    examples: ['wbdiff patch gowb@go1.23 kernels/gowb/variants/go1.23/seed-barrier.json -o /tmp/seed.elf'],
    options: { output: { arg: 'FILE', text: 'the patched ELF to write (required)' } },
  },
  matrix: {
    usage: [
      'matrix [--config FILE] [options] [kernel...]',
      'matrix --resume <results-dir>',
      'matrix --explain <cell> [--from <results-dir>]',
    ],
    summary:
      'Run kernels x variants x runners x CPUs from the config, classify each cell, compare with the baseline, write the results folder and its reports.',
    examples: [
      'wbdiff matrix',
      'wbdiff matrix --repeat 3 hello',
      'wbdiff matrix --explain gowb@go1.23/seed-barrier/qemu',
      'wbdiff matrix --suite kvm-unit-tests:~/kvm-unit-tests --max-smp 2',
    ],
  },
  merge: {
    usage: ['merge <shard-dir>... [--out DIR] [--baseline DIR]'],
    summary: 'Merge shard results (matrix --shard i/n) into one run; conflicting duplicates are an error.',
    examples: ['wbdiff merge results/shard-1 results/shard-2 --out results/merged'],
    options: { out: { arg: 'DIR', text: 'the merged results folder to write' } },
  },
  report: {
    usage: ['report <results-dir> [--out DIR]'],
    summary: 'Write junit.xml, results.tap and index.html for a matrix run; print their paths.',
    examples: ['wbdiff report results/2026-12-01T08-00-00'],
    options: { out: { arg: 'DIR', text: 'where to write the reports (default: the results folder)' } },
  },
  diagnose: {
    usage: [`diagnose ${KERNEL} [--variant FILE|NAME]... [--convention go1.19|go1.23|FILE] [options]`],
    summary:
      "Trace each redirected call on the emulator; say whether the replacement routine follows the write-barrier convention, which calls to the runtime's barrier entry points the variant left behind, and why each marker is what it is. Exit 0 when every reached site is right.",
    examples: ['wbdiff diagnose gowb@go1.19 --variant seed-barrier', 'wbdiff diagnose goarchive --variant partial-barriers --verbose'],
    options: { verbose: { text: 'every traced call, every finding and the unreached sites (default: one line per finding group)' } },
  },
  bisect: {
    usage: [
      `bisect ${KERNEL} --variant FILE --marker ID[=VALUE] [options]`,
      `bisect ${KERNEL} --series v1.json|name v2.json|name ... --marker ID[=VALUE]`,
    ],
    summary: "The smallest set of a variant's sites that flips a marker (delta debugging), or the first bad variant of a series.",
    examples: ['wbdiff bisect gowb@go1.19 --variant bisect-example --marker T2 -o culprits.json'],
    options: {
      marker: { arg: 'ID[=VALUE]', text: 'the marker to bisect on; ID=VALUE is the same as --marker ID --want VALUE' },
      variant: { arg: 'FILE|NAME', text: 'the variant whose sites are bisected' },
      output: { arg: 'FILE', text: 'write a variant of just the culprit sites' },
    },
  },
  check: {
    usage: [`check ${KERNEL} [--variant FILE|NAME]... --marker ID=VALUE [--runner emu|qemu]`],
    summary:
      'A git bisect run predicate: exit 0 the expectation holds, 1 it does not, 125 the kernel does not build (skip the commit), 128 the harness failed (stop bisecting).',
    examples: ['git bisect run npx wbdiff check gowb@go1.19 --marker T2=Y'],
    options: {
      marker: { arg: 'ID=VALUE', text: 'the marker value that must hold (repeatable); ID alone takes the value of --want, as bisect does' },
      runner: { arg: 'NAME', text: 'qemu or emu (default emu)' },
    },
  },
  parity: {
    usage: [`parity ${KERNEL} [--variant FILE|NAME]... [--at SYM|ADDR]... [options]`],
    summary: 'Register-level parity: QEMU (gdbstub) and the emulator stop at the same breakpoints; the earliest divergence, symbolised.',
    examples: ['wbdiff parity gowb@go1.19 --variant seed-barrier'],
  },
  dtb: {
    usage: [`dtb ${KERNEL} [machine options] [-o out.dtb]`],
    summary: 'Save the device tree QEMU generates for this kernel on this machine (-machine dumpdtb=), cached by QEMU version and options.',
    examples: ['wbdiff dtb bootargs --smp 2 --append "console=ttyAMA0" -o virt.dtb'],
    options: { output: { arg: 'FILE', text: 'copy the device tree there (default: print the cached path)' } },
  },
};

/** The option docs of one command: its own meaning first, then the shared one. */
export function optionDoc(command: string, flag: string): OptionDoc | null {
  return COMMAND_HELP[command]?.options?.[flag] ?? OPTION_HELP[flag] ?? null;
}

/** Flags of `options` that have no description (a test keeps this empty for every command). */
export function undocumentedOptions(command: string, options: OptionTable): string[] {
  return Object.keys(options).filter((flag) => !optionDoc(command, flag));
}

export function formatCommandHelp(command: string, options: OptionTable): string {
  const help = COMMAND_HELP[command];
  const lines: string[] = [];
  lines.push(...(help?.usage ?? [`${command} [options]`]).map((u, i) => `${i === 0 ? 'Usage: ' : '       '}wbdiff ${u}`));
  if (help) lines.push('', help.summary);
  const table: OptionTable = { ...options, help: { type: 'boolean', short: 'h' } };
  const rows = Object.entries(table).map(([flag, spec]) => {
    const doc = optionDoc(command, flag);
    const name = `${spec.short ? `-${spec.short}, ` : ''}--${flag}${spec.type === 'string' ? ` ${doc?.arg ?? 'VALUE'}` : ''}`;
    const extra = [
      spec.multiple ? 'repeatable' : '',
      spec.default !== undefined && spec.default !== false ? `default ${String(spec.default)}` : '',
    ].filter(Boolean);
    const text = `${doc?.text ?? '(undocumented)'}${extra.length && !doc?.text.includes('repeatable') ? ` [${extra.join(', ')}]` : ''}`;
    return { name, text };
  });
  const width = Math.min(28, Math.max(...rows.map((r) => r.name.length)) + 2);
  lines.push('', 'Options:');
  for (const row of rows)
    lines.push(row.name.length + 2 > width ? `  ${row.name}\n  ${' '.repeat(width)}${row.text}` : `  ${row.name.padEnd(width)}${row.text}`);
  if (help?.examples.length) lines.push('', 'Examples:', ...help.examples.map((e) => `  ${e}`));
  lines.push('', 'Exit codes and the other commands: wbdiff --help');
  return `${lines.join('\n')}\n`;
}

/**
 * `wbdiff --help`: every command's usage and summary from COMMAND_HELP (the table the per-command
 * help uses), the machine flags by name, then the notes (kernels, exit codes, environment).
 */
export function formatMainHelp(parts: { commands: readonly string[]; machineFlags: readonly string[]; notes: string }): string {
  const lines = ['wbdiff — differential test harness for bare-metal AArch64 kernels', '', 'Usage:'];
  for (const command of parts.commands) {
    const help = COMMAND_HELP[command];
    if (!help) continue;
    lines.push(...help.usage.map((u) => `  wbdiff ${u}`), ...wrap(help.summary.split(' '), 92).map((l) => `        ${l}`));
  }
  lines.push('  wbdiff <command> --help   its options, each described, and examples', '');
  const flags = parts.machineFlags.map((flag) => {
    const doc = OPTION_HELP[flag];
    return `--${flag}${doc?.arg ? ` ${doc.arg}` : ''}`;
  });
  lines.push('Machine (run, diagnose, bisect, check, parity, dtb; over the manifest\'s "machine"):');
  lines.push(...wrap(flags, 100, '  ').map((l) => `  ${l}`), '');
  return `${lines.join('\n')}\n${parts.notes}`;
}

/** Lines of at most `width` characters, never breaking inside a token. */
function wrap(tokens: readonly string[], width: number, separator = ' '): string[] {
  const out: string[] = [];
  let line = '';
  for (const token of tokens) {
    if (line && line.length + separator.length + token.length > width) {
      out.push(line);
      line = token;
    } else line = line ? `${line}${separator}${token}` : token;
  }
  if (line) out.push(line);
  return out;
}

/** True when argv asks for help (before any `--`). */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}
