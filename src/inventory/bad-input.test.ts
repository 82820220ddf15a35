import { expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InventoryIssue } from '../errors/classes.js';
import { defineTestbed } from './define.js';
import { validateTestbedFile, validateTestbedText, type LoadOptions } from './load.js';

/** A small valid testbed; `sw` is the credentials of switch `a` (flow mapping body). */
function testbed(sw = 'username: u, password: "${env:PW}"'): string {
  return `name: t
sites: { s: {} }
hypervisors:
  h: { site: s, address: 198.18.0.9, uri: "qemu+tcp://198.18.0.9/system" }
switches:
  a: { role: tor, kind: eos, site: s, address: 198.18.0.1, hostKey: { fingerprint: "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU" },
       credentials: { ${sw} } }
`;
}

/** Validates `text` as the file `name` in a fresh directory; returns the issues (none when valid). */
function issuesOf(text: string, opts: LoadOptions & { dir?: string; name?: string } = {}): InventoryIssue[] {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'vmmi-bad-'));
  const file = join(dir, opts.name ?? 'tb.yaml');
  writeFileSync(file, text);
  const r = validateTestbedText(text, file, { env: { PW: 'pw-123456789' }, ...opts });
  return r.ok ? [] : r.issues;
}

const show = (issues: readonly InventoryIssue[]): string => issues.map((i) => `${i.path}: ${i.message}`).join('\n');

test.describe('secret files', () => {
  test('a device file (/dev/zero) is refused before it is read, naming the reference', () => {
    const t0 = Date.now();
    const issues = issuesOf(testbed('username: u, password: "${file:/dev/zero}"'), {
      env: { PW: 'x', VMMI_SECRET_DIRS: '/dev' },
    });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(show(issues)).toContain(
      'switches.a.credentials.password: secret file /dev/zero is a character device, not a regular file ' +
        '(referenced as ${file:/dev/zero})',
    );
  });

  test('a FIFO is refused at once instead of blocking validate', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmmi-fifo-'));
    execFileSync('mkfifo', [join(dir, 'pw')]);
    const issues = issuesOf(testbed('username: u, password: "${file:pw}"'), { dir });
    expect(show(issues)).toContain('is a FIFO, not a regular file (referenced as ${file:pw})');
  });

  test('a secret file above 64 KiB is refused with the limit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmmi-big-'));
    writeFileSync(join(dir, 'key'), 'k'.repeat(64 * 1024 + 1));
    const issues = issuesOf(testbed('username: u, privateKey: "${file:key}"'), { dir });
    expect(show(issues)).toContain('bytes or more; the limit is 65536 (referenced as ${file:key})');
    writeFileSync(join(dir, 'key'), 'k'.repeat(64 * 1024));
    expect(issuesOf(testbed('username: u, privateKey: "${file:key}"'), { dir })).toEqual([]);
  });

  test('a directory is refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmmi-dir-'));
    const issues = issuesOf(testbed('username: u, password: "${file:.}"'), { dir });
    expect(show(issues)).toContain('is a directory, not a regular file');
  });
});

test.describe('secret files are confined to the testbed directory and allowed directories', () => {
  const setup = (): { root: string; dir: string } => {
    const root = mkdtempSync(join(tmpdir(), 'vmmi-confine-'));
    const dir = join(root, 'testbeds');
    mkdirSync(dir);
    writeFileSync(join(root, 'outside'), 'outside-secret-123\n');
    writeFileSync(join(dir, 'inside'), 'inside-secret-123\n');
    return { root, dir };
  };

  test('../ traversal out of the testbed directory is refused', () => {
    const { dir } = setup();
    const issues = issuesOf(testbed('username: u, password: "${file:../outside}"'), { dir });
    expect(show(issues)).toContain('switches.a.credentials.password: secret file ');
    expect(show(issues)).toContain('/outside is outside the directories secrets are read from: ');
    expect(show(issues)).toContain('VMMI_SECRET_DIRS');
    expect(show(issues)).toContain('(referenced as ${file:../outside})');
  });

  test('an absolute path elsewhere (/etc/passwd) is refused', () => {
    const issues = issuesOf(testbed('username: u, password: "${file:/etc/passwd}"'));
    expect(show(issues)).toContain('secret file /etc/passwd is outside the directories secrets are read from');
  });

  test('a symlink inside the directory that leaves it is refused; one that stays inside is read', () => {
    const { dir } = setup();
    symlinkSync('../outside', join(dir, 'escape'));
    symlinkSync('inside', join(dir, 'alias'));
    const issues = issuesOf(testbed('username: u, password: "${file:escape}"'), { dir });
    expect(show(issues)).toMatch(/secret file \S+\/escape \(it resolves to \S+\/outside\) is outside the directories/);
    expect(issuesOf(testbed('username: u, password: "${file:alias}"'), { dir })).toEqual([]);
  });

  test('a directory named in VMMI_SECRET_DIRS is allowed', () => {
    const { root, dir } = setup();
    const text = testbed(`username: u, password: "\${file:${join(root, 'outside')}}"`);
    expect(issuesOf(text, { dir, env: { VMMI_SECRET_DIRS: `/nonexistent:${root}` } })).toEqual([]);
    expect(issuesOf(text, { dir, env: {} }).length).toBe(1);
  });
});

