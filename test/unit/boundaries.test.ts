// The pure modules stay pure: no file system, processes, sockets or FFI. I/O lives at the edges
// (runners, builder, stores, CLI), so parsing, encoding and comparison are tested directly.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import test from 'ava';
import { REPO_ROOT } from '../../harness/paths.js';

const PURE = [
  'harness/markers/parse.ts',
  'harness/markers/decode.ts',
  'harness/compare/expect.ts',
  'harness/compare/classify.ts',
  'harness/patch/encoding.ts',
  'harness/patch/location.ts',
  'harness/patch/plan.ts',
  'harness/bisect/ddmin.ts',
  'harness/bisect/series.ts',
  'harness/baseline/diff.ts',
  'harness/matrix/plan.ts',
  'harness/matrix/summarize.ts',
  'harness/compare/known.ts',
  'harness/baseline/key.ts',
  'harness/report/terminal.ts',
  'harness/report/run-text.ts',
  'harness/util/suggest.ts',
  'harness/runners/qemu-log.ts',
  'harness/runners/qemu-args.ts',
  'harness/emu/interrupts/virt-interrupts.ts',
  'harness/runners/exception-judge.ts',
  'harness/runners/stop-policy.ts',
  'harness/runners/capabilities.ts',
  'harness/machine/description.ts',
  'harness/machine/boot-image.ts',
  'harness/markers/presets.ts',
  'harness/util/json-locate.ts',
  'harness/gdb/packets.ts',
  'harness/gdb/target-xml.ts',
  'harness/diagnose/diagnose.ts',
  'harness/emu/exceptions.ts',
  'harness/emu/translation.ts',
  'harness/machine/layout.ts',
  'harness/emu/devices/pflash.ts',
  'harness/emu/psci.ts',
  'harness/emu/semihosting.ts',
  'harness/emu/interrupts/counter-polling.ts',
];
const IO = /from '(node:(fs|fs\/promises|child_process|net|worker_threads)|execa|koffi|serialport)'/;

/** Every I/O import reachable from file through relative value imports (type-only imports are erased). */
async function ioImports(file: string, seen = new Set<string>()): Promise<string[]> {
  if (seen.has(file)) return [];
  seen.add(file);
  const source = await readFile(join(REPO_ROOT, file), 'utf8');
  const lines = source.split('\n').filter((line) => /^import (?!type )/.test(line));
  const found = lines.filter((line) => IO.test(line)).map((line) => `${file}: ${line}`);
  for (const line of lines) {
    const m = /from '(\.\.?\/[^']+)\.js'/.exec(line);
    if (m) found.push(...(await ioImports(join(dirname(file), `${m[1]}.ts`), seen)));
  }
  return found;
}

/** Deliberate exceptions: the patch planner disassembles through capstone (FFI, but no I/O and deterministic). */
const ALLOWED: Record<string, RegExp> = { 'harness/patch/plan.ts': /^harness\/disasm\/capstone\.ts: import koffi/ };

for (const file of PURE) {
  test(`${file} does no I/O, directly or through what it imports`, async (t) => {
    const allowed = ALLOWED[file];
    t.deepEqual(
      (await ioImports(file)).filter((line) => !allowed?.test(line)),
      [],
    );
  });
}
