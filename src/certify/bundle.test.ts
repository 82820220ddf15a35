import { expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleOk, checkBundle, listBundle, writeSums } from './bundle.js';
import { verifyBundle } from './bundle-verify.js';
import { signFile } from './ssh-sign.js';
import { parseSums, renderSums, unsafePath } from './sums.js';

let root = '';
test.beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vmmi-bundle-'));
});
test.afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A bundle folder with a report subfolder, hashed. */
async function bundle(name: string): Promise<string> {
  const dir = join(root, name);
  await mkdir(join(dir, 'report'), { recursive: true });
  await writeFile(join(dir, 'report/runs.csv'), 'run_id,scenario\nr1,cross-subnet\n');
  await writeFile(join(dir, 'report/index.html'), '<!doctype html><title>r</title>');
  await writeFile(join(dir, 'verdicts.csv'), 'scenario,outcome\ncross-subnet,pass\n');
  await writeFile(join(dir, 'profile.yaml'), 'name: x\n');
  await writeSums(dir);
  return dir;
}

test('SHA256SUMS: sha256sum format, sorted; unsafe paths refused when written and when read', () => {
  const h = 'a'.repeat(64);
  expect(renderSums([{ path: 'b.csv', sha256: h }, { path: 'a/x.csv', sha256: h }]))
    .toBe(`${h}  a/x.csv\n${h}  b.csv\n`);
  for (const bad of ['../x', 'a/../../x', '/etc/passwd', 'a\\b', 'a//b', './a', 'a\nb']) {
    expect(unsafePath(bad), bad).toBeDefined();
    expect(() => renderSums([{ path: bad, sha256: h }])).toThrow();
  }
  const parsed = parseSums(`${h}  ok.csv\n${h}  ../outside\n${h} */abs\nnonsense\n${h}  ok.csv\n`);
  expect(parsed.entries).toEqual([{ path: 'ok.csv', sha256: h }]);
  expect(parsed.problems).toEqual([
    'SHA256SUMS line 2: ".." in the path ("../outside"), refused',
    'SHA256SUMS line 3: absolute path ("/abs"), refused',
    'SHA256SUMS line 4: not "<sha256>  <path>"',
    'SHA256SUMS line 5: ok.csv listed twice',
  ]);
});

test('sha256sum -c agrees with the SHA256SUMS vmmi writes', async () => {
  const dir = await bundle('coreutils');
  const out = execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir, encoding: 'utf8' });
  expect(out.trim().split('\n').sort()).toEqual(['profile.yaml: OK', 'report/index.html: OK', 'report/runs.csv: OK',
    'verdicts.csv: OK']);
});

test('a changed, a missing and an extra file are each named; an intact bundle passes', async () => {
  const dir = await bundle('tamper');
  expect(bundleOk(await checkBundle(dir))).toBe(true);
  await appendFile(join(dir, 'report/runs.csv'), 'x');
  await unlink(join(dir, 'verdicts.csv'));
  await writeFile(join(dir, 'report/extra.txt'), 'not listed');
  const c = await checkBundle(dir);
  expect(c).toMatchObject({ checked: 4, differs: ['report/runs.csv'], missing: ['verdicts.csv'],
    extra: ['report/extra.txt'], refused: [] });
  expect(bundleOk(c)).toBe(false);
});

test('symbolic links are never followed; a ".." line in SHA256SUMS is refused without opening it', async () => {
  const dir = await bundle('links');
  const outside = join(root, 'outside.txt');
  await writeFile(outside, 'secret');
  await unlink(join(dir, 'profile.yaml'));
  await symlink(outside, join(dir, 'profile.yaml'));
  await symlink(root, join(dir, 'up'));
  expect((await listBundle(dir)).others.map((o) => o.path).sort()).toEqual(['profile.yaml', 'up']);
  const sums = await readFile(join(dir, 'SHA256SUMS'), 'utf8');
  const h = (/^([0-9a-f]{64})/.exec(sums) as RegExpExecArray)[1] as string;
  await writeFile(join(dir, 'SHA256SUMS'), `${sums}${h}  ../outside.txt\n`);
  const c = await checkBundle(dir);
  expect(c.missing).toEqual(['profile.yaml (a symbolic link, not followed)']);
  expect(c.extra).toEqual(['up (symbolic link (not followed))']);
  expect(c.refused).toEqual(['SHA256SUMS line 5: ".." in the path ("../outside.txt"), refused']);
  await expect(writeSums(dir)).rejects.toThrow(/symbolic link/);
});

test('ssh-keygen -Y sign/verify round trip: the right key passes, another key fails on the signature', async () => {
  const keys = join(root, 'keys');
  await mkdir(keys);
  for (const k of ['lab', 'other']) {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${k}@vmmi`, '-f', join(keys, k)]);
  }
  const signers = async (k: string): Promise<string> => {
    const file = join(keys, `${k}.allowed`);
    await writeFile(file, `${k}@vmmi namespaces="vmmi-certificate" ${(await readFile(join(keys, `${k}.pub`), 'utf8')).trim()}\n`);
    return file;
  };
  const dir = await bundle('signed');
  expect(await signFile(join(dir, 'SHA256SUMS'), join(keys, 'lab'))).toBe(join(dir, 'SHA256SUMS.sig'));
  const good = await verifyBundle(dir, await signers('lab'));
  expect(good.ok, good.lines.join('\n')).toBe(true);
  expect(good.signature.principal).toBe('lab@vmmi');
  const wrong = await verifyBundle(dir, await signers('other'));
  expect(wrong.ok).toBe(false);
  expect(wrong.files && bundleOk(wrong.files)).toBe(true);
  expect(wrong.lines.at(-1)).toMatch(/^signature: BAD: no principal in .*other\.allowed holds the key/);
  // naming the principal does not help the wrong key either: ssh-keygen itself refuses
  const named = await verifyBundle(dir, await signers('other'), { principal: 'other@vmmi' });
  expect(named.ok).toBe(false);
  expect(named.lines.at(-1)).toMatch(/^signature: BAD: /);
  // a tampered file is named even though the signature over SHA256SUMS still holds
  await appendFile(join(dir, 'report/runs.csv'), '1');
  const tampered = await verifyBundle(dir, await signers('lab'));
  expect(tampered.ok).toBe(false);
  expect(tampered.lines).toContain('differs: report/runs.csv');
  // an edited SHA256SUMS breaks the signature
  await writeFile(join(dir, 'SHA256SUMS'), (await readFile(join(dir, 'SHA256SUMS'), 'utf8')).replace(/^./, (c) => (c === '0' ? '1' : '0')));
  const resummed = await verifyBundle(dir, await signers('lab'));
  expect(resummed.signature.ok).toBe(false);
});