test('control characters from keys and values are escaped in every message that quotes them', () => {
  const text = `${testbed()}  b: { role: "\\e]0;owned\\a\\e[2J\\x9b31m", kind: eos, site: s, address: 198.18.0.2 }
  c: { role: tor, kind: eos, site: s, address: 198.18.0.3, "evil\\e[31m": 1, description: "\\u202e" }
`;
  const issues = issuesOf(text);
  // eslint-disable-next-line no-control-regex
  const raw = /[\x00-\x1f\x7f-\x9f\u202e]/;
  expect(issues.length).toBeGreaterThan(2);
  for (const i of issues) {
    expect(i.path).not.toMatch(raw);
    expect(i.message).not.toMatch(raw);
  }
  expect(show(issues)).toContain('unknown switch role "\\x1b]0;owned\\x07\\x1b[2J\\x9b31m"');
  expect(show(issues)).toContain('switches.c.evil\\x1b[31m: unknown field "evil\\x1b[31m"');
  const input = { name: 'x', sites: {}, hypervisors: {}, 'bad\x1b[0m': 1 };
  expect(() => defineTestbed(input as never))
    .toThrow(/unknown field "bad\\x1b\[0m"/);
});

test('a wrong type is reported as "expected X, got Y" at its path, a missing field as missing', () => {
  const text = `name:
sites: [s]
hypervisors:
  h: { site: s, address: 5, uri: "qemu+tcp://198.18.0.9/system" }
  1h: { site: s, address: 198.18.0.8, uri: "qemu+tcp://198.18.0.8/system" }
switches:
  a: { role: tor, kind: eos, site: s, address: 198.18.0.1, port: "830", credentials: { username: [u] },
       hostKey: { insecureAcceptAnyHostKey: true } }
vms:
  v: { home: h, subnet: n, mac: "52:54:00:00:00:01", memoryMiB: lots }
`;
  const got = show(issuesOf(text)).split('\n');
  expect(got).toEqual(expect.arrayContaining([
    'name: expected a string, got null (an empty value)',
    'sites: expected a mapping, got a list',
    'hypervisors.h.address: expected IP address as a string, got the number 5',
    'hypervisors.1h: invalid name "1h": names start with a letter and use letters, digits, _ . -',
    'switches.a.port: expected a port number, got the string "830"',
    'switches.a.credentials.username: expected a string, got a list',
    'vms.v.memoryMiB: expected a number, got the string "lots"',
  ]));
  expect(show(issuesOf('name: t\nsites: {}\n'))).toBe('hypervisors: required field is missing');
});

