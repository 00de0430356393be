// JSON with positions: parse text and know the line:column of every value by its JSON pointer,
// so a schema error can say "variant.json:12:15: /edits/2/op must be one of ...".

export interface Position {
  line: number;
  column: number;
}

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: Position,
  ) {
    super(message);
  }
}

/** Parses JSON and returns the value with a pointer -> position map ("" is the root). */
/** Deeper than any config, variant or manifest needs; deeper is an error, not a stack overflow. */
export const MAX_DEPTH = 256;

export function parseJsonWithPositions(text: string): { value: unknown; positions: Map<string, Position> } {
  const positions = new Map<string, Position>();
  let i = 0;
  const lineStarts = [0];
  for (let k = 0; k < text.length; k++) if (text[k] === '\n') lineStarts.push(k + 1);
  const pos = (offset: number): Position => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - lineStarts[lo]! + 1 };
  };
  const fail = (what: string): never => {
    throw new JsonSyntaxError(what, pos(Math.min(i, text.length)));
  };
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const str = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      if (text[i] === '\n') fail('unterminated string');
      i++;
    }
    if (i >= text.length) {
      i = start;
      fail('unterminated string');
    }
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      i = start;
      return fail('bad escape in string');
    }
  };
  // Recursion is bounded: 20,000 nested "[" would otherwise overflow the call stack.
  let depth = 0;
  const value = (pointer: string): unknown => {
    ws();
    positions.set(pointer, pos(i));
    const c = text[i];
    if ((c === '{' || c === '[') && ++depth > MAX_DEPTH) fail(`nested more than ${MAX_DEPTH} levels deep`);
    try {
      return container(c, pointer);
    } finally {
      if (c === '{' || c === '[') depth--;
    }
  };
  const container = (c: string | undefined, pointer: string): unknown => {
    if (c === '{') {
      i++;
      const out: Record<string, unknown> = {};
      ws();
      if (text[i] === '}') {
        i++;
        return out;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(text[i] === '}' ? 'trailing comma before }' : 'expected a "quoted" property name');
        const key = str();
        ws();
        if (text[i] !== ':') fail(`expected ":" after "${key}"`);
        i++;
        out[key] = value(`${pointer}/${escapePointer(key)}`);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return out;
        }
        fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const out: unknown[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return out;
      }
      for (;;) {
        out.push(value(`${pointer}/${out.length}`));
        ws();
        if (text[i] === ',') {
          i++;
          ws();
          if (text[i] === ']') fail('trailing comma before ]');
          continue;
        }
        if (text[i] === ']') {
          i++;
          return out;
        }
        fail('expected "," or "]"');
      }
    }
    if (c === '"') return str();
    const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 64));
    if (!m) fail(c === undefined ? 'unexpected end of file' : `unexpected character ${JSON.stringify(c)}`);
    i += m![0].length;
    return JSON.parse(m![0]);
  };
  const result = value('');
  ws();
  if (i < text.length) fail('unexpected text after the JSON value');
  return { value: result, positions };
}

export function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The position of pointer, or of its nearest ancestor that has one. */
export function positionOf(positions: Map<string, Position>, pointer: string): Position {
  let p = pointer;
  for (;;) {
    const found = positions.get(p);
    if (found) return found;
    if (p === '') return { line: 1, column: 1 };
    p = p.slice(0, p.lastIndexOf('/'));
  }
}
