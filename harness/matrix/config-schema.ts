// JSON Schema of wbdiff.config.json (the matrix definition).
import { kernelManifestSchema, resultPatternSchema } from '../build/manifest-schema.js';
import { boardSchema } from '../runners/board-config.js';
import { machineOptionsSchema } from '../machine/description.js';
import { RESULT_PRESETS } from '../markers/presets.js';
const stringList = { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 };
const runnerList = {
  type: 'array',
  minItems: 1,
  items: { anyOf: [{ enum: ['qemu', 'emu', 'replay'] }, { type: 'string', pattern: '^board:[A-Za-z0-9_.-]+$' }] },
  description: 'qemu, emu, replay (captured logs named by the kernel entry\'s "logs"), board:<name> (see "boards")',
};

const kernelEntrySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    kernel: { type: 'string', minLength: 1, description: 'bundled kernel name ("gowb" or "gowb@go1.23")' },
    elf: {
      type: 'string',
      minLength: 1,
      description: 'path of any AArch64 kernel: ELF, raw image (.bin, .flat) or arm64 Image (relative to the config file)',
    },
    name: { type: 'string', minLength: 1, description: 'display name for an elf entry' },
    variants: { ...stringList, description: 'bundled variant names, or paths of variant files' },
    cpus: stringList,
    runners: runnerList,
    logs: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'captured serial logs for the replay runner: {"unpatched": "path", "<variant>": "path"}',
    },
    timeoutMs: { type: 'integer', minimum: 100, maximum: 600000 },
    convention: { type: 'string', description: 'go1.19 | go1.23 | path of a convention file (overrides the ELF and manifest)' },
    expect: {
      ...kernelManifestSchema.properties.expect,
      description: 'what the kernel must do, as a kernel manifest\'s "expect" (overrides the manifest\'s)',
    },
    expectByCpu: {
      type: 'object',
      additionalProperties: kernelManifestSchema.properties.expect,
      description: 'per CPU model, merged over "expect": {"cortex-a53": {"markers": {"MIDR": "0x410fd034"}}}',
    },
    resultPatterns: { type: 'array', items: resultPatternSchema },
    machine: machineOptionsSchema,
    memoryMiB: { type: 'integer', minimum: 16, maximum: 65536 },
    results: { enum: RESULT_PRESETS },
    image: { enum: ['elf', 'raw', 'linux-image'], description: 'how an elf entry boots (detected from the file when absent)' },
    symbols: { type: 'string', minLength: 1, description: 'an ELF whose symbols describe a raw image (relative to the config file)' },
  },
  oneOf: [{ required: ['kernel'] }, { required: ['elf'] }],
} as const;

const suiteEntrySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['suite', 'dir'],
  properties: {
    suite: { enum: ['kvm-unit-tests'], description: 'a test suite: one kernel per test of its config' },
    dir: { type: 'string', minLength: 1, description: 'the built tree (relative to the config file)' },
    tests: { ...stringList, description: 'the tests (sections) to run; all when absent' },
    groups: { ...stringList, description: 'only tests in these groups' },
    maxSmp: { type: 'integer', minimum: 1, maximum: 64, description: '$MAX_SMP of the config (default 1)' },
    cpus: stringList,
    runners: runnerList,
    timeoutMs: { type: 'integer', minimum: 100, maximum: 600000, description: "overrides each test's timeout" },
    expect: { type: 'object', description: 'default: completed, exit status 0 or 77 (skip), no FAIL' },
  },
} as const;

export const matrixConfigSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'wbdiff matrix config',
  type: 'object',
  additionalProperties: false,
  required: ['kernels'],
  properties: {
    $schema: { type: 'string' },
    description: { type: 'string' },
    kernels: {
      type: 'array',
      minItems: 1,
      description: 'entries, or the shorthand "hello" (a bundled kernel) / "path/to.elf" (an ELF, relative to the config)',
      items: {
        if: { type: 'object', required: ['suite'] },
        then: suiteEntrySchema,
        else: { if: { type: 'object' }, then: kernelEntrySchema, else: { type: 'string', minLength: 1 } },
      },
    },
    known: {
      type: 'array',
      description: 'known failures: a failing cell an entry covers is outcome "known" (not failing) until "until"',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['cells', 'reason'],
        properties: {
          cells: {
            type: 'string',
            minLength: 1,
            description: 'glob over cell ids ("*" matches any text, "/" included): "gowb@go1.23/seed-barrier/*"',
          },
          finding: { type: 'string', minLength: 1, description: 'only cells with a finding of this kind, e.g. "masked-failure"' },
          marker: { type: 'string', minLength: 1, description: 'only cells whose findings name this marker, e.g. "T2"' },
          reason: { type: 'string', minLength: 1 },
          link: { type: 'string', minLength: 1 },
          until: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD: the last day the entry holds' },
        },
      },
    },
    runners: runnerList,
    boards: {
      type: 'object',
      additionalProperties: { ...boardSchema, required: ['console'] },
      description: 'boards by name, for runners "board:<name>"',
    },
    cpus: stringList,
    timeoutMs: { type: 'integer', minimum: 100, maximum: 600000 },
    concurrency: { type: 'integer', minimum: 1, maximum: 256 },
    diagnose: { type: 'boolean', description: 'trace redirected call sites on the emulator (default true)' },
    machine: { ...machineOptionsSchema, description: "default machine options under every entry's own" },
    memoryMiB: { type: 'integer', minimum: 16, maximum: 65536 },
    results: { enum: RESULT_PRESETS, description: 'default result format' },
  },
} as const;
