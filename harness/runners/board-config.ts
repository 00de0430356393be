// Board definitions (a JSON file, or the "boards" section of a matrix config), validated.
import { basename } from 'node:path';
import { loadJsonFile } from '../util/json-file.js';
import type { BoardSpec } from './board.js';

const step = {
  type: 'object',
  additionalProperties: false,
  required: ['argv'],
  properties: {
    argv: { type: 'array', items: { type: 'string' }, minItems: 1 },
    background: { type: 'boolean' },
    timeoutMs: { type: 'integer', minimum: 1, maximum: 2147483647 },
    cwd: { type: 'string' },
  },
};

export const boardSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['console'],
  properties: {
    $schema: { type: 'string' },
    name: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    console: {
      oneOf: [
        {
          type: 'object',
          additionalProperties: false,
          required: ['tcp'],
          properties: { tcp: { type: 'string', pattern: '^(\\[[^\\]]+\\]|[^:]+):(\\d+|\\{port\\})$' } },
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['tty'],
          properties: { tty: { type: 'string' }, baud: { type: 'integer', minimum: 50 } },
        },
      ],
    },
    connect: { enum: ['before-power-on', 'after-power-on'] },
    connectTimeoutMs: { type: 'integer', minimum: 1, maximum: 2147483647 },
    silenceTimeoutMs: { type: 'integer', minimum: 0, maximum: 2147483647 },
    stepTimeoutMs: { type: 'integer', minimum: 1, maximum: 2147483647 },
    commands: {
      type: 'object',
      additionalProperties: false,
      properties: { load: step, 'power-on': step, 'power-off': step },
    },
  },
} as const;

export async function loadBoardFile(path: string): Promise<BoardSpec> {
  const spec = await loadJsonFile<Omit<BoardSpec, 'name'> & { name?: string }>(
    path,
    boardSchema,
    'board file',
    'see "Hardware parity" in README.md',
  );
  return { ...spec, name: spec.name ?? basename(path).replace(/\.json$/, '') };
}