test('a password inside a URI is refused in every field, and never quoted back', () => {
  const text = testbed().replace('uri: "qemu+tcp://198.18.0.9/system"',
    'uri: "qemu+ssh://root:Hunter2pw@198.18.0.9/system", migrationUri: "qemu+tcp://u:Hunter2pw@198.18.0.9/system"')
    .replace('name: t', 'name: t\ndescription: "see https://admin:Hunter2pw@wiki.example/lab"');
  const issues = issuesOf(text);
  expect(issues.map((i) => i.path).sort()).toEqual(['description', 'hypervisors.h.migrationUri', 'hypervisors.h.uri']);
  expect(show(issues)).toContain('hypervisors.h.uri: a password is written in the URI ("qemu+ssh://root:***@…")');
  expect(show(issues)).toContain('password: "${env:NAME}"');
  expect(show(issues)).not.toContain('Hunter2pw');
  expect(issues.every((i) => (i.line ?? 0) > 0)).toBe(true);
  // A user without a password stays valid.
  expect(issuesOf(testbed().replace('qemu+tcp://198.18.0.9', 'qemu+tcp://root@198.18.0.9'))).toEqual([]);
});

test.describe('addresses that cannot work are refused', () => {
  const net = (vm: string, extra = ''): string => `${testbed()}subnets:
  n: { site: s, ipv4: { prefix: 198.18.10.0/24, gateway: 198.18.10.1 }, vni: 100 }
${extra}vms:
  v: { home: h, subnet: n, ${vm} }
`;
  const vm = 'ipv4: 198.18.10.100/24, mac: "52:54:00:00:00:01"';

  test('the network or broadcast address of an IPv4 subnet as a VM address', () => {
    expect(show(issuesOf(net(vm.replace('.100/', '.0/'))))).toContain(
      'vms.v.ipv4: 198.18.10.0/24 is the network address of 198.18.10.0/24: use a host address ' +
        '(198.18.10.1 to 198.18.10.254)');
    expect(show(issuesOf(net(vm.replace('.100/', '.255/'))))).toContain(
      'vms.v.ipv4: 198.18.10.255/24 is the broadcast address of 198.18.10.0/24');
    expect(issuesOf(net(vm))).toEqual([]);
  });

  test('a multicast MAC', () => {
    expect(show(issuesOf(net(vm.replace('52:54', '01:00'))))).toContain(
      "vms.v.mac: MAC 01:00:00:00:00:01 is a multicast address (the first octet's low bit is set)");
    expect(show(issuesOf(net(vm.replace('52:54', 'ff:ff'))))).toContain('is a multicast address');
  });

  test('reflector port 0 and a libvirt URI port above 65535', () => {
    expect(show(issuesOf(net(`${vm}, reflectorPort: 0`)))).toContain('vms.v.reflectorPort: reflectorPort must be 1-65535');
    const bigPort = testbed().replace('qemu+tcp://198.18.0.9/', 'qemu+tcp://198.18.0.9:70000/');
    expect(show(issuesOf(bigPort))).toContain(
      'hypervisors.h.uri: port "70000" in libvirt URI "qemu+tcp://198.18.0.9:70000/system" is out of range');
    expect(show(issuesOf(testbed().replace('198.18.0.9/', '[2001:db8::1]:0/')))).toContain('port "0" in libvirt URI');
    expect(issuesOf(testbed().replace('198.18.0.9/', '198.18.0.9:16509/'))).toEqual([]);
  });

  test('http:// (or any scheme libvirt does not know) as a libvirt URI', () => {
    const issues = issuesOf(testbed().replace('qemu+tcp://198.18.0.9/system', 'http://198.18.0.9/system'));
    expect(show(issues)).toContain('hypervisors.h.uri: "http:" is not a libvirt URI scheme; use one of qemu, test');
    for (const ok of ['lxc+tcp://198.18.0.9/', 'qemu+tls://198.18.0.9/system', 'test:///default',
      'qemu+unix:///system?socket=/run/x', 'qemu:///system']) {
      expect(issuesOf(testbed().replace('qemu+tcp://198.18.0.9/system', ok)), ok).toEqual([]);
    }
  });

  test('two switches with one management address', () => {
    const text = testbed().replace('switches:\n', 'switches:\n  z: { role: tor, kind: eos, site: s, address: 198.18.0.1, ' +
      'credentials: { username: u }, hostKey: { fingerprint: "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU" } }\n');
    expect(show(issuesOf(text))).toBe(
      'switches.a.address: management address 198.18.0.1 is already the address of switch "z": each switch needs its own');
  });

  test('two subnets with one VNI', () => {
    const text = net(vm, '  m: { site: s, ipv4: { prefix: 198.18.11.0/24, gateway: 198.18.11.1 }, vni: 100 }\n')
      .replace('subnets:\n  n:', 'subnets:\n  n:');
    expect(show(issuesOf(text))).toBe(
      'subnets.m.vni: VNI 100 is already the VNI of subnet "n": each subnet needs its own VNI');
  });

  test('the two ends of a /31 link in different subnets', () => {
    const link = (a: string, b: string): string => `${testbed()}links:
  - endpoints: [{ device: a, port: up, ipv4: ${a} }, { device: h, port: down, ipv4: ${b} }]
`;
    expect(show(issuesOf(link('198.18.30.1/31', '198.18.30.2/31')))).toBe(
      'links[0].endpoints[1].ipv4: 198.18.30.2/31 is not in the subnet of the other end 198.18.30.1/31 ' +
        '(198.18.30.0/31): the two ends of a link share one prefix, e.g. 198.18.30.1/31 and 198.18.30.0/31');
    expect(show(issuesOf(link('198.18.30.0/31', '198.18.30.1/30')))).toContain('is not in the subnet of the other end');
    expect(show(issuesOf(link('198.18.30.1/31', '198.18.30.1/31')))).toContain('both ends of the link have the address');
    expect(show(issuesOf(link('198.18.30.0/24', '198.18.30.1/24')))).toContain(
      'links[0].endpoints[0].ipv4: 198.18.30.0/24 is the network address');
    expect(issuesOf(link('198.18.30.0/31', '198.18.30.1/31'))).toEqual([]);
  });
});

