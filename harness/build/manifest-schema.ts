// JSON Schema of kernels/<name>/kernel.json (documented in kernels/README.md).
import { machineOptionsSchema } from '../machine/description.js';
import { RESULT_PRESETS } from '../markers/presets.js';
const markerValues = { type: 'object', additionalProperties: { type: 'string', minLength: 1 } };

export const exitStatusSchema = {
  anyOf: [
    { type: 'integer', minimum: 0, maximum: 255 },
    { type: 'array', items: { type: 'integer', minimum: 0, maximum: 255 }, minItems: 1 },
  ],
  description: 'the kernel exit status expected (semihosting, chr-testdev, EXIT: STATUS=): one value, or any of a list',
} as const;

export const resultPatternProperties = {
  regex: { type: 'string' },
  flags: { type: 'string', pattern: '^[imsu]*$' },
  id: { type: 'string', minLength: 1, description: 'a fixed marker id for every match' },
  map: { type: 'object', additionalProperties: { type: 'string' }, description: 'captured result -> marker value; "*" for any other' },
  statusEncoding: { enum: ['plain', 'testdev'] },
} as const;

/** One result pattern (also in matrix config entries). */
export const resultPatternSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['regex'],
  properties: resultPatternProperties,
} as const;

export const kernelManifestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['description', 'toolchain', 'expect'],
  properties: {
    $schema: { type: 'string' },
    description: { type: 'string' },
    toolchain: { enum: ['gcc', 'go'] },
    sources: { type: 'array', items: { type: 'string', pattern: '^[^/].*' }, minItems: 1 },
    linkerScript: {
      type: 'string',
      pattern: '^[^/].*',
      description: 'gcc only: the link map, relative to the kernel folder (default ../common/virt.ld)',
    },
    go: {
      type: 'object',
      additionalProperties: false,
      required: ['versions', 'entry'],
      properties: {
        versions: { type: 'array', items: { type: 'string', pattern: '^1\\.\\d+$' }, minItems: 1 },
        entry: { type: 'string', minLength: 1 },
        cArchive: {
          type: 'object',
          additionalProperties: false,
          required: ['sources', 'linkerScript'],
          description: 'build with -buildmode=c-archive and link with gcc (see kernels/README.md)',
          properties: {
            sources: { type: 'array', items: { type: 'string', pattern: '^[^/].*' }, minItems: 1 },
            linkerScript: { type: 'string', pattern: '^[^/].*' },
            objcopy: {
              type: 'object',
              description: 'per object ("go" = the c-archive, or a source file): objcopy symbol options, applied in order',
              additionalProperties: {
                type: 'array',
                items: { type: 'string', pattern: '^--(globalize|weaken|localize|keep-global|strip)-symbol=[^\\s=]+$' },
              },
            },
          },
        },
      },
    },
    timeoutMs: { type: 'integer', minimum: 100, maximum: 600000 },
    memoryMiB: { type: 'integer', minimum: 16, maximum: 4096 },
    maxSerialBytes: { type: 'integer', minimum: 1024, maximum: 268435456 },
    deterministic: { type: 'boolean', description: 'false when the output varies run to run by design (e.g. reads a timer)' },
    expect: {
      type: 'object',
      additionalProperties: false,
      properties: {
        verdict: { enum: ['completed', 'timeout', 'fault', 'output-limit'] },
        done: { type: 'boolean' },
        markers: markerValues,
        conflicts: { type: 'array', items: { type: 'string' } },
        exitStatus: exitStatusSchema,
        noFailingMarkers: { type: 'boolean', description: 'any marker with a failing value (N, FAIL, XPASS) not listed is a mismatch' },
      },
    },
    results: {
      enum: RESULT_PRESETS,
      description: 'result format: markers (T<n> Y|N, TAP), kvm-unit-tests (PASS:/FAIL:/SKIP:, EXIT: STATUS=), ktap',
    },
    image: {
      enum: ['elf', 'raw', 'linux-image'],
      description: 'boot the ELF (default), or its flat image (objcopy -O binary): raw, or with an arm64 Image header',
    },
    machine: machineOptionsSchema,
    runners: {
      type: 'array',
      items: { enum: ['qemu', 'emu'] },
      minItems: 1,
      uniqueItems: true,
      description: 'runners that can run it as it is (all when absent)',
    },
    resultPatterns: { type: 'array', items: resultPatternSchema },
    convention: { type: 'object' },
  },
  allOf: [
    { if: { properties: { toolchain: { const: 'go' } } }, then: { required: ['go'] } },
    { if: { properties: { toolchain: { const: 'gcc' } } }, then: { required: ['sources'] } },
  ],
} as const;
