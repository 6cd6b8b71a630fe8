// Free loopback ports, found by letting the kernel pick one. The port is free when this
// returns, not reserved: whoever binds it next should do so soon.

import { createServer, type Server } from 'node:net';

const listen = (): Promise<Server> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });

const close = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

/**
 * `count` distinct free ports on 127.0.0.1. They are held open together while being picked,
 * so the kernel cannot hand the same port out twice in one call.
 */
export const freePorts = async (count: number): Promise<number[]> => {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listen());
    return servers.map((s) => {
      const address = s.address();
      if (address === null || typeof address === 'string') throw new Error('loopback listener has no TCP address');
      return address.port;
    });
  } finally {
    await Promise.all(servers.map(close));
  }
};

export const freePort = async (): Promise<number> => {
  const [port] = await freePorts(1);
  if (port === undefined) throw new Error('no free loopback port');
  return port;
};