test('bytes that are not UTF-8, and NUL, are refused with their byte offset, line and column', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vmmi-enc-'));
  const file = join(dir, 'latin1.yaml');
  const text = testbed().replace('name: t', 'name: t\ndescription: "caf\u00e9"');
  const at = text.indexOf('caf') + 3;
  const latin1 = [Buffer.from(text.slice(0, at)), Buffer.from([0xe9]), Buffer.from(text.slice(at + 1))];
  writeFileSync(file, Buffer.concat(latin1));
  const r = await validateTestbedFile(file);
  expect(r.ok ? [] : r.issues).toEqual([expect.objectContaining({
    line: 2, col: 18, path: '', message: expect.stringContaining(`byte 0xe9 at byte offset ${at} is not UTF-8: save the testbed file as UTF-8`),
  })]);
  writeFileSync(file, Buffer.from([...Buffer.from(text.slice(0, 10)), 0xed, 0xa0, 0x80]));
  const sur = await validateTestbedFile(file);
  expect(sur.ok ? '' : sur.issues[0]?.message).toContain('byte 0xed at byte offset 10 is not UTF-8');
  writeFileSync(file, text.replace('name: t', 'name: t\0'));
  const nul = await validateTestbedFile(file);
  expect(nul.ok ? [] : nul.issues).toEqual([expect.objectContaining({
    line: 1, col: 8, message: expect.stringContaining('NUL byte at byte offset 7: a testbed file is text'),
  })]);
  expect(show(issuesOf(text.replace('site: s', 'site: "s\0"')))).toContain('NUL byte at byte offset');
  writeFileSync(file, text);
  expect((await validateTestbedFile(file, { env: { PW: 'pw-123456789' } })).ok).toBe(true);
});

test.describe('the size, depth and alias limits give the position where they were crossed', () => {
  test('file size', () => {
    const text = `${testbed()}description: "${'x'.repeat(300 * 1024)}"\n`;
    const [i] = issuesOf(text);
    expect(i?.message).toMatch(/^testbed file is \d+ bytes; the limit is 262144, crossed here/);
    expect([i?.line, i?.col]).toEqual([8, 262144 - text.indexOf('description') + 1]);
  });

  test('line count', () => {
    const text = `${testbed()}${'#\n'.repeat(6000)}`;
    const [i] = issuesOf(text);
    expect(i?.message).toContain('testbed file has 6008 lines; the limit is 5000, crossed here');
    expect([i?.line, i?.col]).toEqual([5001, 1]);
  });

  test('nesting depth', () => {
    const text = `${testbed()}description: ${'['.repeat(80)}${']'.repeat(80)}\n`;
    const [i] = issuesOf(text);
    expect(i?.message).toContain('testbed nesting is 80 levels deep; the limit is 64, crossed here');
    expect([i?.line, i?.col]).toEqual([8, 13 + 65]);
  });

  test('alias count (an alias bomb)', () => {
    const text = `${testbed()}lab:
  a: &a [x, x, x, x, x, x, x, x, x, x]
  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
`;
    const [i] = issuesOf(text);
    expect(i?.message).toMatch(/^YAML: alias \*[ab] expands the document past 100 aliased nodes/);
    expect(i?.line).toBeGreaterThanOrEqual(10);
    expect(i?.col).toBeGreaterThan(1);
  });
});

