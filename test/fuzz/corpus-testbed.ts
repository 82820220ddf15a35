/**
 * Testbed-loader bad-input corpus: `validateTestbedText` on mutations of testbeds/local.yaml,
 * testbeds/examples/physical.yaml and test/fixtures/testbeds/good-mini.yaml (token and line mutations
 * that keep documents parseable deep enough to reach the schema and resolver, byte mutations,
 * truncations at every line, nesting and alias expansion). The loader's contract: it returns
 * `{ ok: false, issues }` for bad input (never throws), every issue has a non-empty message and none
 * carries a stack trace.
 *
 * `testbedNestingCorpus` holds the structure bombs at full size (10k levels, billion-laughs aliases).
 * It is separate because a YAML stack overflow can take the whole process down; the supervisor then
 * restarts a child per input, which is affordable for a few dozen inputs but not inside 10,000.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { validateTestbedText } from '../../src/inventory/load.js';
import type { Corpus, FuzzInput } from './harness.js';
import { previewText } from './harness.js';
import { mutateBytes, truncationPoints } from './mutate.js';
import { rngFor, type Rng } from './prng.js';
import { deepYaml, garbageText, mutateText, yamlAliasBomb, type YamlNest } from './text.js';

const ROOT = new URL('../../', import.meta.url);
/** Value given to `${env:VMMI_TEST_PW}` (good-mini's password reference). */
export const FUZZ_ENV: Readonly<Record<string, string>> = { VMMI_TEST_PW: 'fuzz-test-password-7f3a' };

export interface TestbedSeed {
  readonly name: string;
  /** Absolute path: relative `${file:...}` references resolve next to it. */
  readonly file: string;
  readonly text: string;
}

export function loadTestbedSeeds(): TestbedSeed[] {
  return ['testbeds/local.yaml', 'testbeds/examples/physical.yaml', 'test/fixtures/testbeds/good-mini.yaml'].map(
    (p) => {
      const file = fileURLToPath(new URL(p, ROOT));
      return { name: p, file, text: readFileSync(file, 'utf8') };
    },
  );
}

