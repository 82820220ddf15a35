import { expect, test } from '@playwright/test';
import { inspect } from 'node:util';
import { validateTestbedText } from '../inventory/load.js';
import { cliEndpoint, netconfEndpoint } from './switch-access.js';

const base = (cli: string, extra = ''): string => `name: t
defaults:
  switch: { credentials: { username: operator, password: "\${env:NC_PW}" },
            hostKey: { fingerprint: "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU" } }
groups:
  leaves: { role: tor, kind: eos, cli: ${cli} }
sites: { s: {} }
hypervisors: {}
switches:
  a: { group: leaves, site: s, address: 198.18.0.1 ${extra} }
`;

test('a CLI login of its own: NETCONF as the switch\'s account, the CLI as its own, secrets by reference', () => {
  const text = base('{ port: 2022, platform: eos, credentials: { username: admin, password: "${env:CLI_PW}" } }');
  const r = validateTestbedText(text, 't.yaml', { env: { NC_PW: 'NC-SECRET-1234', CLI_PW: 'CLI-SECRET-5678' } });
  if (!r.ok) throw new Error(r.issues.map((i) => i.message).join('\n'));
  const sw = r.testbed.switches[0];
  if (sw === undefined) throw new Error('no switch');
  const nc = netconfEndpoint(sw);
  const cli = cliEndpoint(sw);
  expect([nc.port, nc.credentials.username, nc.credentials.password?.reveal()]).toEqual([830, 'operator', 'NC-SECRET-1234']);
  expect([cli.port, cli.credentials.username, cli.credentials.password?.reveal()]).toEqual([2022, 'admin', 'CLI-SECRET-5678']);
  expect(cli.hostKey).toEqual(nc.hostKey);
  const printed = JSON.stringify(r.testbed) + inspect(r.testbed, { depth: 10 });
  expect(printed).not.toContain('CLI-SECRET');
  expect(printed).toContain('${env:CLI_PW}');
});

test('without a CLI login of its own, the CLI uses the switch\'s account on the CLI port', () => {
  const r = validateTestbedText(base('{ port: 2022, platform: eos }'), 't.yaml', { env: { NC_PW: 'x' } });
  if (!r.ok) throw new Error(r.issues.map((i) => i.message).join('\n'));
  const sw = r.testbed.switches[0];
  if (sw === undefined) throw new Error('no switch');
  expect([cliEndpoint(sw).port, cliEndpoint(sw).credentials.username]).toEqual([2022, 'operator']);
});

test('a bad CLI login is reported where it is written, once, with what to do', () => {
  const r = validateTestbedText(base('{ port: 22, platform: eos, credentials: { username: admin, password: "${env:NOPE}" } }',
    ''), 't.yaml', { env: { NC_PW: 'x' } });
  expect(r.ok).toBe(false);
  if (r.ok) return;
  const msgs = r.issues.map((i) => `${i.path}: ${i.message}`);
  expect(msgs.filter((m) => m.includes('NOPE'))).toHaveLength(1);
  expect(msgs.find((m) => m.includes('NOPE'))).toMatch(/^groups\.leaves\.cli\.credentials\.password: /);
  const typo = validateTestbedText(base('{ port: 22, platform: eos, credentials: { user: admin } }'), 't.yaml',
    { env: { NC_PW: 'x' } });
  expect(typo.ok).toBe(false);
  if (!typo.ok) expect(typo.issues.map((i) => i.path).join(' ')).toContain('groups.leaves.cli.credentials');
});

test('a CLI password to any host key is refused like the switch\'s own', () => {
  const text = `name: t
sites: { s: {} }
hypervisors: {}
switches:
  a: { role: tor, kind: eos, site: s, address: 198.18.0.1, credentials: { username: u, privateKey: "\${env:K}" },
       hostKey: { insecureAcceptAnyHostKey: true },
       cli: { port: 22, platform: eos, credentials: { username: admin, password: "\${env:P}" } } }
`;
  const r = validateTestbedText(text, 't.yaml', { env: { K: 'k', P: 'p' } });
  expect(r.ok).toBe(false);
  if (!r.ok) expect(r.issues.map((i) => i.message).join('\n')).toContain('insecureAcceptAnyHostKey');
});
