// The results folder of one matrix run: cells/<id>.json as each cell finishes, run.json (what
// ran, with which tools), subjects.json (the bytes and diagnoses), summary.json (the classified
// whole). The only reader and writer of those files: every one carries the result format version
// and is written atomically; read back, the version is checked first (a newer one is refused with
// what to do), then its schema (a corrupt or edited file is named, with what to do, never a stack
// trace). The folder is locked while a run writes it: two runs never mix their files.
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { WbdiffError } from '../errors.js';
import { writeError, writeJsonAtomic } from '../util/atomic.js';
import { parseJsonText, readJsonText } from '../util/json-file.js';
import { cellFileName, cellId, RESULT_FORMAT_VERSION, type CellResult } from './cells.js';
import { cellFileSchema, runInfoSchema, subjectsFileSchema, summaryFileSchema } from './result-schemas.js';
import type { MatrixConfig } from './config.js';
import type { MatrixSummary, SubjectsFile } from './summarize.js';

/** run.json: what ran (the config, shard, repeat, options), when, with which tools. */
export interface MatrixRunInfo {
  runId: string;
  startedAt: string;
  /** argv of the run (absent for a merged run). */
  command?: string[] | null;
  config: MatrixConfig;
  matrixKey: string;
  shard: { index: number; count: number } | null;
  repeat?: number;
  options?: Record<string, unknown>;
  /** The shard folders a merged run was made from. */
  mergedFrom?: string[];
  versions: Record<string, unknown> | null;
}

/** A run id: the start time as a file name ("2026-12-01T08-00-00Z"). */
export function newRunId(date = new Date()): string {
  return date
    .toISOString()
    .replace(/[:]/g, '-')
    .replace(/\.\d+Z$/, 'Z');
}

/** Refuses a file of another result format: a newer one needs a newer wbdiff, an older one a new run. */
export function checkResultVersion(doc: { version?: unknown }, path: string, what: string): void {
  const version = doc.version;
  if (version === RESULT_FORMAT_VERSION) return;
  if (typeof version === 'number' && Number.isInteger(version) && version > RESULT_FORMAT_VERSION)
    throw new WbdiffError(
      `the ${what} is of result format ${version}, written by a newer wbdiff; this one reads format ${RESULT_FORMAT_VERSION}`,
      { where: path, hint: 'read it with the wbdiff that wrote it (or a newer one), or make the run again with this one' },
    );
  if (typeof version === 'number' && Number.isInteger(version) && version >= 1)
    throw new WbdiffError(
      `the ${what} is of result format ${version}, written by an older wbdiff; this one reads format ${RESULT_FORMAT_VERSION}`,
      { where: path, hint: 'make the run again with this wbdiff (wbdiff matrix)' },
    );
  throw new WbdiffError(`the ${what} has no result format version: not a file wbdiff wrote`, {
    where: path,
    hint: 'give a results folder written by wbdiff matrix',
  });
}

export const LOCK_FILE = '.wbdiff.lock';

export interface StoreLock {
  release(): Promise<void>;
}

export class ResultsStore {
  constructor(readonly dir: string) {}

  /** A new run's folder under `root`, named by the time and claimed atomically (two in one second get -2, -3...). */
  static async claimRunDir(root: string, date = new Date()): Promise<string> {
    await mkdir(root, { recursive: true }).catch((e: unknown) => {
      throw writeError(root, e);
    });
    const base = join(root, newRunId(date));
    for (let n = 1; ; n++) {
      const dir = n === 1 ? base : `${base}-${n}`;
      try {
        await mkdir(dir);
        return dir;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw writeError(dir, error);
      }
    }
  }

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
      const doc = await readResultFile<CellResult>(path, cellFileSchema, 'cell file', rerun);
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

  /** One cell's file, as the summary names it; null when it is missing (an interrupted run). */
  async readCell(cell: Pick<CellResult, 'id' | 'target' | 'variant' | 'runner' | 'cpu'>): Promise<CellResult | null> {
    const path = join(this.dir, 'cells', cellFileName(cell));
    if (!existsSync(path)) return null;
    const rerun = `it is not a cell file wbdiff wrote (corrupt or edited): delete it and its cell runs again with  rm '${path}' && wbdiff matrix --resume ${this.dir}`;
    return readResultFile<CellResult>(path, cellFileSchema, 'cell file', rerun);
  }

  writeRunInfo(info: MatrixRunInfo): Promise<void> {
    return writeJsonAtomic(join(this.dir, 'run.json'), { version: RESULT_FORMAT_VERSION, ...info });
  }

  async readRunInfo(): Promise<MatrixRunInfo> {
    const path = join(this.dir, 'run.json');
    if (!existsSync(path)) throw new WbdiffError('no run.json here: not a wbdiff results folder', { where: this.dir });
    return readResultFile<MatrixRunInfo>(
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
    return readResultFile<SubjectsFile>(
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
    return readSummaryFile(path, `it is not what wbdiff wrote (corrupt or edited): wbdiff matrix --resume ${this.dir} writes it again`);
  }

  /**
   * For looking over other runs (baseline search, trend): the summary, or null when this folder
   * holds no summary this wbdiff can read (missing, corrupt, another result format). run.json
   * comes with it when readable.
   */
  async peekRun(): Promise<{ summary: MatrixSummary; info: MatrixRunInfo | null } | null> {
    const summary = await this.readSummary().catch(() => null);
    if (!summary) return null;
    return { summary, info: existsSync(join(this.dir, 'run.json')) ? await this.readRunInfo().catch(() => null) : null };
  }

  writeSummary(summary: MatrixSummary): Promise<void> {
    return writeJsonAtomic(join(this.dir, 'summary.json'), summary);
  }
}

/** A summary.json by its own path (a --baseline FILE may be a copy kept anywhere). */
export function readSummaryFile(path: string, hint = 'give the summary.json of a finished wbdiff matrix run'): Promise<MatrixSummary> {
  return readResultFile<MatrixSummary>(path, summaryFileSchema, 'summary.json', hint);
}

/** Read once: the version is checked before the schema, so another format is named as such, not as a schema error. */
async function readResultFile<T>(path: string, schema: object, what: string, hint: string): Promise<T> {
  const text = await readJsonText(path, what, hint);
  const doc = parseJsonText<{ version?: unknown }>(text, path, { type: 'object' }, what, hint);
  checkResultVersion(doc, path, what);
  return parseJsonText<T>(text, path, schema, what, hint);
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
