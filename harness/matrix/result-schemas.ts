// JSON Schemas of a results folder's own files, checked when they are read back (--resume, merge,
// --explain): a file edited by hand or by a hostile job ("verdict": "<script>") is an error naming
// it, never a changed outcome.
const text = { type: 'string' } as const;
const textOrNull = { type: ['string', 'null'] } as const;
const strings = { type: 'object', additionalProperties: { type: 'string' } } as const;
const verdict = { enum: ['completed', 'timeout', 'fault', 'output-limit', 'crash', 'error'] } as const;
const runner = { type: 'string', pattern: '^(qemu|emu|board|replay|board:[A-Za-z0-9_.-]+)$' } as const;

const fault = {
  type: ['object', 'null'],
  required: ['kind', 'pc', 'address', 'access', 'detail'],
  properties: {
    kind: text,
    pc: textOrNull,
    pcSymbol: textOrNull,
    address: textOrNull,
    addressSymbol: textOrNull,
    access: { enum: ['read', 'write', 'fetch', null] },
    esr: textOrNull,
    detail: text,
  },
} as const;

export const runResultSchema = {
  type: 'object',
  required: [
    'runner',
    'cpu',
    'verdict',
    'reason',
    'markers',
    'conflicts',
    'done',
    'poweredOff',
    'fault',
    'serial',
    'serialBytes',
    'durationMs',
    'details',
  ],
  properties: {
    runner,
    cpu: textOrNull,
    verdict,
    reason: text,
    markers: strings,
    conflicts: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'values', 'lines'],
        properties: { id: text, values: { type: 'array', items: text }, lines: { type: 'array', items: { type: 'integer' } } },
      },
    },
    done: { type: 'boolean' },
    poweredOff: { type: 'boolean' },
    fault,
    serial: text,
    serialBytes: { type: 'integer', minimum: 0 },
    durationMs: { type: 'number', minimum: 0 },
    exitStatus: { type: ['integer', 'null'] },
    details: { type: 'object' },
  },
} as const;

const hash = { type: 'string' } as const;

export const cellFileSchema = {
  type: 'object',
  required: ['version', 'target', 'variant', 'runner', 'cpu', 'id', 'subject', 'provenance', 'run'],
  properties: {
    version: { type: 'integer' },
    target: { type: 'string', minLength: 1 },
    variant: textOrNull,
    runner,
    cpu: { type: 'string', minLength: 1 },
    id: text,
    subject: text,
    provenance: {
      type: 'object',
      required: ['elfHash', 'sourceHash', 'variantHashes', 'toolchain'],
      properties: {
        elfHash: hash,
        sourceHash: { anyOf: [hash, { type: 'null' }] },
        variantHashes: { type: 'array', items: hash },
        toolchain: textOrNull,
      },
    },
    run: runResultSchema,
    repeats: {
      type: 'array',
      items: {
        type: 'object',
        required: ['verdict', 'done', 'markers', 'faultPc'],
        properties: { verdict, done: { type: 'boolean' }, markers: strings, faultPc: textOrNull },
      },
    },
  },
} as const;

export const subjectsFileSchema = {
  type: 'object',
  required: ['version', 'subjects', 'diagnoses'],
  properties: {
    version: { type: 'integer' },
    subjects: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['target', 'variant', 'ok'],
        properties: {
          target: text,
          variant: textOrNull,
          ok: { type: 'boolean' },
          error: text,
          elfHash: hash,
          sourceHash: { anyOf: [hash, { type: 'null' }] },
          toolchain: textOrNull,
          sites: { type: 'array' },
          expect: { type: ['object', 'null'] },
        },
      },
    },
    diagnoses: {
      type: 'object',
      additionalProperties: { type: 'object', required: ['verdict'], properties: { verdict: text, findings: { type: 'array' } } },
    },
  },
} as const;

export const runInfoSchema = {
  type: 'object',
  required: ['version', 'runId', 'config'],
  properties: {
    version: { type: 'integer' },
    runId: text,
    config: {
      type: 'object',
      required: ['kernels', 'baseDir'],
      properties: { kernels: { type: 'array', items: { type: 'object' } }, baseDir: text },
    },
    shard: {
      anyOf: [
        { type: 'null' },
        {
          type: 'object',
          required: ['index', 'count'],
          properties: { index: { type: 'integer', minimum: 0 }, count: { type: 'integer', minimum: 1 } },
        },
      ],
    },
  },
} as const;

export const summaryFileSchema = {
  type: 'object',
  required: ['version', 'runId', 'interrupted', 'counts', 'cells', 'subjects', 'diagnoses'],
  properties: {
    version: { type: 'integer' },
    runId: text,
    interrupted: { type: 'boolean' },
    cells: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'target', 'runner', 'cpu', 'verdict', 'outcome', 'markers'],
        properties: { id: text, verdict, markers: strings },
      },
    },
  },
} as const;
