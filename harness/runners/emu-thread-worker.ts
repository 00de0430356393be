// Worker-thread side of EmuThreadRunner: runs EmuRunner jobs posted by the main thread.
import { parentPort } from 'node:worker_threads';
import { createRunner } from './index.js';
import type { RunSpec } from './types.js';

// Runner classes are made in the registry only.
const runner = createRunner('emu');
const controllers = new Map<number, AbortController>();

parentPort!.on('message', (message: { type: 'run'; id: number; spec: RunSpec; serial?: boolean } | { type: 'abort'; id: number }) => {
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