const STACK_LINE = /\n\s+at \S.*[(:]\d+/;

/** Checks the loader's result contract; returns a violation text or undefined. */
export function checkLoad(text: string, file: string): string | undefined {
  const r = validateTestbedText(text, file, { env: FUZZ_ENV });
  if (r.ok) return undefined;
  if (r.issues.length === 0) return 'ok:false with no issues';
  for (const i of r.issues) {
    if (typeof i.message !== 'string' || i.message.trim() === '') return `issue at "${i.path}" has an empty message`;
    if (STACK_LINE.test(i.message)) return `issue at "${i.path}" carries a stack trace: ${i.message.slice(0, 300)}`;
    if (typeof i.path !== 'string') return 'issue without a path';
  }
  return undefined;
}

function load(label: string, text: string, file: string): FuzzInput {
  return { label, preview: () => previewText(text), run: () => checkLoad(text, file) };
}

const NESTS: readonly YamlNest[] = ['flow-seq', 'flow-map', 'block-map', 'block-seq'];

/** Puts a nested value under `description:` of a valid testbed (a free-text field the schema reads). */
function nestInto(seed: TestbedSeed, kind: YamlNest, depth: number): string {
  const nested = deepYaml(kind, depth).trimEnd();
  const value = kind.startsWith('flow') ? ` ${nested}` : `\n${nested.split('\n').map((l) => `  ${l}`).join('\n')}`;
  return `${seed.text.replace(/^description:.*$/m, '')}\ndescription:${value}\n`;
}

export function testbedCorpus(seedValue = 0x7462_0001): Corpus {
  const seeds = loadTestbedSeeds();
  const enc = new TextEncoder();
  const donors = seeds.map((s) => enc.encode(s.text));
  return {
    name: 'testbed',
    seed: seedValue,
    allowedCodes: [],
    make(index) {
      // Fixed shapes at fixed indices: a secret file reference naming a directory, an alias to a
      // missing anchor (both rarely hit by chance).
      const mini = seeds[2] as TestbedSeed;
      if (index === 3)
        return load(
          'secret file reference to a directory',
          mini.text.replace('${env:VMMI_TEST_PW}', '${file:/}'),
          mini.file,
        );
      if (index === 4)
        return load('alias to a missing anchor', mini.text.replace(/^name: .*$/m, 'name: *missing'), mini.file);
      const rng = rngFor(seedValue, index);
      const seed = rng.pick(seeds);
      const r = index % 40;
      if (r < 28) {
        const m = mutateText(rng, seed.text);
        return load(`text mutate[${m.ops.join(',')}] of ${seed.name}`, m.text, seed.file);
      }
      if (r < 33) {
        const m = mutateBytes(rng, enc.encode(seed.text), { donors });
        return load(`byte mutate[${m.ops.join(',')}] of ${seed.name}`, new TextDecoder().decode(m.bytes), seed.file);
      }
      if (r < 37) {
        const lineStarts = [...seed.text.matchAll(/\n/g)].map((m) => (m.index ?? 0) + 1);
        const cut = rng.pick(truncationPoints(rng, seed.text.length, lineStarts));
        return load(`truncated at ${cut}/${seed.text.length} of ${seed.name}`, seed.text.slice(0, cut), seed.file);
      }
      return extreme(rng, seed, Math.floor(index / 40) * 3 + (r - 37));
    },
  };
}

function extreme(rng: Rng, seed: TestbedSeed, k: number): FuzzInput {
  switch (k % 6) {
    case 0: {
      const kind = rng.pick(NESTS);
      const depth = rng.range(2, 64);
      return load(`${kind} nesting ${depth} under description of ${seed.name}`, nestInto(seed, kind, depth), seed.file);
    }
    case 1:
      return load(`alias expansion 3x${rng.range(2, 9)} under description of ${seed.name}`,
        `${seed.text.replace(/^description:.*$/m, '')}\n${yamlAliasBomb(3, rng.range(2, 9), 'x-fuzz')}`, seed.file);
    case 2:
      return load('garbage', garbageText(rng, rng.range(0, 2000)), seed.file);
    case 3:
      return load(`valid-then-garbage ${seed.name}`, seed.text + garbageText(rng, rng.range(1, 200)), seed.file);
    case 4: {
      // Every top-level section replaced by a scalar, a list or null.
      const section = rng.pick([
        'sites',
        'hypervisors',
        'switches',
        'links',
        'subnets',
        'vms',
        'defaults',
        'lab',
        'groups',
      ]);
      const value = rng.pick(['~', '[]', '{}', '42', '"x"', '[1, 2]', '{a: 1}', '!!binary aGVsbG8=']);
      return load(
        `${section} replaced by ${value} in ${seed.name}`,
        seed.text.replace(new RegExp(`^${section}:`, 'm'), `${section}: ${value}\nx-old-${section}:`),
        seed.file,
      );
    }
    default: {
      const n = rng.range(10, 300);
      return load(
        `${n} extra map entries in ${seed.name}`,
        `${seed.text}\nx-many:\n${Array.from({ length: n }, (_, i) => `  k${i}: { home: hv1, mac: "52:54:00:00:00:01" }`).join('\n')}\n`,
        seed.file,
      );
    }
  }
}

/** Structure bombs at full size: each input is expected to be refused quickly as `{ ok: false }`. */
export function testbedNestingCorpus(seedValue = 0x7462_0002): Corpus {
  const seeds = loadTestbedSeeds();
  const cases: { label: string; text: (s: TestbedSeed) => string }[] = [];
  for (const kind of NESTS) {
    // Block styles indent one level per line, so 10k levels would be a 50-100 MB file: stop at 2k.
    for (const depth of kind.startsWith('flow') ? [1000, 10_000] : [1000, 2000]) {
      cases.push({ label: `${kind} nesting ${depth}`, text: () => deepYaml(kind, depth) });
      cases.push({ label: `${kind} nesting ${depth} under description`, text: (s) => nestInto(s, kind, depth) });
    }
  }
  for (const [levels, width] of [[5, 9], [7, 9], [9, 9], [12, 4]] as const) {
    cases.push({ label: `alias bomb ${width}^${levels}`, text: () => yamlAliasBomb(levels, width) });
    cases.push({ label: `alias bomb ${width}^${levels} under description`,
      text: (s) => `${s.text.replace(/^description:.*$/m, '')}\n${yamlAliasBomb(levels, width, 'description')}` });
  }
  for (const n of [2000, 11_000]) {
    cases.push({
      label: `map with ${n} keys`,
      text: (s) => `${s.text}\nx-many:\n${Array.from({ length: n }, (_, i) => `  k${i}: ${i}`).join('\n')}\n`,
    });
  }
  cases.push({
    label: 'merge-key chain 200',
    text: () =>
      `${Array.from({ length: 200 }, (_, i) => `m${i}: &m${i} { <<: ${i === 0 ? '{}' : `*m${i - 1}`}, k${i}: ${i} }`).join('\n')}\n`,
  });
  return {
    name: 'testbed-nesting',
    seed: seedValue,
    allowedCodes: [],
    make(index) {
      const c = cases[index % cases.length] ?? cases[0];
      const seed = seeds[index % seeds.length] as TestbedSeed;
      const text = (c as (typeof cases)[number]).text(seed);
      return load(`${(c as (typeof cases)[number]).label} (${seed.name})`, text, seed.file);
    },
  };
}

/** Number of distinct structure bombs (run each once). */
export function testbedNestingCount(): number {
  return 4 * 2 * 2 + 4 * 2 + 2 + 1;
}
