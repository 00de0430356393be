// Thin wrapper over node:util parseArgs whose errors say which command and how to get help.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { WbdiffError } from '../errors.js';
import { didYouMean } from '../util/suggest.js';

export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(command: string, argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    const unknown = /Unknown option '(--?[^']+)'/.exec((error as Error).message)?.[1];
    const suggestion = unknown ? didYouMean(unknown, Object.keys(options).map((o) => `--${o}`)) : '';
    // The command's name is printed by cli/index.ts; node's own text about "--" does not help here.
    const message = unknown ? `unknown option ${unknown}` : (error as Error).message;
    throw new WbdiffError(message, { hint: `${suggestion}see wbdiff ${command} in wbdiff --help` });
  }
}

/**
 * The one marker syntax of bisect and check: "T2=Y", or "T2" with the value from --want.
 * The value is undefined when neither says it (bisect then wants the unpatched kernel's value).
 */
export function parseMarkerSpec(text: string, want: string | undefined): { id: string; value: string | undefined } {
  const match = /^([^=\s]+)(?:=(.+))?$/.exec(text);
  if (!match) throw new WbdiffError(`--marker takes ID or ID=VALUE, not "${text}"`, { hint: 'e.g. --marker T2=Y (or --marker T2 --want Y)' });
  const value = match[2];
  if (value !== undefined && want !== undefined && value !== want) throw new WbdiffError(`--marker ${text} and --want ${want} disagree`, { hint: `say the value once: --marker ${match[1]}=${want}` });
  return { id: match[1]!, value: value ?? want };
}

export function parsePositiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new WbdiffError(`${flag} takes a positive whole number, not "${value}"`, { hint: `e.g. ${flag} 5000` });
  return n;
}
