import { build } from '../build/builder.js';
import { buildTargets, listKernels, resolveTargets } from '../build/manifest.js';
import { EXIT } from '../errors.js';
import { parseCommandArgs } from './args.js';

export async function buildCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('build', argv, {
    force: { type: 'boolean', default: false },
    list: { type: 'boolean', default: false },
  });
  const targets = positionals.length
    ? (await Promise.all(positionals.map((p) => resolveTargets(p)))).flat()
    : (await listKernels()).flatMap(buildTargets);
  if (values.list) {
    for (const t of targets) process.stdout.write(`${t.id.padEnd(16)} ${t.kernel.manifest.description}\n`);
    return EXIT.ok;
  }
  for (const target of targets) {
    const result = await build(target, { force: values.force });
    process.stdout.write(`${target.id.padEnd(16)} ${result.cached ? 'cached' : `built in ${result.durationMs} ms`}  ${result.elfPath}\n`);
  }
  return EXIT.ok;
}
