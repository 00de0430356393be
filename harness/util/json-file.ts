// Loads a JSON file and checks it against a JSON Schema (ajv); every error names file:line:column.
import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import { WbdiffError } from '../errors.js';
import { MiB, readFileBounded } from './bounded-read.js';
import { JsonSyntaxError, parseJsonWithPositions, positionOf, type Position } from './json-locate.js';

const Ajv = AjvModule.default ?? AjvModule;
const ajv = new (Ajv as unknown as typeof AjvModule.default)({ allErrors: true, strict: false });
const compiled = new Map<object, ValidateFunction>();
/** Configs, variants, manifests: far below this; a larger file is a mistake (or /dev/zero). */
const MAX_JSON_BYTES = 64 * MiB;

export async function loadJsonFile<T>(path: string, schema: object, what: string, hint: string): Promise<T> {
  return parseJsonText<T>(await readJsonText(path, what, hint), path, schema, what, hint);
}

/** A JSON file's text, read bounded (for callers that check it in more than one step). */
export async function readJsonText(path: string, what: string, hint: string): Promise<string> {
  return (await readFileBounded(path, { what, maxBytes: MAX_JSON_BYTES, hint })).toString('utf8');
}

export function parseJsonText<T>(text: string, path: string, schema: object, what: string, hint: string): T {
  let parsed: ReturnType<typeof parseJsonWithPositions>;
  try {
    parsed = parseJsonWithPositions(text);
  } catch (error) {
    if (error instanceof JsonSyntaxError) {
      throw new WbdiffError(`malformed JSON in the ${what}: ${error.message}`, {
        where: `${path}:${error.position.line}:${error.position.column}`,
        hint,
      });
    }
    throw error;
  }
  return validateValue<T>(parsed.value, path, schema, what, hint, parsed.positions);
}

/**
 * Checks a value against a schema. With positions (JSON text) errors say file:line:column; without
 * (a value a .ts/.js config exported) they say the file and the JSON pointer.
 */
export function validateValue<T>(
  value: unknown,
  path: string,
  schema: object,
  what: string,
  hint: string,
  positions?: Map<string, Position>,
): T {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(value)) return value as T;
  const place = (pointer: string) => {
    if (!positions) return `${path} at ${pointer || '(top level)'}`;
    const p = positionOf(positions, pointer);
    return `${path}:${p.line}:${p.column}`;
  };
  const all = validate.errors ?? [];
  // Only wrappers left (an entry matching two forms of a oneOf): keep them rather than nothing.
  const useful = all.filter(usefulError);
  const wrappers = all.filter((e) => e.keyword !== 'if');
  const errors = useful.length ? useful : wrappers.length ? wrappers : all;
  const first = errors[0]!;
  const lines = errors.slice(0, 5).map((e) => `${place(e.instancePath)}: ${describe(e)}`);
  throw new WbdiffError(`invalid ${what}: ${describe(first)}${lines.length > 1 ? `\n  ${lines.slice(1).join('\n  ')}` : ''}`, {
    where: place(first.instancePath),
    hint,
  });
}

function usefulError(e: ErrorObject, _i: number, all: ErrorObject[]): boolean {
  // oneOf/anyOf wrappers repeat what their branches said; keep them only if alone.
  return all.length === 1 || (e.keyword !== 'oneOf' && e.keyword !== 'anyOf' && e.keyword !== 'if');
}

function describe(e: ErrorObject): string {
  const where = e.instancePath || '(top level)';
  if (e.keyword === 'additionalProperties')
    return `${where} has an unknown property "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  if (e.keyword === 'enum')
    return `${where} must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  if (e.keyword === 'oneOf' && Array.isArray((e.params as { passingSchemas?: unknown }).passingSchemas))
    return `${where} matches more than one of its allowed forms (e.g. both "kernel" and "elf"): keep one`;
  if (e.keyword === 'required') return `${where} is missing the property "${(e.params as { missingProperty: string }).missingProperty}"`;
  return `${where} ${e.message ?? 'is invalid'}`;
}
