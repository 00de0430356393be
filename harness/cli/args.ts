// Thin wrapper over node:util parseArgs: `--help` prints the command's help (generated from the
// same option table), and a parse error names the flag, suggests the closest one and says how to
// get help.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { HelpRequested, WbdiffError } from '../errors.js';
import { didYouMean } from '../util/suggest.js';
import { formatCommandHelp, wantsHelp } from './help.js';

export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(command: string, argv: string[], options: T) {
  if (wantsHelp(argv)) throw new HelpRequested(formatCommandHelp(command, options));
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new WbdiffError(describeParseError(error as Error & { code?: string }, options), { hint: `see wbdiff ${command} --help` });
  }
}

/** node's parseArgs messages, said shorter and with a did-you-mean. */
export function describeParseError(error: Error & { code?: string }, options: NonNullable<ParseArgsConfig['options']>): string {
  const unknown = /^Unknown option '(-{1,2})([^']+)'/.exec(error.message);
  if (unknown) {
    const flags = Object.keys(options);
    return `unknown option ${unknown[1]}${unknown[2]}${didYouMean(unknown[2]!, flags, (s) => `--${s}`)}`;
  }
  const missing = /^Option '(?:-\w, )?--([^ ]+) <value>' argument missing/.exec(error.message);
  if (missing) return `--${missing[1]} needs a value`;
  return error.message;
}

/**
 * The one marker syntax of bisect and check: "T2=Y", or "T2" with the value from --want.
 * The value is undefined when neither says it (bisect then wants the unpatched kernel's value).
 */
export function parseMarkerSpec(text: string, want: string | undefined): { id: string; value: string | undefined } {
  const match = /^([^=\s]+)(?:=(.+))?$/.exec(text);
  if (!match)
    throw new WbdiffError(`--marker takes ID or ID=VALUE, not "${text}"`, { hint: 'e.g. --marker T2=Y (or --marker T2 --want Y)' });
  const value = match[2];
  if (value !== undefined && want !== undefined && value !== want)
    throw new WbdiffError(`--marker ${text} and --want ${want} disagree`, { hint: `say the value once: --marker ${match[1]}=${want}` });
  return { id: match[1]!, value: value ?? want };
}

/** The longest delay a Node timer takes (2^31 - 1 ms, 24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A positive whole number; at most MAX_TIMER_MS, since every count and limit may become a timer. */
export function parsePositiveInt(value: string | undefined, flag: string, max = MAX_TIMER_MS): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new WbdiffError(`${flag} takes a positive whole number, not "${value}"`, { hint: `e.g. ${flag} 5000` });
  if (n > max) {
    throw new WbdiffError(
      `${flag} ${value} is too large: at most ${max}${max === MAX_TIMER_MS ? ' (2^31 - 1 ms, about 24.8 days: the longest timer Node can set)' : ''}`,
      { hint: `e.g. ${flag} 5000` },
    );
  }
  return n;
}
