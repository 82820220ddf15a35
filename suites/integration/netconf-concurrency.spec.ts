/**
 * Concurrency against real netconfd + OpenSSH (4 loopback switches, ports 18480-18483, host keys
 * verified through known_hosts): 50 worker sessions spread over the switches, one writer and three
 * RFC 5277 event streams, all open at once.
 *
 * - Every worker pipelines `get-config` reads with a subtree filter naming one seeded interface; a
 *   reply counts only if it holds exactly that interface with that switch's description, so a reply
 *   handed to the wrong request (or from the wrong switch) is caught, not just counted.
 * - Meanwhile each worker runs transactions on its own switch under the candidate lock (lock, retried
 *   on lock-denied → discard-changes → edit-config → read back candidate → commit → unlock → read
 *   back running), each creating its own interface with a distinct marker description.
 * - A writer makes a known number of commits on switch 0, where the three streams (separate SSH
 *   connections) listen. Every commit there (writer's and workers') must reach every stream exactly
 *   once as `netconf-config-change` naming the committing session and the created interface; every
 *   worker/writer session on switch 0 must appear once as session-start and once as session-end.
 * - Afterwards every session is ended with close-session (its `<ok/>` checked); netconfd lists no
 *   session but the probe, sshd has no session children, no TCP connection to the ports remains, the
 *   controller holds no more TCP handles than before, and the daemons are gone after stop.
 *
 * The switches, keys and data live in a temp dir removed in afterAll, also when the test fails.
 * Only waits have deadlines (generous: the 2 cores are shared); no duration is asserted.
 */
import { test, expect } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  NS_IANAIFT,
  NS_IF,
  NetconfClient,
  Secret,
  child,
  childrenNamed,
  e,
  el,
  generateLabKeys,
  isAlive,
  isVmmiError,
  runLocal,
  startNetconfSwitch,
  textAt,
  writeKnownHosts,
  type NetconfNotification,
  type NetconfSwitch,
} from './netconf-imports.js';

const PORTS = [18480, 18481, 18482, 18483] as const;
const WORKERS = 50;
const ROUNDS = 3;
/** Pipelined reads per batch (all in flight at once on one session) and batches per round. */
const PIPELINE = 8;
const BATCHES = 2;
const SEEDS = 16;
const WRITER_COMMITS = 30;
const STREAMS = 3;
const NS_MON = 'urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring';
const RPC_TIMEOUT_MS = 180_000;

interface Sw {
  readonly index: number;
  readonly port: number;
  readonly name: string;
  readonly daemon: NetconfSwitch;
}

let dir: string | undefined;
const switches: Sw[] = [];
const clients: NetconfClient[] = [];
let knownHosts = '';
let privateKey: Secret | undefined;

test.beforeAll(async () => {
  test.setTimeout(300_000);
  dir = await mkdtemp(join(tmpdir(), 'vmmi-ncc-'));
  const keys = await generateLabKeys(join(dir, 'keys'), { rsaBits: 2048 });
  knownHosts = join(dir, 'known_hosts');
  await writeKnownHosts(
    knownHosts,
    PORTS.map((port) => ({ host: '127.0.0.1', port, publicKeys: keys.hostPublicKeys })),
  );
  privateKey = new Secret(`\${file:${keys.clientEd25519}}`, await readFile(keys.clientEd25519, 'utf8'));
  for (const [index, port] of PORTS.entries()) {
    const name = `ncc${index}`;
    const daemon = await startNetconfSwitch({
      dir: join(dir, name),
      name,
      listenAddr: '127.0.0.1',
      port,
      hostKeyDir: keys.dir,
      authorizedKeysFile: keys.authorizedKeys,
      timeoutMs: 60_000,
      logLevel: 'warn',
    });
    switches.push({ index, port, name, daemon });
  }
});

