// User regexes (a kernel's result patterns) run over up to a whole serial capture: a pattern such
// as (a*)*b backtracks exponentially and would hang a run or a matrix. They are compiled for V8's
// linear-time engine (the `l` flag: no backtracking, time linear in the text). That engine takes
// no backreferences, lookarounds, or the i/u flags; such a pattern is accepted only if its shape
// cannot backtrack exponentially (no repeated group that itself repeats or alternates).
import v8 from 'node:v8';

// Enables the `l` flag only; no other regex changes behaviour. Process-wide, idempotent.
v8.setFlagsFromString('--enable-experimental-regexp-engine');

const LINEAR_SUPPORTED = /^[gmsy]*$/;

export class UnsafeRegexError extends Error {}

/** A RegExp safe to run on any input; throws UnsafeRegexError (or SyntaxError) with the reason. */
export function safeRegExp(source: string, flags = ''): RegExp {
  const plain = new RegExp(source, flags); // a SyntaxError names what is wrong with the pattern
  if (LINEAR_SUPPORTED.test(flags)) {
    try {
      return new RegExp(source, `${flags}l`);
    } catch {
      // a backreference or a lookaround: judged by its shape below
    }
  }
  const problem = backtrackingRisk(source);
  if (problem) throw new UnsafeRegexError(problem);
  return plain;
}

/**
 * Why a pattern may backtrack exponentially, or null: a quantified group containing a quantifier
 * or an alternation ((a+)+, (a|ab)*), or a quantified backreference. Conservative, and only for
 * patterns the linear engine cannot take.
 */
export function backtrackingRisk(source: string): string | null {
  // Per open group: does it contain a quantifier or a "|" (directly or in a nested group)?
  const stack: { risky: boolean; start: number }[] = [];
  let lastGroup: { risky: boolean; text: string } | null = null;
  let lastWasBackref = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    const quantifier = ch === '*' || ch === '+' || ch === '?' || (ch === '{' && /^\{\d+(,\d*)?\}/.test(source.slice(i)));
    if (quantifier) {
      const repeats = ch !== '?' && !/^\{(\d+)(,\1)?\}/.test(source.slice(i)) && !/^\{[01](,1?)?\}/.test(source.slice(i));
      if (repeats && lastGroup?.risky) {
        return `the group ${lastGroup.text} is repeated and itself repeats or alternates: such a pattern can take exponential time on a long line`;
      }
      if (repeats && lastWasBackref) return 'a repeated backreference can take exponential time on a long line';
      const variable = !/^\{(\d+)(,\1)?\}/.test(source.slice(i)); // {3} is not a choice
      if (variable && stack.length) stack[stack.length - 1]!.risky = true;
      if (ch === '{') i = source.indexOf('}', i);
      else if (source[i + 1] === '?') i += 1; // lazy
      lastGroup = null;
      lastWasBackref = false;
      continue;
    }
    lastGroup = null;
    lastWasBackref = false;
    if (ch === '\\') {
      lastWasBackref = /^\\(?:[1-9]|k<)/.test(source.slice(i));
      if (source.startsWith('k<', i + 1)) i = Math.max(i + 1, source.indexOf('>', i));
      else i += 1;
    } else if (ch === '[') {
      // a class: up to the first unescaped "]" (a "]" first in the class is literal)
      let j = i + 1;
      if (source[j] === '^') j += 1;
      if (source[j] === ']') j += 1;
      while (j < source.length && source[j] !== ']') j += source[j] === '\\' ? 2 : 1;
      i = j;
    } else if (ch === '(') {
      stack.push({ risky: false, start: i });
    } else if (ch === ')') {
      const group = stack.pop();
      if (group) {
        lastGroup = { risky: group.risky, text: source.slice(group.start, i + 1) };
        if (group.risky && stack.length) stack[stack.length - 1]!.risky = true;
      }
    } else if (ch === '|' && stack.length) {
      stack[stack.length - 1]!.risky = true;
    }
  }
  return null;
}
