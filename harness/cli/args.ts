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

/** The longest delay a Node timer takes (2^31 - 1 ms, 24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A positive whole number; at most MAX_TIMER_MS, since every count and limit may become a timer. */
export function parsePositiveInt(value: string | undefined, flag: string, max = MAX_TIMER_MS): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new WbdiffError(`${flag} takes a positive whole number, not "${value}"`, { hint: `e.g. ${flag} 5000` });
  if (n > max) {
    throw new WbdiffError(`${flag} ${value} is too large: at most ${max}${max === MAX_TIMER_MS ? ' (2^31 - 1 ms, about 24.8 days: the longest timer Node can set)' : ''}`, { hint: `e.g. ${flag} 5000` });
  }
  return n;
}
