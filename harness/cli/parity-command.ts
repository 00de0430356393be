// `wbdiff parity <kernel|elf> [--variant v.json]... [--at sym|addr]...`: register-level parity.
// QEMU (through its gdbstub) and the emulator stop at the same instructions — by default the
// redirected call sites of the patch manifest — and their registers are compared one by one.
import { resolveTraceTargets } from './trace-targets.js';
import { readElf } from '../elf/read-elf.js';
import { EXIT, WbdiffError } from '../errors.js';
import { breakpointsFromManifest, checkParity, resolveBreakpoints, type Breakpoint, type ParityReport } from '../parity/parity.js';
import type { HitComparison, RegisterRow } from '../parity/registers.js';
import { DEFAULTS } from '../runners/types.js';
import { MACHINE_FLAGS } from './machine-flags.js';
import { parseCommandArgs, parsePositiveInt } from './args.js';
import { table } from '../report/run-text.js';

export async function parityCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('parity', argv, {
    variant: { type: 'string', multiple: true },
    manifest: { type: 'string' },
    at: { type: 'string', multiple: true },
    cpu: { type: 'string', default: DEFAULTS.cpu },
    'max-hits': { type: 'string' },
    timeout: { type: 'string' },
    'no-analysis': { type: 'boolean', default: false },
    'differences-only': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    ...MACHINE_FLAGS,
  });
  if (positionals.length !== 1) {
    throw new WbdiffError('name one kernel or ELF', {
      where: 'wbdiff parity',
      hint: 'e.g. wbdiff parity gowb@go1.19 --variant kernels/gowb/variants/go1.19/seed-barrier.json, or wbdiff parity hello --at main',
    });
  }
  const maxHits = parsePositiveInt(values['max-hits'], '--max-hits');
  // Parity runs the same bytes on the emulator: what it cannot honour is refused before QEMU starts.
  const targets = await resolveTraceTargets('parity', positionals[0]!, values, {
    manifestRequired: false,
    why: 'parity compares QEMU with the emulator',
  });
  const reports: { id: string; report: ParityReport }[] = [];
  for (const { subject, patched, patch: manifest, variant, trace } of targets) {
    const elfPath = patched.elfPath;
    // Breakpoints come from --at, or else from the redirected call sites of the patch manifest.
    let breakpoints: Breakpoint[];
    if (values.at?.length) breakpoints = resolveBreakpoints(await readElf(elfPath), values.at);
    else {
      breakpoints = manifest ? breakpointsFromManifest(manifest.sites) : [];
      if (!breakpoints.length) {
        throw new WbdiffError(
          manifest
            ? 'no breakpoints: the patch manifest lists no redirected call sites'
            : 'no breakpoints: no --at, and no patch manifest to take redirected call sites from',
          {
            where: subject.id,
            hint: 'give --at sym|addr (e.g. --at main.kmain+0x7c), or --variant with redirect-calls/call edits',
          },
        );
      }
    }
    const report = await checkParity(elfPath, {
      breakpoints,
      cpu: values.cpu!,
      noAnalysis: values['no-analysis']!,
      ...(maxHits ? { maxHits } : {}),
      ...(trace.timeoutMs ? { timeoutMs: trace.timeoutMs } : {}),
      ...(trace.memoryMiB ? { memoryMiB: trace.memoryMiB } : {}),
      ...(trace.maxSerialBytes ? { maxSerialBytes: trace.maxSerialBytes } : {}),
    });
    reports.push({ id: `${subject.id}${variant ? ` + ${variant}` : ''}`, report });
  }
  if (values.json) process.stdout.write(`${JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2)}\n`);
  else for (const r of reports) process.stdout.write(formatParity(r.id, r.report, { differencesOnly: values['differences-only']! }));
  return reports.every((r) => r.report.comparison.verdict === 'parity') ? EXIT.ok : EXIT.failed;
}

