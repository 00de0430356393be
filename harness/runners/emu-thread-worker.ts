// Worker-thread side of EmuThreadRunner: runs EmuRunner jobs posted by the main thread.
import { parentPort } from 'node:worker_threads';
import { closeThreadPool } from './emu.js';
import { createRunner } from './index.js';
import type { RunSpec } from './types.js';

// Runner classes are made in the registry only.
const runner = createRunner('emu');
const controllers = new Map<number, AbortController>();

type Message = { type: 'run'; id: number; spec: RunSpec; serial?: boolean } | { type: 'abort'; id: number } | { type: 'close' };

parentPort!.on('message', (message: Message) => {
  if (message.type === 'close') {
    // Asked once no run is left: the engines go, then the port, and the thread ends by itself.
    closeThreadPool();
    parentPort!.close();
    return;
  }
  if (message.type === 'abort') {
    controllers.get(message.id)?.abort();
    return;
  }
  const controller = new AbortController();
  controllers.set(message.id, controller);
  runner
    .run(message.spec, {
      signal: controller.signal,
      // Live serial only when the caller listens (a progress display, a console).
      ...(message.serial ? { onSerial: (chunk: Uint8Array) => parentPort!.postMessage({ id: message.id, serial: chunk }) } : {}),
    })
    .then((result) => parentPort!.postMessage({ id: message.id, result }))
    .catch((error: unknown) => parentPort!.postMessage({ id: message.id, error: String((error as Error)?.stack ?? error) }))
    .finally(() => controllers.delete(message.id));
});