test.afterAll(async () => {
  test.setTimeout(120_000);
  for (const c of clients) c.session.destroy();
  await Promise.all(switches.map((s) => s.daemon.stop()));
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

function connect(sw: Sw): Promise<NetconfClient> {
  if (privateKey === undefined) throw new Error('keys not generated');
  return NetconfClient.connect(
    {
      name: sw.name,
      host: '127.0.0.1',
      port: sw.port,
      credentials: { username: 'root', privateKey },
      hostKey: { kind: 'known-hosts', file: knownHosts },
    },
    { rpcTimeoutMs: RPC_TIMEOUT_MS, helloTimeoutMs: RPC_TIMEOUT_MS, timeoutMs: RPC_TIMEOUT_MS },
  ).then((c) => {
    clients.push(c);
    return c;
  });
}

const ifaceCfg = (name: string, description: string) =>
  el(
    'interfaces',
    { xmlns: NS_IF },
    el(
      'interface',
      {},
      e('name', name),
      el('type', { 'xmlns:ianaift': NS_IANAIFT }, 'ianaift:ethernetCsmacd'),
      e('description', description),
    ),
  );
const ifaceFilter = (name: string) => ({ type: 'subtree' as const,
  content: el('interfaces', { xmlns: NS_IF }, e('interface', e('name', name))) });
const seedDescription = (sw: number, k: number) => `seed-${sw}-${k}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Counters shared by every session; `problems` collects each mismatch so one run reports them all. */
const tally = { sent: 0, replies: 0, lockDenied: 0, commits: 0, problems: [] as string[] };

/** Sends one RPC through `f`; an rpc-error is a reply too (counted, then rethrown). */
async function call<T>(f: () => Promise<T>): Promise<T> {
  tally.sent++;
  try {
    const r = await f();
    tally.replies++;
    return r;
  } catch (err) {
    if (isVmmiError(err) && err.code === 'NETCONF_RPC') tally.replies++;
    throw err;
  }
}

/** The (name, description) pairs in a get-config reply's `<interfaces>`. */
function interfacesOf(data: Parameters<typeof child>[0]): { name: string; description: string | undefined }[] {
  return childrenNamed(child(data, 'interfaces'), 'interface').map((i) => ({
    name: textAt(i, 'name') ?? '',
    description: textAt(i, 'description'),
  }));
}

/** Reads one interface from `source` and checks that the reply holds exactly it, with `description`. */
async function readBack(
  c: NetconfClient,
  source: 'running' | 'candidate',
  name: string,
  description: string,
  who: string,
): Promise<void> {
  const r = await call(() => c.getConfig(source, ifaceFilter(name)));
  const got = interfacesOf(r.data);
  if (got.length !== 1 || got[0]?.name !== name || got[0]?.description !== description) {
    tally.problems.push(
      `${who}: get-config ${source} for ${name} (message-id ${r.reply.messageId}) expected ` +
        `"${description}", got ${JSON.stringify(got)}`,
    );
  }
}

/**
 * One transaction under the candidate lock: lock (retried with jittered backoff on lock-denied, the
 * expected answer while another session holds it) → discard-changes (drop residue) → edit-config →
 * read back candidate → commit → unlock → read back running. On failure after the lock: discard and
 * unlock, so the other sessions can go on.
 */
async function commitInterface(c: NetconfClient, name: string, description: string, who: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await call(() => c.lock('candidate'));
      break;
    } catch (err) {
      const tag = isVmmiError(err) && err.code === 'NETCONF_RPC' ? (err as unknown as { tag?: string }).tag : undefined;
      if (tag !== 'lock-denied' || attempt >= 2_000) throw err;
      tally.lockDenied++;
      await sleep(5 + Math.random() * Math.min(200, 10 * (attempt + 1)));
    }
  }
  let done = false;
  try {
    await call(() => c.discardChanges());
    await call(() => c.editConfig(ifaceCfg(name, description)));
    await readBack(c, 'candidate', name, description, who);
    await call(() => c.commit());
    tally.commits++;
    done = true;
  } finally {
    if (!done) await call(() => c.discardChanges()).catch(() => undefined);
    await call(() => c.unlock('candidate'));
  }
  await readBack(c, 'running', name, description, who);
}

/** `n` reads in flight at once on one session, each naming a different seeded interface. */
async function pipelinedReads(c: NetconfClient, sw: number, offset: number, who: string): Promise<void> {
  await Promise.all(Array.from({ length: PIPELINE }, async (_, j) => {
    const k = (offset + j) % SEEDS;
    await readBack(c, 'running', `seed-${k}`, seedDescription(sw, k), who);
  }));
}

/** close-session must be answered with `<ok/>` and the server must then end the channel. */
async function closeChecked(c: NetconfClient, who: string): Promise<void> {
  const r = await call(() => c.rpc(e('close-session'), { timeoutMs: RPC_TIMEOUT_MS }));
  if (child(r.root(), 'ok') === undefined) tally.problems.push(`${who}: close-session answered ${r.xml}`);
  await expect.poll(() => c.session.closed, { timeout: 60_000, message: `${who}: server ends the channel` }).toBe(true);
  await c.close();
}

async function sshdChildren(sw: Sw): Promise<number[]> {
  const r = await runLocal(['pgrep', '-P', String(sw.daemon.sshdPid)], { timeoutMs: 30_000 });
  return r.stdout.split('\n').filter((l) => l.trim() !== '').map(Number);
}

async function establishedToPorts(): Promise<string> {
  const [lo, hi] = [PORTS[0], PORTS[PORTS.length - 1]];
  const r = await runLocal(['ss', '-Htn', 'state', 'established',
    `( sport >= :${lo} and sport <= :${hi} ) or ( dport >= :${lo} and dport <= :${hi} )`], { timeoutMs: 30_000 });
  return r.stdout.trim();
}

const tcpHandles = (): number => process.getActiveResourcesInfo().filter((x) => x === 'TCPSocketWrap').length;

type EventKey = string;
const configKey = (sessionId: number | undefined, name: string) =>
  `change|${sessionId}|/if:interfaces/if:interface[if:name='${name}']|create`;

function keyOf(n: NetconfNotification): EventKey {
  const ev = n.event;
  if (ev.kind === 'config-change') {
    return `change|${ev.changedBy.sessionId}|${ev.edits.map((x) => `${x.target}|${x.operation}`).join(';')}` +
      (ev.datastore === 'running' ? '' : `|${ev.datastore}`);
  }
  if (ev.kind === 'session-start') return `start|${ev.changedBy.sessionId}`;
  if (ev.kind === 'session-end') return `end|${ev.changedBy.sessionId}|${ev.terminationReason ?? ''}`;
  return `${n.name}`;
}

test('50 concurrent sessions over 4 switches and 3 event streams lose no reply and no event', async () => {
  test.setTimeout(900_000);
  const [sw0] = switches;
  if (sw0 === undefined || switches.length !== PORTS.length) throw new Error('switches not started');
  const tcpBefore = tcpHandles();

  // Seed each switch (before the streams subscribe, so seeding raises no expected event).
  await Promise.all(switches.map(async (sw) => {
    const c = await connect(sw);
    await c.lock('candidate');
    await c.discardChanges();
    await c.editConfig(
      el(
        'interfaces',
        { xmlns: NS_IF },
        ...Array.from({ length: SEEDS }, (_, k) =>
          el(
            'interface',
            {},
            e('name', `seed-${k}`),
            el('type', { 'xmlns:ianaift': NS_IANAIFT }, 'ianaift:ethernetCsmacd'),
            e('description', seedDescription(sw.index, k)),
          ),
        ),
      ),
    );
    await c.commit();
    await c.unlock('candidate');
    await closeChecked(c, `seed ${sw.name}`);
  }));
  tally.sent = tally.replies = 0;

  const t0 = performance.now();
  // Three streams on switch 0, subscribed before any worker connects.
  const streams: { client: NetconfClient; events: NetconfNotification[]; done: Promise<void> }[] = [];
  for (let s = 0; s < STREAMS; s++) {
    const client = await connect(sw0);
    const it = await call(() => client.subscribe({}, { maxQueued: 100_000 }));
    const events: NetconfNotification[] = [];
    const done = (async () => {
      for await (const n of it) events.push(n);
    })();
    streams.push({ client, events, done });
  }

  // 50 workers + the writer connect at the same time.
  const token = randomBytes(4).toString('hex');
  const placement = Array.from({ length: WORKERS }, (_, w) => switches[w % switches.length] as Sw);
  const [workers, writer] = await Promise.all([Promise.all(placement.map((sw) => connect(sw))), connect(sw0)]);
  const serverChildren = await Promise.all(switches.map(async (sw) => (await sshdChildren(sw)).length));

  const expected = new Map<EventKey, string>();
  const watchedSessions = [writer.sessionId, ...workers.filter((_, w) => placement[w] === sw0).map((c) => c.sessionId)];
  for (const id of watchedSessions) {
    expected.set(`start|${id}`, `session-start ${id}`);
    expected.set(`end|${id}|closed`, `session-end ${id}`);
  }
  const work = workers.map(async (c, w) => {
    const sw = placement[w] as Sw;
    const who = `worker ${w} (${sw.name} session ${c.sessionId})`;
    for (let r = 0; r < ROUNDS; r++) {
      const name = `cc-${w}-r${r}`;
      const marker = `m-${token}-${sw.index}-${w}-${r}`;
      if (sw === sw0) expected.set(configKey(c.sessionId, name), `${who} commit ${name}`);
      await Promise.all([
        commitInterface(c, name, marker, who),
        (async () => {
          for (let b = 0; b < BATCHES; b++)
            await pipelinedReads(c, sw.index, w + r * PIPELINE * BATCHES + b * PIPELINE, who);
        })(),
      ]);
    }
  });
  const writing = (async () => {
    for (let k = 0; k < WRITER_COMMITS; k++) {
      const name = `ev-${k}`;
      expected.set(configKey(writer.sessionId, name), `writer commit ${name}`);
      await commitInterface(writer, name, `ev-${token}-${k}`, `writer (session ${writer.sessionId})`);
    }
  })();
  const settled = await Promise.allSettled([...work, writing]);
  const failures = settled.flatMap((s, i) =>
    s.status === 'rejected' ? [`${i < WORKERS ? `worker ${i}` : 'writer'}: ${String(s.reason)}`] : [],
  );
  expect(failures, 'every session finished its RPCs').toEqual([]);

  // Running config of every switch holds exactly the seeds plus every commit made there.
  for (const sw of switches) {
    const c = await connect(sw);
    const all = interfacesOf(
      (await call(() => c.getConfig('running', { type: 'subtree', content: el('interfaces', { xmlns: NS_IF }) }))).data,
    );
    const want = [
      ...Array.from({ length: SEEDS }, (_, k) => ({ name: `seed-${k}`, description: seedDescription(sw.index, k) })),
      ...placement.flatMap((p, w) =>
        p === sw
          ? Array.from({ length: ROUNDS }, (_, r) => ({
              name: `cc-${w}-r${r}`,
              description: `m-${token}-${sw.index}-${w}-${r}`,
            }))
          : [],
      ),
      ...(sw === sw0
        ? Array.from({ length: WRITER_COMMITS }, (_, k) => ({ name: `ev-${k}`, description: `ev-${token}-${k}` }))
        : []),
    ];
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    expect(all.sort(byName), `${sw.name} running config`).toEqual(want.sort(byName));
    await closeChecked(c, `verify ${sw.name}`);
  }

  await Promise.all([...workers.map((c, w) => closeChecked(c, `worker ${w}`)), closeChecked(writer, 'writer')]);

  // Every stream: every expected event, once; nothing unexpected (stream sessions' own events aside).
  // Session events of the streams themselves and of the short verify/probe sessions are not counted.
  const relevant = (n: NetconfNotification) =>
    n.event.kind === 'config-change' ||
    ((n.event.kind === 'session-start' || n.event.kind === 'session-end') &&
      watchedSessions.includes(n.event.changedBy.sessionId ?? -1));
  for (const s of streams) {
    await expect
      .poll(() => s.events.filter(relevant).length, {
        timeout: 120_000,
        message: `stream ${s.client.sessionId} receives`,
      })
      .toBeGreaterThanOrEqual(expected.size);
  }
  await sleep(2_000); // late duplicates would land here
  const perStream: string[] = [];
  for (const s of streams) {
    const keys = s.events.filter(relevant).map(keyOf);
    const seen = new Map<EventKey, number>();
    for (const k of keys) seen.set(k, (seen.get(k) ?? 0) + 1);
    const lost = [...expected].filter(([k]) => !seen.has(k)).map(([, label]) => label);
    const dup = [...seen].filter(([, n]) => n > 1).map(([k, n]) => `${k} ×${n}`);
    const unexpected = [...seen.keys()].filter((k) => !expected.has(k));
    expect({ lost, dup, unexpected }, `stream on session ${s.client.sessionId}`).toEqual({
      lost: [],
      dup: [],
      unexpected: [],
    });
    const writerOrder = keys.filter((k) => k.startsWith(`change|${writer.sessionId}|`));
    expect(writerOrder, 'writer commits arrive in commit order')
      .toEqual(Array.from({ length: WRITER_COMMITS }, (_, k) => configKey(writer.sessionId, `ev-${k}`)));
    const changes = keys.filter((k) => k.startsWith('change|')).length;
    perStream.push(`${keys.length} (${changes} config-change)`);
  }
  await Promise.all(streams.map((s, i) => closeChecked(s.client, `stream ${i}`)));
  await Promise.all(streams.map((s) => s.done));

  // netconfd holds no session but the probe's; sshd has no session children; no TCP left.
  for (const sw of switches) {
    const probe = await connect(sw);
    const mon = await call(() =>
      probe.get({ type: 'subtree', content: el('netconf-state', { xmlns: NS_MON }, e('sessions')) }),
    );
    const ids = childrenNamed(child(child(mon.data, 'netconf-state'), 'sessions'), 'session').map((x) =>
      Number(textAt(x, 'session-id')),
    );
    expect(ids, `${sw.name}: sessions left in netconfd`).toEqual([probe.sessionId]);
    await closeChecked(probe, `probe ${sw.name}`);
  }
  const wallS = (performance.now() - t0) / 1000;
  for (const sw of switches) {
    await expect
      .poll(() => sshdChildren(sw), { timeout: 60_000, message: `${sw.name}: sshd session processes exit` })
      .toEqual([]);
  }
  await expect.poll(establishedToPorts, { timeout: 60_000, message: 'no TCP connection to the switches' }).toBe('');
  await expect
    .poll(tcpHandles, { timeout: 60_000, message: 'controller TCP handles back to the start' })
    .toBeLessThanOrEqual(tcpBefore);

  expect(tally.problems, 'mismatched replies').toEqual([]);
  expect(tally.replies, 'every RPC answered').toBe(tally.sent);
  const sessions = WORKERS + 1 + STREAMS;
  console.log(
    `netconf concurrency: ${sessions} sessions at once (${WORKERS} workers over ${switches.length} switches, ` +
      `sshd session processes ${serverChildren.join('/')}, + writer + ${STREAMS} streams), ${tally.sent} RPCs, ${tally.replies} replies ` +
      `matched and checked (${tally.lockDenied} lock-denied retried, ${tally.commits} commits), 0 lost/mismatched; events per stream ` +
      `${perStream.join(' / ')} of ${expected.size} expected, 0 lost/duplicated; wall ${wallS.toFixed(1)} s`,
  );

  await Promise.all(switches.map((s) => s.daemon.stop()));
  for (const sw of switches) {
    expect(
      (await isAlive(sw.daemon.netconfdPid)) || (await isAlive(sw.daemon.sshdPid)),
      `${sw.name} daemons stopped`,
    ).toBe(false);
  }
});
