// Worker-thread side of EmuThreadRunner: runs EmuRunner jobs posted by the main thread.
import { parentPort } from 'node:worker_threads';
import { EmuRunner } from './emu.js';
import type { RunSpec } from './types.js';

const runner = new EmuRunner();
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
