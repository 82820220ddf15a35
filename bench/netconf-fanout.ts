/**
 * Fan-out: configure 50 emulated switches (loopback netconfd + sshd each, ports 18420-18469) in
 * parallel vs one switch. "Configure" = one full vmmi transaction per switch through the
 * netconf-ietf driver (lock, discard, edit, confirmed commit with persist, verify, confirming
 * commit, unlock) adding a host route. Sessions are opened first and timed separately. Needs root.
 *
 *   npx tsx bench/netconf-fanout.ts [switches]
 * Target: parallel total ≤ 3× the single-switch time.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateLabKeys, startNetconfSwitch, writeKnownHosts, type NetconfSwitch } from '../src/lab/netconfd.js';
import { Secret } from '../src/model/secret.js';
import { NetconfClient } from '../src/transports/netconf/client.js';
import { createNetconfDriver, type NetconfSwitchDriver } from '../src/drivers/switch/netconf-driver.js';
import { netconfIetf } from '../src/drivers/switch/netconf-ietf.js';

const COUNT = Number(process.argv[2] ?? 50);
const BASE_PORT = 18420;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'vmmi-bench-fan-'));
  const switches: NetconfSwitch[] = [];
  const drivers: NetconfSwitchDriver[] = [];
  try {
    const keys = await generateLabKeys(join(dir, 'keys'));
    const ports = Array.from({ length: COUNT }, (_, i) => BASE_PORT + i);
    let t = performance.now();
    for (const port of ports) {
      switches.push(await startNetconfSwitch({ dir: join(dir, `sw${port}`), name: `sw${port}`, listenAddr: '127.0.0.1', port,
        hostKeyDir: keys.dir, authorizedKeysFile: keys.authorizedKeys, logLevel: 'warn' }));
    }
    console.log(`${COUNT} switches started in ${(performance.now() - t).toFixed(0)} ms`);
    const kh = join(dir, 'known_hosts');
    await writeKnownHosts(kh, ports.map((port) => ({ host: '127.0.0.1', port, publicKeys: keys.hostPublicKeys })));
    const privateKey = new Secret('${file:client_ed25519}', await readFile(keys.clientEd25519, 'utf8'));
    const open = async (port: number): Promise<NetconfSwitchDriver> => createNetconfDriver(await NetconfClient.connect(
      { name: `sw${port}`, host: '127.0.0.1', port, credentials: { username: 'root', privateKey }, hostKey: { kind: 'known-hosts', file: kh } },
      { rpcTimeoutMs: 60_000, helloTimeoutMs: 60_000, timeoutMs: 60_000 }), netconfIetf, { device: `sw${port}`, confirmTimeoutS: 120 });
    t = performance.now();
    drivers.push(...(await Promise.all(ports.map(open))));
    const connectAll = performance.now() - t;
    const [first] = drivers;
    if (first === undefined) throw new Error('no switch');
    const route = (i: number, k: number) => ({ prefix: `198.18.${100 + (k % 100)}.${(i % 250) + 1}/32`, nextHop: '198.18.0.1' });
    // single switch: median of 5 transactions (warm session)
    const single: number[] = [];
    for (let k = 0; k < 5; k++) {
      const s = performance.now();
      await first.addHostRoute?.(route(0, k));
      single.push(performance.now() - s);
    }
    const singleMs = median(single);
    const rounds: number[] = [];
    for (let k = 5; k < 8; k++) {
      const s = performance.now();
      await Promise.all(drivers.map((d, i) => d.addHostRoute?.(route(i, k))));
      rounds.push(performance.now() - s);
    }
    const parallelMs = median(rounds);
    console.log(`connect (SSH + hello) to ${COUNT} switches in parallel: ${connectAll.toFixed(0)} ms`);
    console.log(`one transaction on one switch (median of 5): ${singleMs.toFixed(1)} ms  [${single.map((x) => x.toFixed(0)).join(', ')}]`);
    console.log(`one transaction on each of ${COUNT} switches in parallel (median of 3): ${parallelMs.toFixed(1)} ms  ` +
      `[${rounds.map((x) => x.toFixed(0)).join(', ')}]`);
    console.log(`ratio parallel/single = ${(parallelMs / singleMs).toFixed(2)}× (target ≤ 3×)`);
  } finally {
    await Promise.all(drivers.map((d) => d.close().catch(() => undefined)));
    await Promise.all(switches.map((s) => s.stop()));
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
