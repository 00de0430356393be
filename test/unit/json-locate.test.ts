import test from 'ava';
import { JsonSyntaxError, parseJsonWithPositions, positionOf } from '../../harness/util/json-locate.js';
import { parseJsonText } from '../../harness/util/json-file.js';
import { WbdiffError } from '../../harness/errors.js';

test('positions of nested values by JSON pointer', (t) => {
  const text = '{\n  "name": "x",\n  "edits": [\n    { "op": "nop" },\n    { "op": "bad" }\n  ]\n}\n';
  const { value, positions } = parseJsonWithPositions(text);
  t.deepEqual(value, JSON.parse(text));
  t.deepEqual(positions.get('/edits/1/op'), { line: 5, column: 13 });
  t.deepEqual(positionOf(positions, '/edits/1/missing'), { line: 5, column: 5 });
});

test('syntax errors carry line and column', (t) => {
  const error = t.throws(() => parseJsonWithPositions('{\n  "a": 1,\n}\n'), { instanceOf: JsonSyntaxError });
  t.is(error!.position.line, 3);
  t.regex(error!.message, /trailing comma/);
});

test('schema errors name file:line:column and the property', (t) => {
  const schema = { type: 'object', required: ['op'], properties: { op: { enum: ['nop', 'word'] } }, additionalProperties: false };
  const error = t.throws(() => parseJsonText('{\n  "op": "jump"\n}', 'v.json', schema, 'variant file', 'see docs'), {
    instanceOf: WbdiffError,
  });
  t.is(error!.where, 'v.json:2:9');
  t.regex(error!.message, /\/op must be one of "nop", "word"/);
});
