// Thin wrapper over node:util parseArgs whose errors say which command and how to get help.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { WbdiffError } from '../errors.js';

export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(command: string, argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new WbdiffError((error as Error).message, { where: `wbdiff ${command}`, hint: 'see wbdiff --help' });
  }
}

export function parsePositiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new WbdiffError(`${flag} takes a positive whole number, not "${value}"`, { hint: `e.g. ${flag} 5000` });
  return n;
}