test('a bad value in defaults or a group is reported once where it is written, naming who inherits it', () => {
  const text = `name: t
defaults:
  switch: { credentials: { username: u, password: "\${env:MISSING}" }, hostKey: { insecureAcceptAnyHostKey: true } }
groups:
  g: { role: tor, kind: eos, hostKey: { knownHosts: kh, fingerprint: "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU" } }
sites: { s: {} }
hypervisors: {}
switches:
  a: { group: g, site: s, address: 198.18.0.1 }
  b: { group: g, site: s, address: 198.18.0.2 }
  c: { role: core, kind: eos, site: s, address: 198.18.0.3, credentials: { username: own, password: "\${env:ALSO_MISSING}" } }
`;
  const issues = issuesOf(text, { env: {} });
  expect(show(issues).split('\n').sort()).toEqual([
    'defaults.switch.credentials.password: environment variable MISSING is not set (referenced as ${env:MISSING}) ' +
      '(inherited by switches.a, switches.b)',
    'groups.g.hostKey: give exactly one of knownHosts, fingerprint, insecureAcceptAnyHostKey (inherited by switches.a, ' +
      'switches.b)',
    'switches.c.credentials.password: environment variable ALSO_MISSING is not set (referenced as ${env:ALSO_MISSING})',
  ]);
  expect(issues.find((i) => i.path === 'defaults.switch.credentials.password')?.line).toBe(3);
  expect(issues.find((i) => i.path === 'groups.g.hostKey')?.line).toBe(5);
});

test('password authentication with an unverified host key is refused unless the device opts in', () => {
  const insecure = testbed().replace(/hostKey: \{ fingerprint: "[^"]+" \}/, 'hostKey: { insecureAcceptAnyHostKey: true }');
  expect(show(issuesOf(insecure))).toBe(
    'switches.a.hostKey: password authentication with insecureAcceptAnyHostKey would send the password to any host ' +
      'that answers at this address: pin the host key (knownHosts or fingerprint), authenticate with a privateKey, ' +
      'or accept the risk for this device only with allowPasswordWithInsecureHostKey: true on switches.a');
  expect(issuesOf(insecure.replace('address: 198.18.0.1,', 'address: 198.18.0.1, allowPasswordWithInsecureHostKey: true,')))
    .toEqual([]);
  // The opt-in is per device: in defaults or a group it is an unknown field.
  const inGroup = insecure.replace('sites:', 'defaults: { switch: { allowPasswordWithInsecureHostKey: true } }\nsites:');
  expect(show(issuesOf(inGroup))).toContain(
    'defaults.switch.allowPasswordWithInsecureHostKey: unknown field "allowPasswordWithInsecureHostKey"');
  // A private key with the insecure policy stays allowed (a throw-away lab), and so does a pinned key with a password.
  const dir = mkdtempSync(join(tmpdir(), 'vmmi-key-'));
  writeFileSync(join(dir, 'key'), 'key-material');
  expect(issuesOf(insecure.replace('password: "${env:PW}"', 'privateKey: "${file:key}"'), { dir })).toEqual([]);
  expect(issuesOf(testbed())).toEqual([]);
  // Traffic hosts are held to the same rule.
  const trafficHost = `${testbed()}trafficHosts:
  t: { kind: ssh, address: 198.18.0.7, credentials: { username: u, password: "\${env:PW}" },
       hostKey: { insecureAcceptAnyHostKey: true } }
`;
  expect(show(issuesOf(trafficHost))).toContain('trafficHosts.t.hostKey: password authentication with insecureAcceptAnyHostKey');
});
