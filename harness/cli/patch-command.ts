import { resolve } from 'node:path';
import { resolveRunTarget, resolveVariants } from '../build/run-target.js';
import { EXIT, WbdiffError } from '../errors.js';
import { applyVariants } from '../patch/apply.js';
import { parseCommandArgs } from './args.js';
import { table } from '../report/run-text.js';
import { readElf } from '../elf/read-elf.js';
import { bindingWords, splitQualifier, type Symbolizer } from '../elf/symbols.js';
import { hex } from '../util/hex.js';

export async function patchCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('patch', argv, {
    output: { type: 'string', short: 'o' },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length < 2 || !values.output) {
    throw new WbdiffError('usage: wbdiff patch <kernel|elf> <variant.json>... -o <out.elf>', {
      hint: 'e.g. wbdiff patch gowb@go1.19 kernels/gowb/variants/go1.19/seed-barrier.json -o /tmp/seed.elf',
    });
  }
  const [spec, ...variantPaths] = positionals as [string, ...string[]];
  // The variants are applied to the output file named here, not to the patch cache.
  const { subject } = await resolveRunTarget({ kernel: spec, single: 'patch' });
  const variants = await resolveVariants(variantPaths, subject, process.cwd());
  const manifest = await applyVariants(subject.elfPath, variants, resolve(values.output));
  if (values.json) {
    process.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
    return EXIT.ok;
  }
  const rows = manifest.sites.map((s) => [s.address, s.location, `${s.old.word}  ${s.old.symbolic}`, `${s.new.word}  ${s.new.symbolic}`]);
  process.stdout.write(`${table(['address', 'location', 'old', 'new'], rows)}\n`);
  const legend = sharedNameLegend(
    (await readElf(subject.elfPath)).symbols,
    manifest.sites.flatMap((s) => [s.old.symbolic, s.new.symbolic]),
  );
  if (legend.length) process.stdout.write(`same-named symbols:\n${legend.map((l) => `  ${l}`).join('\n')}\n`);
  process.stdout.write(
    `${manifest.sites.length} site(s) patched from ${variants.map((v) => v.variant.name).join(' + ')}: ${manifest.output.path}\n`,
  );
  return EXIT.ok;
}

/** "runtime.gcWriteBarrier2@local is 0x400e3d10 (local)" for each qualified name the listing shows. */
export function sharedNameLegend(symbols: Symbolizer, texts: readonly string[]): string[] {
  const names = new Set<string>();
  for (const text of texts) for (const m of text.matchAll(/[^\s,[\]]+@(?:global|local|weak|0x[0-9a-f]+)/gi)) names.add(m[0]);
  const out: string[] = [];
  for (const name of [...names].sort()) {
    if (!splitQualifier(name)) continue;
    const symbol = symbols.resolve(name);
    if (symbol) out.push(`${name} is ${hex(symbol.value)} (${bindingWords(symbol)}${symbol.size ? `, ${symbol.size} bytes` : ''})`);
  }
  return out;
}
