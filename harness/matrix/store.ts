// The results folder of one matrix run: cells/<id>.json as each cell finishes, run.json (what
// ran, with which tools), summary.json (the classified whole). Every file is written atomically,
// read back against its schema (a corrupt or edited file is named, with what to do), and the
// folder is locked while a run writes it: two runs never mix their files.
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { WbdiffError } from '../errors.js';
import { writeError, writeJsonAtomic } from '../util/atomic.js';
import { loadJsonFile, parseJsonText, readJsonText } from '../util/json-file.js';
import { cellFileName, cellId, RESULT_FORMAT_VERSION, type CellResult } from './cells.js';
import { cellFileSchema, runInfoSchema, subjectsFileSchema, summaryFileSchema } from './result-schemas.js';
import type { MatrixSummary, SubjectsFile } from './summarize.js';

export const LOCK_FILE = '.wbdiff.lock';

export interface StoreLock {
  release(): Promise<void>;
}

export class ResultsStore {
  constructor(readonly dir: string) {}

  /**
   * Claims the folder for this process until release(): a second run writing into it (same
   * --out, a --resume while it runs, a merge into it) is refused. A lock left by a process that
   * no longer exists (SIGKILL, power cut) is taken over.
   */
  async lock(): Promise<StoreLock> {
    const path = join(this.dir, LOCK_FILE);
    const mine = `${JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString() })}\n`;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const handle = await open(path, 'wx');
        await handle.writeFile(mine);
        await handle.close();
        const onExit = () => {
          try {
            if (readFileSync(path, 'utf8') === mine) unlinkSync(path);
          } catch {
            // gone already
          }
        };
        process.once('exit', onExit);
        return {
          release: async () => {
            process.removeListener('exit', onExit);
            onExit();
          },
        };
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          await mkdir(this.dir, { recursive: true }).catch((e: unknown) => {
            throw writeError(this.dir, e);
          });
          continue;
        }
        if (code !== 'EEXIST') throw writeError(path, error);
      }
      const holder = await readLock(path);
      if (holder && holder.host === hostname() && processAlive(holder.pid) && holder.pid !== process.pid) {
        throw new WbdiffError(`the results folder is in use by another wbdiff (pid ${holder.pid}, since ${holder.startedAt})`, {
          where: this.dir,
          hint: 'give this run its own --out folder, or wait for that one to finish',
        });
      }
      if (holder && holder.host !== hostname()) {
        throw new WbdiffError(
          `the results folder is locked by wbdiff on host ${holder.host} (pid ${holder.pid}, since ${holder.startedAt})`,
          {
            where: this.dir,
            hint: `if no run is writing it any more, delete ${path}`,
          },
        );
      }
      await rm(path, { force: true }); // stale: its process is gone
    }
    throw new WbdiffError('could not lock the results folder', { where: this.dir, hint: `delete ${path} if no wbdiff is writing there` });
  }

  async writeCell(cell: CellResult): Promise<void> {
    await writeJsonAtomic(join(this.dir, 'cells', cellFileName(cell)), { version: RESULT_FORMAT_VERSION, ...cell });
  }

  async readCells(): Promise<CellResult[]> {
    const folder = join(this.dir, 'cells');
    if (!existsSync(folder)) return [];
    const out: CellResult[] = [];
    for (const name of (await readdir(folder)).filter((n) => n.endsWith('.json')).sort()) {
      const path = join(folder, name);
      const rerun = `it is not a cell file wbdiff wrote (corrupt or edited): delete it and its cell runs again with  rm '${path}' && wbdiff matrix --resume ${this.dir}`;
      // Read once; the version is checked before the schema, so an old format is named as such.
      const text = await readJsonText(path, 'cell file', rerun);
      const doc = parseJsonText<CellResult & { version: number }>(text, path, { type: 'object' }, 'cell file', rerun);
      if (doc.version !== RESULT_FORMAT_VERSION) {
        throw new WbdiffError(`result format version ${doc.version} is not ${RESULT_FORMAT_VERSION}`, {
          where: path,
          hint: 'results from another wbdiff version cannot be resumed or merged',
        });
      }
      parseJsonText(text, path, cellFileSchema, 'cell file', rerun);
      if (doc.id !== cellId(doc) || name !== cellFileName(doc)) {
        throw new WbdiffError(
          `the cell file says it is cell "${doc.id}", which is not what its fields (${cellId(doc)}) and its file name say`,
          { where: path, hint: rerun },
        );
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
    return this.readJson<T>(
      path,
      runInfoSchema,
      'run.json',
      "it holds the run's config and is not what wbdiff wrote (corrupt or edited): start a new run (wbdiff matrix) instead of resuming or merging this one",
    );
  }

  writeSubjects(subjects: SubjectsFile): Promise<void> {
    return writeJsonAtomic(join(this.dir, 'subjects.json'), subjects);
  }

  async readSubjects(): Promise<SubjectsFile> {
    const path = join(this.dir, 'subjects.json');
    if (!existsSync(path)) return { version: RESULT_FORMAT_VERSION, subjects: {}, diagnoses: {} };
    return this.readJson<SubjectsFile>(
      path,
      subjectsFileSchema,
      'subjects.json',
      `it is not what wbdiff wrote (corrupt or edited): delete it and  wbdiff matrix --resume ${this.dir}  makes it again`,
    );
  }

  async readSummary(): Promise<MatrixSummary> {
    const path = join(this.dir, 'summary.json');
    if (!existsSync(this.dir))
      throw new WbdiffError('no such results folder', {
        where: this.dir,
        hint: 'give a folder written by wbdiff matrix (results/<run-id>)',
      });
    if (!existsSync(path))
      throw new WbdiffError('no summary.json here: not a finished wbdiff matrix run', {
        where: this.dir,
        hint: 'run wbdiff matrix, or --resume an interrupted run',
      });
    return this.readJson<MatrixSummary>(
      path,
      summaryFileSchema,
      'summary.json',
      `it is not what wbdiff wrote (corrupt or edited): wbdiff matrix --resume ${this.dir} writes it again`,
    );
  }

  writeSummary(summary: object): Promise<void> {
    return writeJsonAtomic(join(this.dir, 'summary.json'), summary);
  }

  private readJson<T>(path: string, schema: object, what: string, hint: string): Promise<T> {
    return loadJsonFile<T>(path, schema, what, hint);
  }
}

async function readLock(path: string): Promise<{ pid: number; host: string; startedAt: string } | null> {
  try {
    const doc = JSON.parse(await readFile(path, 'utf8')) as { pid?: unknown; host?: unknown; startedAt?: unknown };
    return typeof doc.pid === 'number' && typeof doc.host === 'string'
      ? { pid: doc.pid, host: doc.host, startedAt: String(doc.startedAt) }
      : null;
  } catch {
    return null;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
