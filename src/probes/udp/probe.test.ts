import { expect, test } from '@playwright/test';
import { summarizeFlow } from '../../measure/summarize.js';
import { startReflector } from './reflector.js';
import { placementLabel, runUdpProbe } from './run.js';

test.describe.configure({ mode: 'serial' });

test('child-process probe against the TypeScript reflector on loopback: IPv4 + IPv6, no loss', async () => {
  const refl = await startReflector({ host: '::', udpPort: 0, lifetimeMs: 30_000 });
  try {
    const res = await runUdpProbe({ kind: 'local' }, {
      flows: [
        { id: 1, name: 'lo-v4', target: '127.0.0.1', port: refl.udpPort, ratePps: 1000, durationMs: 2000 },
        { id: 2, name: 'lo-v6', target: '::1', port: refl.udpPort, ratePps: 1000, durationMs: 2000 },
      ],
      drainMs: 300,
    });
    expect(res.failure).toBeUndefined();
    expect(res.problems).toEqual([]);
    expect(res.flows).toHaveLength(2);
    for (const f of res.flows) {
      const r = summarizeFlow({ spec: f.spec, samples: f.samples, end: f.end });
      console.log(
        `${f.spec.name}: sent ${r.counts.sent} lost ${r.counts.lost} rtt median ${r.rtt?.medianMs.toFixed(3)} ms, ` +
          `achieved ${r.achievedRatePps.toFixed(1)} pps, health ${r.health.status}`,
      );
      expect(r.counts.sent).toBe(2000);
      expect(r.counts.lost).toBe(0);
      expect(r.counts.duplicates).toBe(0);
      expect(r.health.status).not.toBe('errored');
      expect(Math.abs(r.achievedRatePps - 1000)).toBeLessThan(20);
    }
    expect(res.end?.reason).toBe('complete');
    expect(refl.stats.udpEchoed).toBe(4000);
  } finally {
    await refl.close();
  }
});

test('no reflector listening: every packet lost, the flow is ERRORED (never a 0 ms pass)', async () => {
  const refl = await startReflector({ host: '127.0.0.1', udpPort: 0, lifetimeMs: 1000 });
  const port = refl.udpPort;
  await refl.close();
  const res = await runUdpProbe(
    { kind: 'in-process' },
    { flows: [{ id: 1, name: 'dead', target: '127.0.0.1', port, ratePps: 1000, durationMs: 300 }], drainMs: 100 },
  );
  const f = res.flows[0];
  if (f === undefined) throw new Error('no flow');
  const r = summarizeFlow({ spec: f.spec, samples: f.samples, end: f.end, triggerMs: (f.samples[150]?.txMs ?? 0) });
  expect(r.counts.received).toBe(0);
  expect(r.health.status).toBe('errored');
  expect(r.health.reasons.map((x) => x.rule)).toContain('no-baseline');
});

test('a probe that cannot start is a failure with the reason, and its flows are ERRORED', async () => {
  const res = await runUdpProbe({ kind: 'netns', netns: 'vmmiprb-does-not-exist' },
    { flows: [{ id: 1, name: 'x', target: '198.18.250.2', port: 7, ratePps: 1000, durationMs: 100 }], drainMs: 0 });
  expect(res.failure).toMatch(/exited/);
  expect(res.flows).toHaveLength(0);
});

test('TCP echo of the reflector returns bytes unchanged', async () => {
  const { connect } = await import('node:net');
  const refl = await startReflector({ host: '127.0.0.1', udpPort: 0, tcpPort: 0, lifetimeMs: 5000 });
  try {
    const got = await new Promise<string>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: refl.tcpPort as number }, () => s.write('vmmi-echo'));
      s.on('data', (d) => { resolve(d.toString()); s.destroy(); });
      s.on('error', reject);
    });
    expect(got).toBe('vmmi-echo');
  } finally {
    await refl.close();
  }
});

test('flowResults turns a probe that never started into ERRORED flow results', async () => {
  const { flowResults } = await import('./results.js');
  const cfg = {
    flows: [{ id: 1, name: 'x', target: '198.18.250.2', port: 7, ratePps: 1000, durationMs: 100 }],
    drainMs: 0,
  };
  const res = await runUdpProbe({ kind: 'netns', netns: 'vmmiprb-does-not-exist' }, cfg);
  const [r] = flowResults(cfg, res, { triggerMs: 0 });
  expect(r?.health.status).toBe('errored');
  expect(r?.health.reasons.find((x) => x.rule === 'probe-failed')?.detail).toMatch(/vmmiprb-does-not-exist|exited/);
});

test('a placement is named as the probe messages say it: netns, ssh host, local, in-process', () => {
  expect(placementLabel({ kind: 'netns', netns: 'vmmi-client' })).toBe('netns:vmmi-client');
  expect(placementLabel({ kind: 'local', nice: -5 })).toBe('local');
  expect(placementLabel({ kind: 'in-process' })).toBe('in-process');
  const spawner = (): never => { throw new Error('not started'); };
  expect(placementLabel({ kind: 'ssh', host: 'tg1', spawner, agentArgv: [] })).toBe('ssh:tg1');
});
