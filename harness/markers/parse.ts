// Serial output -> markers. Pure: bytes in, a report out. Used by every runner, and by `replay`.
import { Parser as TapParser } from 'tap-parser';
import type { ResultPattern } from '../runners/types.js';
import { decodeSerial } from './decode.js';
import { safeRegExp } from '../util/safe-regex.js';

export interface MarkerConflict {
  id: string;
  /** Every distinct value seen, in order. */
  values: string[];
  /** 1-based serial line numbers of every occurrence. */
  lines: number[];
}

export interface TapSummary {
  plan: { start: number; end: number } | null;
  count: number;
  pass: number;
  fail: number;
  skip: number;
  todo: number;
  ok: boolean;
}

export interface MarkerReport {
  /** id -> value ("Y", "N", "SKIP", "TODO", a custom result). A conflicted id holds "Y/N". */
  markers: Record<string, string>;
  conflicts: MarkerConflict[];
  done: boolean;
  /** The serial text, decoded for people (see decodeSerial). */
  serial: string;
  tap: TapSummary | null;
  /** The first exit status a result pattern's `status` group gave (e.g. kvm-unit-tests' EXIT: STATUS=n). */
  exitStatus: number | null;
}

export interface ParseOptions {
  resultPatterns?: readonly ResultPattern[];
}

/** `T<n> Y|N`, anywhere on a line but not glued to a word ("PT1 Y" and "T1 Yes" do not count). */
const T_MARKER = /(?<![A-Za-z0-9_])T(\d+)[ \t]+([YN])(?![A-Za-z0-9_])/g;
/** DONE as the last word of a line, alone or after a prefix such as "noise> " or "[ 0.1] ". */
export const DONE_LINE = /(?:^|[\s>\]:|])DONE$/;
const TAP_START = /^(?:TAP version \d+|\d+\.\.\d+|(?:not )?ok\b)/;

export function splitLines(text: string): string[] {
  const lines = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function parseMarkers(serial: Uint8Array | string, options: ParseOptions = {}): MarkerReport {
  const text = typeof serial === 'string' ? serial : decodeSerial(serial);
  // Markers are looked for in a copy where undecodable bytes are blanks; lines stay aligned.
  const lines = splitLines(typeof serial === 'string' ? serial : decodeSerial(serial, { invalid: 'space' }));
  const seen = new Map<string, { values: string[]; lines: number[] }>();
  const record = (id: string, value: string, line: number) => {
    const entry = seen.get(id) ?? { values: [], lines: [] };
    if (!entry.values.includes(value)) entry.values.push(value);
    entry.lines.push(line);
    seen.set(id, entry);
  };
  const patterns = (options.resultPatterns ?? []).map(compilePattern);

  let done = false;
  let exitStatus: number | null = null;
  lines.forEach((line, index) => {
    const lineNo = index + 1;
    for (const match of line.matchAll(T_MARKER)) record(`T${match[1]}`, match[2]!, lineNo);
    // The first pattern that matches a line reads it: presets order specific forms first.
    for (const { regex, pattern } of patterns) {
      let matched = false;
      for (const match of line.matchAll(regex)) {
        if (match[0] === '') continue;
        matched = true;
        const status = match.groups?.['status'];
        if (status !== undefined) {
          if (exitStatus === null) exitStatus = decodeStatus(Number(status), pattern.statusEncoding);
          continue;
        }
        const id = pattern.id ?? match.groups?.['id'];
        const result = match.groups?.['result'] ?? match[0];
        if (id !== undefined) record(id, pattern.map?.[result] ?? pattern.map?.['*'] ?? result, lineNo);
      }
      if (matched) break;
    }
    if (DONE_LINE.test(line.trim())) done = true;
  });

  const tap = parseTap(lines, record);

  const markers: Record<string, string> = {};
  const conflicts: MarkerConflict[] = [];
  for (const [id, entry] of seen) {
    markers[id] = entry.values.join('/');
    if (entry.values.length > 1) conflicts.push({ id, values: entry.values, lines: entry.lines });
  }
  return { markers, conflicts, done, serial: text, tap, exitStatus };
}

/** kvm-unit-tests prints (code << 1) | 1; arm/run reports 1 as 0 and any other value as it is. */
export function decodeStatus(value: number, encoding: ResultPattern['statusEncoding']): number {
  return encoding === 'testdev' && value === 1 ? 0 : value;
}

/** TAP points become markers "tap<N>" = Y | N | SKIP | TODO; parsed by tap-parser from the first TAP line. */
function parseTap(lines: string[], record: (id: string, value: string, line: number) => void): TapSummary | null {
  const start = lines.findIndex((line) => TAP_START.test(line));
  if (start < 0) return null;
  const parser = new TapParser();
  let summary: TapSummary | null = null;
  let assertIndex = 0;
  const assertLines = lines.map((line, i) => (i >= start && /^(?:not )?ok\b/.test(line) ? i + 1 : 0)).filter((n) => n > 0);
  const counts = { Y: 0, N: 0, SKIP: 0, TODO: 0 };
  parser.on('assert', (point: { id: number; ok: boolean; todo: string | boolean; skip: string | boolean }) => {
    const value = point.skip !== false ? 'SKIP' : point.todo !== false ? 'TODO' : point.ok ? 'Y' : 'N';
    counts[value] += 1;
    record(`tap${point.id}`, value, assertLines[assertIndex++] ?? 0);
  });
  parser.on('complete', (result: { plan: { start: number; end: number } | null; count: number; ok: boolean }) => {
    const plan = result.plan && result.plan.end >= result.plan.start ? { start: result.plan.start, end: result.plan.end } : null;
    // Counted from the points: a failing TODO is a TODO, not a failure.
    summary = { plan, count: result.count, pass: counts.Y, fail: counts.N, skip: counts.SKIP, todo: counts.TODO, ok: result.ok };
  });
  parser.end(`${lines.slice(start).join('\n')}\n`);
  return summary;
}

function compilePattern(pattern: ResultPattern): { regex: RegExp; pattern: ResultPattern } {
  const flags = new Set((pattern.flags ?? '').split(''));
  flags.add('g');
  return { regex: safeRegExp(pattern.regex, [...flags].join('')), pattern };
}

/** Checks a result pattern before a run, so a typo fails the manifest load, not the parse. */
export function validatePattern(pattern: ResultPattern): string | null {
  try {
    const regex = safeRegExp(pattern.regex, pattern.flags ?? '');
    void regex;
    if (/\(\?<status>/.test(pattern.regex)) return null;
    if (pattern.id === undefined && !/\(\?<id>/.test(pattern.regex))
      return 'the regex needs a named group (?<id>...), or the pattern a fixed "id"';
    if (pattern.id === undefined && !/\(\?<result>/.test(pattern.regex) && !pattern.map)
      return 'the regex needs a named group (?<result>...), or the pattern a value "map"';
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}
