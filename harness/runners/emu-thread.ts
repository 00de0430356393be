// The emulator runner on a worker thread. uc_emu_start holds its thread while it runs; on the
// main thread that would stall QEMU's pipes and timers in a parallel matrix. Same results as
// EmuRunner (it is EmuRunner, over there).
import { Worker } from 'node:worker_threads';
import { errorResult } from './serial-capture.js';
import type { Runner, RunOptions, RunResult, RunSpec } from './types.js';

/** How long a closing worker may take to close its engines and end before it is terminated. */
const CLOSE_GRACE_MS = 2000;

export class EmuThreadRunner implements Runner {
  readonly name = 'emu' as const;
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, (result: RunResult) => void>();
  private readonly serialListeners = new Map<number, (chunk: Uint8Array) => void>();

  run(spec: RunSpec, options: RunOptions = {}): Promise<RunResult> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<RunResult>((resolve) => {
      const onAbort = () => worker.postMessage({ type: 'abort', id });
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, (result) => {
        options.signal?.removeEventListener('abort', onAbort);
        this.serialListeners.delete(id);
        resolve(result);
      });
      if (options.onSerial) this.serialListeners.set(id, options.onSerial);
      worker.postMessage({ type: 'run', id, spec, serial: Boolean(options.onSerial) });
    });
  }

  /**
   * Ends the worker. With no run pending it closes its engines first (terminating a thread would
   * leave their native memory behind: ~5-20 MiB per engine, per matrix in a long-lived process);
   * pending runs, or a worker that does not end within CLOSE_GRACE_MS, are terminated, and
   * pending runs end with verdict error.
   */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (!worker) return;
    if (this.pending.size === 0) {
      const ended = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), CLOSE_GRACE_MS);
        worker.once('exit', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      worker.postMessage({ type: 'close' });
      if (await ended) return;
    }
    await worker.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./emu-thread-worker.js', import.meta.url));
    worker.unref();
    worker.on('message', (message: { id: number; result?: RunResult; error?: string; serial?: Uint8Array }) => {
      if (message.serial) {
        this.serialListeners.get(message.id)?.(message.serial);
        return;
      }
      const settle = this.pending.get(message.id);
      this.pending.delete(message.id);
      settle?.(message.result ?? errorResult('emu', null, `emulator worker failed: ${message.error}`));
    });
    const failAll = (why: string) => {
      for (const [id, settle] of this.pending) {
        this.pending.delete(id);
        settle(errorResult('emu', null, why));
      }
      this.worker = null;
    };
    worker.on('error', (error) => failAll(`emulator worker crashed: ${error.message}`));
    worker.on('exit', (code) => failAll(`emulator worker exited (${code})`));
    this.worker = worker;
    return worker;
  }
}