const MARK: Record<RegisterRow['status'], string> = { same: '', legitimate: '~', divergence: '!' };

/** Plain text: per hit the qemu/emu register table with differences marked, then the verdict. Pure. */
export function formatParity(id: string, report: ParityReport, options: { differencesOnly?: boolean } = {}): string {
  const c = report.comparison;
  const lines: string[] = [];
  lines.push(`${id}  (${report.elf})`);
  lines.push(
    `  cpu ${report.cpu} (emulator model ${report.model}); breakpoints: ${report.breakpoints.map((b) => `${b.location} (${b.address})`).join(', ')}`,
  );
  lines.push(`  qemu: ${report.qemu.hits} hits, ${report.qemu.end.detail} (${report.qemu.durationMs} ms)`);
  lines.push(`  emu:  ${report.emu.hits} hits, ${report.emu.end.detail} (${report.emu.durationMs} ms)`);
  lines.push(
    c.resetDifferences.length
      ? `  reset state differs: ${c.resetDifferences.map((d) => `${d.reg} qemu ${d.qemu} / emu ${d.emu}`).join(', ')}`
      : '  reset state: the same on both (x0-x30, sp, cpsr; pc = entry)',
  );
  for (const hit of c.hits) lines.push('', ...formatHit(hit, options.differencesOnly ?? false));
  lines.push('');
  if (c.undeterminedSomewhere.length) {
    lines.push(
      `  not determined by the code at some hit (reset values, equal here because both runners reset them alike): ${compactRegisters(c.undeterminedSomewhere)}`,
    );
  }
  for (const l of c.legitimate) lines.push(`  legitimate: ${l.reg} at hit${l.hits.length > 1 ? 's' : ''} ${l.hits.join(', ')}: ${l.why}`);
  lines.push(`  verdict: ${c.verdict} — ${c.summary}`);
  return `${lines.join('\n')}\n\n`;
}

function formatHit(hit: HitComparison, differencesOnly: boolean): string[] {
  const head = `  hit ${hit.seq}: ${hit.location} (pc ${hit.address})${hit.hitOfBreakpoint > 1 ? `, time ${hit.hitOfBreakpoint} there` : ''} — ${
    hit.divergences ? `${hit.divergences} diverging` : 'no divergence'
  }${hit.legitimate ? `, ${hit.legitimate} legitimately different` : ''}${hit.markersAgree ? '' : '; markers so far differ'}`;
  const rows = hit.rows
    .filter((r) => !differencesOnly || r.status !== 'same')
    .map((r) => [
      MARK[r.status],
      r.reg,
      show(r.qemu, r.qemuSymbol),
      r.status === 'same' ? '=' : show(r.emu, r.emuSymbol),
      r.nondeterministic ? 'time' : r.determined === true ? 'code' : r.determined === false ? 'reset' : '',
      r.why ?? '',
    ]);
  if (!rows.length) return [head];
  return [
    head,
    ...table(['', 'reg', 'qemu', 'emu', 'set by', 'note'], rows)
      .split('\n')
      .map((l) => `    ${l}`),
  ];
}

function show(value: string | null, symbol: string | null): string {
  if (value === null) return '-';
  return symbol ? `${value} ${symbol}` : value;
}

/** "x4-x26, x29" for a run of consecutive x registers. */
export function compactRegisters(names: readonly string[]): string {
  const out: string[] = [];
  let i = 0;
  while (i < names.length) {
    const m = /^x(\d+)$/.exec(names[i]!);
    if (!m) {
      out.push(names[i++]!);
      continue;
    }
    let j = i;
    while (j + 1 < names.length && names[j + 1] === `x${Number(/^x(\d+)$/.exec(names[j]!)![1]) + 1}`) j++;
    out.push(j > i + 1 ? `${names[i]}-${names[j]}` : names.slice(i, j + 1).join(', '));
    i = j + 1;
  }
  return out.join(', ');
}
