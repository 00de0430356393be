// `wbdiff diagnose <kernel|elf> [--variant v.json]... [--convention go1.19|go1.23|file]`:
// the register-convention diagnosis of every redirected call site, in words (or --json).
import { resolveTraceTargets } from './trace-targets.js';
import { parseCommandArgs, parsePositiveInt } from './args.js';
import { MACHINE_FLAGS } from './machine-flags.js';
import { EXIT, WbdiffError } from '../errors.js';
import { DEFAULTS } from '../runners/types.js';
import { diagnoseElf, type Diagnosis } from '../diagnose/index.js';

export async function diagnoseCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('diagnose', argv, {
    variant: { type: 'string', multiple: true },
    manifest: { type: 'string' },
    convention: { type: 'string' },
    cpu: { type: 'string', default: DEFAULTS.cpu },
    timeout: { type: 'string' },
    'caller-budget': { type: 'string' },
    'no-recover': { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    ...MACHINE_FLAGS,
  });
  if (positionals.length !== 1) {
    throw new WbdiffError('name one kernel or ELF', {
      where: 'wbdiff diagnose',
      hint: 'e.g. wbdiff diagnose gowb@go1.19 --variant kernels/gowb/variants/go1.19/seed-barrier.json, or wbdiff diagnose /tmp/x.elf (reads /tmp/x.elf.patch.json)',
    });
  }
  const targets = await resolveTraceTargets('diagnose', positionals[0]!, values, {
    manifestRequired: true,
    why: 'diagnosis traces calls on the emulator',
  });
  const callerBudget = parsePositiveInt(values['caller-budget'], '--caller-budget');
  const results: { id: string; diagnosis: Diagnosis }[] = [];
  for (const { subject, patched, patch, variant, trace } of targets) {
    const { maxSerialBytes: _serial, ...settings } = trace;
    const diagnosis = await diagnoseElf(patched.elfPath, patch!.sites, {
      ...settings,
      cpu: values.cpu!,
      recoverFaults: !values['no-recover'],
      ...(values.convention ? { convention: values.convention } : {}),
      ...(callerBudget ? { callerBudget } : {}),
    });
    results.push({ id: `${subject.id}${variant ? ` + ${variant}` : ''}`, diagnosis });
  }
  if (values.json) process.stdout.write(`${JSON.stringify(results.length === 1 ? results[0] : results, null, 2)}\n`);
  else for (const r of results) process.stdout.write(formatDiagnosis(r.id, r.diagnosis, { verbose: values.verbose! }));
  return results.every((r) => r.diagnosis.verdict === 'ok') ? EXIT.ok : EXIT.failed;
}

/**
 * Quiet by default: the reach line, the entry points, the verdict, the reasons and one line per
 * finding group. --verbose adds every traced call, every finding and the unreached sites.
 */
export function formatDiagnosis(id: string, d: Diagnosis, options: { verbose?: boolean } = {}): string {
  const lines: string[] = [];
  const convention = d.conventionLabel ? `${d.convention} (${d.conventionSource}: ${d.conventionLabel})` : 'unknown';
  lines.push(`${id}  (${d.elf})`);
  lines.push(`  Go version: ${d.goVersion ?? 'none (not a Go binary)'}; convention: ${convention}`);
  lines.push(
    `  emulator run: ${d.run.outcome} (${d.run.detail})${d.run.recoveredPages.length ? `; zero pages mapped at ${d.run.recoveredPages.join(', ')} to keep tracing` : ''}`,
  );
  if (d.reach.redirected) lines.push(`  ${d.reach.line}`);
  if (d.entryPoints.length) {
    lines.push("  barrier entry points (the runtime's):");
    for (const e of d.entryPoints.filter((x) => x.calls > 0 || options.verbose)) {
      const namesakes = e.namesakes.length
        ? `; same name: ${e.namesakes.map((n) => `${n.label} at ${n.address} (${n.binding})`).join(', ')}`
        : '';
      lines.push(`    ${e.line}${namesakes}`);
      if (options.verbose)
        for (const site of e.sites.filter((x) => x.ran)) lines.push(`      ran, left to the runtime: ${site.location} (${site.address})`);
    }
  }
  if (options.verbose) {
    for (const site of d.sites) {
      for (const call of site.calls) {
        lines.push(
          `  ${site.location} -> ${site.routine}${site.calls.length > 1 ? ` (call ${call.hit})` : ''}${site.op === 'left-to-runtime' ? ' (left to the runtime)' : ''}: ${call.symbolic.join(', ')}`,
        );
        for (const w of call.routineWrites)
          lines.push(
            `      routine: ${w.insn}  [${w.addressSymbol ?? w.address}] <- ${w.valueSymbol ?? w.value}${w.fault ? `  (${w.fault}${w.recovered ? ', recovered' : ''})` : ''}`,
          );
        lines.push(
          `      ${call.returned ? `returned to ${call.returnedTo}` : `did not return (${call.routineEnd})`}${call.changedPreserved.length ? `; changed: ${call.changedPreserved.map((c) => c.reg).join(', ')}` : ''}`,
        );
        for (const w of call.callerWrites)
          lines.push(
            `      caller:  ${w.insn}  [${w.addressSymbol ?? w.address}] <- ${w.valueSymbol ?? w.value}${w.fault ? `  (${w.fault}${w.recovered ? ', recovered' : ''})` : ''}`,
          );
      }
    }
    const unreached = d.sites.filter((s) => !s.reached);
    if (unreached.length)
      lines.push(`  not reached (${unreached.length}): ${unreached.map((s) => `${s.location} -> ${s.routine}`).join(', ')}`);
  }
  lines.push(`  verdict: ${d.verdict}`);
  for (const r of d.reasons) lines.push(`  reason: ${r.text}`);
  if (options.verbose) for (const f of d.findings) lines.push(`  [${f.kind}] ${f.text}`);
  else {
    for (const g of d.groups.filter((x) => x.kind !== 'not-reached')) {
      const count = g.sites > 1 ? ` (${g.sites} sites; the first:)` : '';
      lines.push(`  [${g.kind}] ${g.routine}${count} ${g.first.text}`);
    }
  }
  return `${lines.join('\n')}\n\n`;
}
