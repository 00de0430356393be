// A free TCP port on the loopback interface: listen on port 0, read the port the kernel chose,
// close. Another process may take it before QEMU binds it, so callers retry on EADDRINUSE.
import { createServer } from 'node:net';

export function freeLoopbackPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('the kernel gave no port'))));
    });
  });
}
