import net from 'node:net';

/**
 * A TCP port that was free on 127.0.0.1 a moment ago. The OS picks it, so parallel runs do not
 * collide; the small window between closing the probe and the server binding is accepted.
 */
export async function getFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not read the port of a probe socket'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

/** Picks `wanted` when given, else a free port; distinct from every port in `taken`. */
export async function choosePort(wanted: number | undefined, taken: Set<number>): Promise<number> {
  if (wanted !== undefined) {
    taken.add(wanted);
    return wanted;
  }
  for (;;) {
    const port = await getFreePort();
    if (!taken.has(port)) {
      taken.add(port);
      return port;
    }
  }
}

/** True when something accepts a TCP connection on host:port within `timeoutMs`. */
export async function isPortOpen(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Fails with a clear message when a fixed port is already in use (better than a server's own log). */
export async function assertPortFree(port: number, what: string): Promise<void> {
  if (await isPortOpen(port)) {
    throw new Error(
      `${what}: port ${port} on 127.0.0.1 is already in use (another stack running? try a different port)`,
    );
  }
}
