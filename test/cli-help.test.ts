// `wbdiff <command> --help` for every command: exit 0, generated from the parser's own option
// table (no flag without a description), with usage and an example; mistyped flags get a
// did-you-mean and the command's help hint.
import test from 'ava';
import { COMMAND_HELP } from '../harness/cli/help.js';
import { wbdiff } from './helpers/cli.js';

for (const command of Object.keys(COMMAND_HELP)) {
  test(`wbdiff ${command} --help prints its usage, every option described, and an example`, async (t) => {
    const result = await wbdiff([command, '--help']);
    t.is(result.exitCode, 0, result.stderr);
    t.is(result.stderr, '');
    t.true(result.stdout.startsWith(`Usage: wbdiff ${command}`), result.stdout);
    t.false(result.stdout.includes('(undocumented)'), result.stdout);
    t.regex(result.stdout, /\nOptions:\n/);
    t.regex(result.stdout, /\nExamples:\n {2}\S/);
    t.regex(result.stdout, /--help/);
  });
}

test('-h works too, and check --help exits 0 (not 128, which would stop git bisect run)', async (t) => {
  const check = await wbdiff(['check', '-h']);
  t.is(check.exitCode, 0, check.stderr);
  t.true(check.stdout.includes('--marker ID=VALUE'));
});

test('a mistyped option names the flag once, suggests the right one and exits 2', async (t) => {
  const result = await wbdiff(['run', 'hello', '--runer', 'qemu']);
  t.is(result.exitCode, 2);
  t.regex(result.stderr, /^wbdiff run: unknown option --runer \(did you mean --runner\?\)\n {2}hint: see wbdiff run --help\n?$/);
});

test('wbdiff --help lists every command from the same help table, exit 0; no command is exit 2', async (t) => {
  const result = await wbdiff(['--help']);
  t.is(result.exitCode, 0);
  for (const [command, help] of Object.entries(COMMAND_HELP)) {
    for (const usage of help.usage) t.true(result.stdout.includes(`  wbdiff ${usage}\n`), command);
  }
  t.regex(result.stdout, /\n {2}--cpu MODEL {2}--smp N {2}--memory MIB/);
  t.regex(result.stdout, /125 \/ 128 {2}check only \(git bisect run\)/);
  const none = await wbdiff([]);
  t.is(none.exitCode, 2);
});
