// `wbdiff bisect`: the smallest set of a variant's edits that flips a marker, or the first bad
// variant of a series. Emulator by default (fast), answer confirmed on QEMU.
import { resolve } from 'node:path';
import { resolveRunTarget, resolveVariants } from '../build/run-target.js';
import { bisectVariant, culpritVariant, valueOf, type BisectReport } from '../bisect/bisect.js';
import { bisectSeries } from '../bisect/series.js';
import { readElf } from '../elf/read-elf.js';
import { EXIT, WbdiffError } from '../errors.js';
import { patchedElf } from '../patch/patched-build.js';
import { createRunner } from '../runners/index.js';
import { DEFAULTS } from '../runners/types.js';
import { MACHINE_FLAGS, machineOverrides } from './machine-flags.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { parseCommandArgs, parseMarkerSpec, parsePositiveInt } from './args.js';
import { table } from '../report/run-text.js';

export async function bisectCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('bisect', argv, {
    variant: { type: 'string' },
    series: { type: 'boolean', default: false },
    marker: { type: 'string' },
    want: { type: 'string' },
    runner: { type: 'string', default: 'emu' },
    cpu: { type: 'string', default: DEFAULTS.cpu },
    timeout: { type: 'string' },
    repeat: { type: 'string' },
    'no-confirm': { type: 'boolean', default: false },
    output: { type: 'string', short: 'o' },
    json: { type: 'boolean', default: false },
    ...MACHINE_FLAGS,
  });
  const usage =
    'wbdiff bisect <kernel|elf> --variant v.json --marker T2[=Y] [--runner emu|qemu]\n       wbdiff bisect <kernel|elf> --series v1.json v2.json ... --marker T2';
  if (!values.marker) throw new WbdiffError('--marker is required', { hint: usage });
  // "--marker T2=Y" and "--marker T2 --want Y" say the same (as for wbdiff check).
  const marker = parseMarkerSpec(values.marker, values.want);
  values.marker = marker.id;
  if (marker.value === undefined) delete values.want;
  else values.want = marker.value;
  if (values.runner !== 'emu' && values.runner !== 'qemu') throw new WbdiffError(`--runner is emu or qemu, not "${values.runner}"`);
  const [spec, ...seriesFiles] = positionals;
  if (!spec) throw new WbdiffError('name the kernel or ELF', { hint: usage });
  const target = await resolveRunTarget({
    kernel: spec,
    overrides: machineOverrides(values),
    timeoutMs: parsePositiveInt(values.timeout, '--timeout'),
    single: 'bisect',
  });
  const { subject } = target;
  const { elfPath: _elf, ...runSpec } = target.baseRunSpec(values.cpu!);
  const out = (text: string) => process.stdout.write(text);

  if (values.series) {
    if (seriesFiles.length === 0) throw new WbdiffError('--series needs the variant files, in order', { hint: usage });
    // Bundled variant names work here as everywhere ("seed-barrier fixed-barrier").
    const variants = await resolveVariants(seriesFiles, subject, process.cwd());
    let runs = 0;
    const answer = await bisectSeries(variants, values.want, async (index) => {
      runs += 1;
      const elfPath = index < 0 ? subject.elfPath : (await patchedElf(subject.elfPath, subject.elfHash, [variants[index]!])).elfPath;
      return valueOf(await createRunner(values.runner!).run({ ...runSpec, elfPath }), values.marker!);
    });
    if (values.json) out(`${JSON.stringify({ ...answer, runs }, null, 2)}\n`);
    else {
      for (const s of answer.steps) out(`  ran ${s.name.padEnd(28)} ${values.marker}=${s.value}${s.flips ? '  (flips)' : ''}\n`);
      out(
        answer.kind === 'first-bad'
          ? `first variant that flips ${values.marker} (want ${answer.want}): #${answer.index + 1} ${variants[answer.index]!.variant.name} (${seriesFiles[answer.index]}), found in ${runs} runs of ${variants.length} variants\n`
          : `no answer: ${answer.reason} (${runs} runs)\n`,
      );
    }
    return answer.kind === 'first-bad' ? EXIT.ok : EXIT.failed;
  }

  if (!values.variant) throw new WbdiffError('--variant (or --series) is required', { hint: usage });
  const [variant] = await resolveVariants([values.variant], subject, process.cwd());
  const image = await readElf(subject.elfPath);
  const report = await bisectVariant(
    image,
    variant!.variant,
    {
      marker: values.marker,
      ...(values.want ? { want: values.want } : {}),
      runner: values.runner,
      repeat: parsePositiveInt(values.repeat, '--repeat') ?? 3,
      confirmOnQemu: !values['no-confirm'],
      spec: runSpec,
    },
    values.variant,
  );
  let written: string | null = null;
  if (report.answer.kind === 'culprits') {
    written = resolve(values.output ?? `${variant.variant.name}-culprits.json`);
    await writeJsonAtomic(written, culpritVariant(variant.variant.name, report.answer.sites, values.variant));
  }
  if (values.json) out(`${JSON.stringify({ ...report, written }, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v), 2)}\n`);
  else out(renderReport(report, values.marker, written));
  return report.answer.kind === 'culprits' ? EXIT.ok : EXIT.failed;
}

function renderReport(report: BisectReport, marker: string, written: string | null): string {
  const runs = Object.entries(report.runs)
    .map(([r, n]) => `${n} on ${r}`)
    .join(', ');
  const head = `${report.sites} sites; ${report.totalRuns} runs (${runs}); ddmin tested ${report.ddminTests} subsets\n`;
  const a = report.answer;
  switch (a.kind) {
    case 'culprits': {
      const rows = a.sites.map((s) => [`0x${s.address.toString(16)}`, s.location, s.old.symbolic, s.new.symbolic]);
      return `${head}${a.sites.length} site(s) flip ${marker} (${a.want} -> ${a.observed}); ${a.confirmation}:\n${table(['address', 'location', 'old', 'new'], rows)}\nwrote ${written}\n`;
    }
    case 'flaky':
      return `${head}flaky: ${a.reason}\n${a.rates.map((r) => `  ${r}`).join('\n')}\n`;
    case 'parity':
      return `${head}parity problem: ${a.reason}\n`;
    case 'unresolvable':
      return `${head}unresolvable: ${a.reason}\n`;
  }
}
