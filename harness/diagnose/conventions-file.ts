// `--convention` as the user gives it: a Go version, or a JSON file read from disk. The table
// and its rules stay pure in conventions.ts; this is the one place that reads a file.
import { readFile } from 'node:fs/promises';
import { WbdiffError } from '../errors.js';
import { parseJsonText } from '../util/json-file.js';
import { CONVENTION_SHAPE_HINT, conventionForGo, conventionFromSpec, type Convention } from './conventions.js';

export async function loadConventionFile(path: string): Promise<Convention> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new WbdiffError(`cannot read the convention file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      where: path,
      hint: `--convention takes go1.19, go1.23 (any goX.Y) or a JSON file; ${CONVENTION_SHAPE_HINT}`,
    });
  }
  const value = parseJsonText<unknown>(text, path, { type: 'object' }, 'convention file', CONVENTION_SHAPE_HINT);
  return conventionFromSpec(value, path, 'override');
}

/** `--convention` text: "go1.19" / "go1.23.5" / "go<=1.20" / "go>=1.21", else a JSON file path. */
export async function conventionFromOption(text: string): Promise<Convention> {
  const t = text.trim();
  if (t === 'go<=1.20') return conventionForGo('go1.20', 'override');
  if (t === 'go>=1.21') return conventionForGo('go1.21', 'override');
  if (/^go\d+\.\d+/.test(t)) return conventionForGo(t, 'override');
  return loadConventionFile(t);
}
