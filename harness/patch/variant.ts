// Variant files: load, validate (JSON Schema, line-precise errors), hash.
import { MiB, readFileBounded } from '../util/bounded-read.js';
import { sha256 } from '../util/hash.js';
import { parseJsonText } from '../util/json-file.js';
import { variantSchema } from './variant-schema.js';

interface EditBase {
  expect?: string;
  note?: string;
}
export type VariantEdit = EditBase &
  (
    | { op: 'redirect-calls'; from: string; to: string; in?: string }
    | { op: 'branch-always' | 'branch-never'; at: string; in?: undefined; match?: undefined }
    | { op: 'branch-always' | 'branch-never'; at?: undefined; in: string; match: 'cbnz' | 'cbz' | 'b.cond' | 'tbz' | 'tbnz' }
    | { op: 'nop'; at: string }
    | { op: 'call' | 'branch'; at: string; to: string }
    | { op: 'word'; at: string; value: string }
  );

export interface Variant {
  name: string;
  description?: string;
  edits: VariantEdit[];
}

export interface LoadedVariant {
  path: string;
  variant: Variant;
  /** sha256 of the file's bytes: results name the exact variant they ran. */
  hash: string;
}

const HINT = 'see the variant format in kernels/README.md and kernels/variant.schema.json';

export async function loadVariant(path: string): Promise<LoadedVariant> {
  const text = (await readFileBounded(path, { what: 'variant file', maxBytes: 64 * MiB, hint: HINT })).toString('utf8');
  return { path, variant: parseVariant(text, path), hash: sha256(text) };
}

export function parseVariant(text: string, path = '<variant>'): Variant {
  return parseJsonText<Variant>(text, path, variantSchema, 'variant file', HINT);
}
