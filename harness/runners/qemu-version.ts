// QEMU's version line ("QEMU emulator version 7.2.x ..."), asked once per binary per process: the
// DTB cache key, the suite's environ file and the run's recorded tool versions all use it.
import { execa } from 'execa';
import { MissingDependencyError } from '../errors.js';
import { QEMU_BINARY } from './qemu-args.js';

const versionLines = new Map<string, Promise<string>>();

/** The first line of `qemu --version`; a binary that cannot say it is a missing dependency. */
export function qemuVersionLine(file: string = process.env['WBDIFF_QEMU'] ?? QEMU_BINARY): Promise<string> {
  let line = versionLines.get(file);
  if (!line) {
    line = execa(file, ['--version'], { reject: false }).then((version) => {
      const first = String(version.stdout ?? '').split('\n')[0] ?? '';
      if (version.exitCode !== 0 || !first.startsWith('QEMU'))
        throw new MissingDependencyError(`${file} --version did not print QEMU's version`, 'qemu-system-arm', {
          alternative: 'set WBDIFF_QEMU to a qemu-system-aarch64',
        });
      return first;
    });
    versionLines.set(file, line);
    // A failure is not remembered: the next caller asks again (and gets its own error).
    line.catch(() => versionLines.delete(file));
  }
  return line;
}
