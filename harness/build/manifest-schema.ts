// JSON Schema of kernels/<name>/kernel.json (documented in kernels/README.md).
const markerValues = { type: 'object', additionalProperties: { type: 'string', minLength: 1 } };

export const kernelManifestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['description', 'toolchain', 'expect'],
  properties: {
    $schema: { type: 'string' },
    description: { type: 'string' },
    toolchain: { enum: ['gcc', 'go'] },
    sources: { type: 'array', items: { type: 'string', pattern: '^[^/].*' }, minItems: 1 },
    linkerScript: { type: 'string', pattern: '^[^/].*', description: 'gcc only: the link map, relative to the kernel folder (default ../common/virt.ld)' },
    go: {
      type: 'object',
      additionalProperties: false,
      required: ['versions', 'entry'],
      properties: {
        versions: { type: 'array', items: { type: 'string', pattern: '^1\\.\\d+$' }, minItems: 1 },
        entry: { type: 'string', minLength: 1 },
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
      },
    },
    resultPatterns: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['regex'],
        properties: { regex: { type: 'string' }, flags: { type: 'string', pattern: '^[imsu]*$' }, map: { type: 'object', additionalProperties: { type: 'string' } } },
      },
    },
    convention: { type: 'object' },
  },
  allOf: [
    { if: { properties: { toolchain: { const: 'go' } } }, then: { required: ['go'] } },
    { if: { properties: { toolchain: { const: 'gcc' } } }, then: { required: ['sources'] } },
  ],
} as const;
