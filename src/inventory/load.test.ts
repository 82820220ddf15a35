import { expect, test } from '@playwright/test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { defineTestbed } from './define.js';
import { loadTestbed, validateTestbedText } from './load.js';
import { testbedJsonSchema } from './schema.js';

const repo = join(import.meta.dirname, '../..');

test('the shipped testbeds load', async () => {
  const local = await loadTestbed(join(repo, 'testbeds/local.yaml'));
  expect(local.hypervisors.map((h) => h.name)).toEqual(['hv1', 'hv2', 'hv3']);
  expect(local.switches.map((s) => `${s.name}:${s.role}`)).toEqual([
    'torA:tor',
    'torB:tor',
    'coreA:core',
    'coreB:core',
  ]);
  expect(local.links.find((l) => l.name === 'wan')?.wan).toBe(true);
  expect(local.lab?.dir).toBe('/var/lib/vmmi/lab/vmmi');
  expect(local.hypervisors[0]?.uri).toBe('qemu+unix:///system?socket=/var/lib/vmmi/lab/vmmi/hv1/run/libvirt-sock');
  expect(local.sha256).toMatch(/^[0-9a-f]{64}$/);
  expect(Object.isFrozen(local.vms)).toBe(true);
  const phys = await loadTestbed(join(repo, 'testbeds/examples/physical.yaml'));
  expect(phys.switches.find((s) => s.name === 'wan-a')?.hostKey).toEqual({
    kind: 'fingerprint',
    sha256: 'SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU',
  });
  expect(phys.switches.find((s) => s.name === 'leaf-a1')?.hostKey.kind).toBe('known-hosts');
});

test('inheritance: defaults → group → node, node wins', () => {
  const text = `name: t
defaults:
  switch: { port: 831, credentials: { username: d }, hostKey: { insecureAcceptAnyHostKey: true } }
groups:
  g: { role: tor, kind: frr-ssh, port: 2222 }
sites: { s: {} }
hypervisors: {}
switches:
  a: { group: g, site: s, address: 198.18.0.1 }
  b: { group: g, site: s, address: 198.18.0.2, port: 22, credentials: { username: n } }
  c: { role: core, kind: netconf-ietf, site: s, address: 198.18.0.3 }
`;
  const r = validateTestbedText(text, 't.yaml', { env: {} });
  if (!r.ok) throw new Error(r.issues.map((i) => i.message).join('\n'));
  const [a, b, c] = r.testbed.switches;
  expect([a?.port, a?.kind, a?.credentials.username]).toEqual([2222, 'frr-ssh', 'd']);
  expect([b?.port, b?.credentials.username]).toEqual([22, 'n']);
  expect([c?.port, c?.kind]).toEqual([831, 'netconf-ietf']);
});

test('secrets resolve by reference and never print', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vmmi-tb-'));
  writeFileSync(join(dir, 'key'), 'FILE-SECRET-abcdef\n');
  const text = `name: t
sites: { s: {} }
hypervisors: {}
switches:
  a: { role: tor, kind: eos, site: s, address: 198.18.0.1,
       hostKey: { fingerprint: "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU" },
       credentials: { username: u, password: "\${env:SW_PW}", privateKey: "\${file:key}" } }
`;
  const file = join(dir, 't.yaml');
  writeFileSync(file, text);
  const r = validateTestbedText(text, file, { env: { SW_PW: 'ENV-SECRET-123456' } });
  if (!r.ok) throw new Error(r.issues.map((i) => i.message).join('\n'));
  const creds = r.testbed.switches[0]?.credentials;
  expect(creds?.password?.reveal()).toBe('ENV-SECRET-123456');
  expect(creds?.privateKey?.reveal()).toBe('FILE-SECRET-abcdef');
  const printed = JSON.stringify(r.testbed) + inspect(r.testbed, { depth: 10 }) + String(creds?.password);
  expect(printed).not.toContain('ENV-SECRET');
  expect(printed).not.toContain('FILE-SECRET');
  expect(printed).toContain('${env:SW_PW}');
});

test('defineTestbed builds the same model in code and rejects bad input with paths', () => {
  const t = defineTestbed({
    name: 'code',
    sites: { a: {} },
    hypervisors: { h: { site: 'a', address: '198.18.0.9', uri: 'qemu:///system' } },
    subnets: { n: { site: 'a', ipv4: { prefix: '198.18.0.0/24', gateway: '198.18.0.1' } } },
    vms: { v: { home: 'h', subnet: 'n', ipv4: '198.18.0.50/24', mac: '52:54:00:00:00:01' } },
  });
  expect(t.vms[0]?.reflectorPort).toBe(7);
  expect(t.migration.bandwidthMiBs).toBe(4096);
  expect(() =>
    defineTestbed({
      name: 'x',
      sites: {},
      hypervisors: { h: { site: 'nope', address: '198.18.0.9', uri: 'qemu:///system' } },
    }),
  ).toThrow(/hypervisors\.h\.site: unknown site "nope"/);
});

test('JSON Schema export describes the document', () => {
  const s = testbedJsonSchema() as { properties: Record<string, unknown>; required: string[] };
  expect(Object.keys(s.properties)).toEqual(
    expect.arrayContaining(['hypervisors', 'switches', 'links', 'vms', 'subnets']),
  );
  expect(s.required).toContain('name');
});

test('the exported JSON Schema accepts both shipped testbeds and refuses a malformed link (ajv, draft 2020-12)', () => {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, allowUnionTypes: true });
  const validate = ajv.compile(testbedJsonSchema() as object);
  for (const f of ['testbeds/local.yaml', 'testbeds/examples/physical.yaml']) {
    const doc: unknown = parseYaml(readFileSync(join(repo, f), 'utf8'));
    expect(validate(doc) ? [] : validate.errors, f).toEqual([]);
  }
  const doc = parseYaml(readFileSync(join(repo, 'testbeds/examples/physical.yaml'), 'utf8')) as { links: unknown[] };
  doc.links.push(['a:b', 'c:d', 'e:f']);
  expect(validate(doc)).toBe(false);
});

test("a secret file below the lab directory is read on every use: a rebuilt lab's new key is what gets offered", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vmmi-labsecret-'));
  const labDir = join(dir, 'lab');
  const text = (await import('node:fs'))
    .readFileSync(join(repo, 'testbeds/local.yaml'), 'utf8')
    .replace('dir: /var/lib/vmmi/lab/vmmi', `dir: ${labDir}`);
  const file = join(dir, 'tb.yaml');
  writeFileSync(file, text);
  const tb = await loadTestbed(file);
  const key = tb.switches[0]?.credentials.privateKey;
  expect(key).toBeDefined();
  (await import('node:fs')).mkdirSync(join(labDir, 'keys'), { recursive: true });
  writeFileSync(join(labDir, 'keys/client_ed25519'), 'first-key\n');
  expect(key?.reveal()).toBe('first-key');
  writeFileSync(join(labDir, 'keys/client_ed25519'), 'key-after-rebuild\n');
  expect(key?.reveal()).toBe('key-after-rebuild');
  expect(String(key)).not.toContain('after-rebuild');
});
