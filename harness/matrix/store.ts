// The results folder of one matrix run: cells/<id>.json as each cell finishes, run.json (what
// ran, with which tools), summary.json (the classified whole). Every file is written atomically.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WbdiffError } from '../errors.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { cellFileName, RESULT_FORMAT_VERSION, type CellResult } from './cells.js';
import type { MatrixSummary, SubjectsFile } from './summarize.js';

export class ResultsStore {
  constructor(readonly dir: string) {}

  async writeCell(cell: CellResult): Promise<void> {
    await writeJsonAtomic(join(this.dir, 'cells', cellFileName(cell)), { version: RESULT_FORMAT_VERSION, ...cell });
  }

  async readCells(): Promise<CellResult[]> {
    const folder = join(this.dir, 'cells');
    if (!existsSync(folder)) return [];
    const out: CellResult[] = [];
    for (const name of (await readdir(folder)).filter((n) => n.endsWith('.json')).sort()) {
      const doc = JSON.parse(await readFile(join(folder, name), 'utf8')) as CellResult & { version: number };
      if (doc.version !== RESULT_FORMAT_VERSION) {
        throw new WbdiffError(`result format version ${doc.version} is not ${RESULT_FORMAT_VERSION}`, { where: join(folder, name), hint: 'results from another wbdiff version cannot be resumed or merged' });
      }
      out.push(doc);
    }
    return out;
  }

  writeRunInfo(info: object): Promise<void> {
    return writeJsonAtomic(join(this.dir, 'run.json'), { version: RESULT_FORMAT_VERSION, ...info });
  }

  async readRunInfo<T>(): Promise<T> {
    const path = join(this.dir, 'run.json');
    if (!existsSync(path)) throw new WbdiffError('no run.json here: not a wbdiff results folder', { where: this.dir });
    return JSON.parse(await readFile(path, 'utf8')) as T;
  }

  writeSubjects(subjects: SubjectsFile): Promise<void> {
    return writeJsonAtomic(join(this.dir, 'subjects.json'), subjects);
  }

  async readSubjects(): Promise<SubjectsFile> {
    const path = join(this.dir, 'subjects.json');
    if (!existsSync(path)) return { version: RESULT_FORMAT_VERSION, subjects: {}, diagnoses: {} };
    return JSON.parse(await readFile(path, 'utf8')) as SubjectsFile;
  }

  async readSummary(): Promise<MatrixSummary> {
    const path = join(this.dir, 'summary.json');
    if (!existsSync(path)) throw new WbdiffError('no summary.json here: not a finished wbdiff matrix run', { where: this.dir, hint: 'run wbdiff matrix, or --resume an interrupted run' });
    return JSON.parse(await readFile(path, 'utf8')) as MatrixSummary;
  }

  writeSummary(summary: object): Promise<void> {
    return writeJsonAtomic(join(this.dir, 'summary.json'), summary);
  }
}
