// The machine flags every command that runs a kernel takes (run, diagnose, bisect, check, parity),
// parsed in one place into the overrides resolveSubjects lays over a kernel's manifest.
import { resolve } from 'node:path';
import { WbdiffError } from '../errors.js';
import { parseMachineOpt, type MachineOptions } from '../machine/description.js';
import { isResultPreset, RESULT_PRESETS } from '../markers/presets.js';
import { validatePattern } from '../markers/parse.js';
import type { ResultPattern, RunOverrides } from '../runners/types.js';
import { parsePositiveInt } from './args.js';

export const MACHINE_FLAGS = {
  smp: { type: 'string' },
  memory: { type: 'string' },
  'machine-opt': { type: 'string', multiple: true },
  append: { type: 'string' },
  initrd: { type: 'string' },
  device: { type: 'string', multiple: true },
  chardev: { type: 'string', multiple: true },
  semihosting: { type: 'boolean' },
  'qemu-arg': { type: 'string', multiple: true },
  deterministic: { type: 'boolean' },
  results: { type: 'string' },
  'result-pattern': { type: 'string', multiple: true },
  symbols: { type: 'string' },
} as const;

export interface MachineFlagValues {
  smp?: string | undefined;
  memory?: string | undefined;
  'machine-opt'?: string[] | undefined;
  append?: string | undefined;
  initrd?: string | undefined;
  device?: string[] | undefined;
  chardev?: string[] | undefined;
  semihosting?: boolean | undefined;
  'qemu-arg'?: string[] | undefined;
  deterministic?: boolean | undefined;
  results?: string | undefined;
  'result-pattern'?: string[] | undefined;
  symbols?: string | undefined;
}

export function machineOverrides(values: MachineFlagValues, cwd = process.cwd()): RunOverrides {
  const machine: MachineOptions = {};
  const smp = parsePositiveInt(values.smp, '--smp');
  if (smp !== undefined) machine.smp = smp;
  for (const text of values['machine-opt'] ?? []) {
    const kv = parseMachineOpt(text);
    if (!kv)
      throw new WbdiffError(`--machine-opt takes K=V, not "${text}"`, { hint: 'e.g. --machine-opt gic-version=3 --machine-opt mte=on' });
    (machine.machine ??= {})[kv[0]] = kv[1];
  }
  if (values.append !== undefined) machine.append = values.append;
  if (values.initrd !== undefined) machine.initrd = resolve(cwd, values.initrd);
  if (values.device?.length) machine.devices = values.device;
  if (values.chardev?.length) machine.chardevs = values.chardev;
  if (values.semihosting) machine.semihosting = true;
  if (values['qemu-arg']?.length) machine.qemuArgs = values['qemu-arg'];
  if (values.deterministic) machine.deterministic = true;
  const out: RunOverrides = {};
  if (Object.keys(machine).length) out.machine = machine;
  const memoryMiB = parsePositiveInt(values.memory, '--memory');
  if (memoryMiB !== undefined) out.memoryMiB = memoryMiB;
  if (values.results !== undefined) {
    if (!isResultPreset(values.results))
      throw new WbdiffError(`--results: no result format "${values.results}"`, { hint: `formats: ${RESULT_PRESETS.join(', ')}` });
    out.results = values.results;
  }
  if (values['result-pattern']?.length) out.resultPatterns = values['result-pattern'].map(parseResultPatternFlag);
  if (values.symbols !== undefined) out.symbolsElf = resolve(cwd, values.symbols);
  return out;
}

/** `--result-pattern REGEX` (named groups id and result), or a JSON pattern object with "id"/"map". */
export function parseResultPatternFlag(text: string): ResultPattern {
  let pattern: ResultPattern;
  if (text.trimStart().startsWith('{')) {
    try {
      pattern = JSON.parse(text) as ResultPattern;
    } catch (error) {
      throw new WbdiffError(`--result-pattern: not valid JSON: ${(error as Error).message}`, {
        hint: '--result-pattern \'{"regex": "assignment (?<result>failed)", "id": "T2", "map": {"failed": "N"}}\'',
      });
    }
    if (typeof pattern !== 'object' || pattern === null || typeof pattern.regex !== 'string')
      throw new WbdiffError('--result-pattern: a JSON pattern needs a "regex" string');
  } else pattern = { regex: text };
  const problem = validatePattern(pattern);
  if (problem)
    throw new WbdiffError(`--result-pattern ${JSON.stringify(text)}: ${problem}`, {
      hint: 'e.g. --result-pattern "(?<id>CHECK \\d+): (?<result>ok|bad)"',
    });
  return pattern;
}
