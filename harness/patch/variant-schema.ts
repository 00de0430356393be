// JSON Schema of variant files: the public contract users write against (docs: kernels/README.md,
// and this schema is exported as kernels/variant.schema.json by a test that keeps them in sync).
const loc = {
  type: 'string',
  minLength: 1,
  description:
    'hex address ("0x400c7a60"), symbol ("main.kentry"), symbol+0xOFF, or a symbol others share the name of, as symbol@global, @weak, @local or @0xADDR ("runtime.gcWriteBarrier2@global")',
};
const expect = {
  type: 'string',
  minLength: 1,
  description: 'the original word ("0x94000010") or an instruction pattern ("bl runtime.gcWriteBarrier", "cbnz w0, *")',
};
const note = { type: 'string' };
const match = { enum: ['cbnz', 'cbz', 'b.cond', 'tbz', 'tbnz'] };

const edit = (op: string, required: string[], properties: Record<string, unknown>) => ({
  type: 'object',
  additionalProperties: false,
  required: ['op', ...required],
  properties: { op: { const: op }, expect, note, ...properties },
});

const branchForce = (op: string) => ({
  oneOf: [edit(op, ['at'], { at: loc }), edit(op, ['in', 'match'], { in: loc, match })],
});

export const OPS = ['redirect-calls', 'branch-always', 'branch-never', 'nop', 'call', 'branch', 'word'] as const;

export const variantSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'wbdiff variant file',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'edits'],
  properties: {
    $schema: { type: 'string' },
    name: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    edits: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['op'],
        properties: { op: { enum: [...OPS] } },
        allOf: [
          {
            if: { properties: { op: { const: 'redirect-calls' } } },
            then: edit('redirect-calls', ['from', 'to'], { from: loc, to: loc, in: loc }),
          },
          { if: { properties: { op: { const: 'branch-always' } } }, then: branchForce('branch-always') },
          { if: { properties: { op: { const: 'branch-never' } } }, then: branchForce('branch-never') },
          { if: { properties: { op: { const: 'nop' } } }, then: edit('nop', ['at'], { at: loc }) },
          { if: { properties: { op: { const: 'call' } } }, then: edit('call', ['at', 'to'], { at: loc, to: loc }) },
          { if: { properties: { op: { const: 'branch' } } }, then: edit('branch', ['at', 'to'], { at: loc, to: loc }) },
          {
            if: { properties: { op: { const: 'word' } } },
            then: edit('word', ['at', 'value'], { at: loc, value: { type: 'string', pattern: '^0x[0-9a-fA-F]{1,8}$' } }),
          },
        ],
      },
    },
  },
} as const;
