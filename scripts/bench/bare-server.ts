/**
 * The baseline every HTTP benchmark compares against: a bare node:http server doing the trivial
 * version of the same request — read the whole body, answer a fixed JSON 200 (or serve bytes from
 * memory with Range support for the firmware benchmark). Run as a child process so it competes
 * for the CPU exactly like the gateway does: `node --import tsx scripts/bench/bare-server.ts`.
 * Prints `listening <port>` on stdout.
 */
import { createServer } from 'node:http';

const fixed = Buffer.from(process.env.BARE_BODY ?? '{"success":true,"samples":10}');

const server = createServer((req, res) => {
  req.on('data', () => undefined);
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': fixed.length });
    res.end(fixed);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
