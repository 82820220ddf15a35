/**
 * Loads a testbed file: YAML with source positions (the sole yaml importer) → schema (phase 1) →
 * resolve (phase 2). Every problem is reported at once as `file:line:col  dotted.path: message`.
 * Secret references are resolved here (environment, files); resolved values are registered with the
 * redactor so they never reach a log, an error message or a report.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve as resolvePath } from 'node:path';
import { isMap, isNode, isScalar, LineCounter, parseDocument, visit, type Alias, type Document } from 'yaml';
import { InventoryError, type InventoryIssue } from '../errors/classes.js';
import { VmmiError } from '../errors/vmmi-error.js';
import { Secret } from '../model/secret.js';
import type { Testbed } from '../model/testbed.js';
import { registerSecret } from '../util/redact.js';
import { encodingProblem } from './encoding.js';
import { limitProblem } from './limits.js';
import { escapeControl } from './escape.js';
import { fmtPath } from './resolve-network.js';
import { resolveTestbed, type Issue, type Path, type SecretResolver } from './resolve.js';
import { parseRaw } from './schema.js';
import { readSecretFile, secretDirs } from './secret-file.js';

export interface LoadOptions {
  /** Environment for `${env:NAME}` (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Overrides `lab.dir`; default: env VMMI_LAB_DIR, else the file's value. */
  readonly labDir?: string;
  /** Overrides `lab.prefix`; default: env VMMI_LAB_PREFIX, else the file's value. */
  readonly labPrefix?: string;
}

export type ValidateResult = { ok: true; testbed: Testbed } | { ok: false; issues: InventoryIssue[] };

/** Loads and resolves a testbed file; throws InventoryError listing every problem. */
export async function loadTestbed(file: string, options: LoadOptions = {}): Promise<Testbed> {
  const r = await validateTestbedFile(file, options);
  if (!r.ok) throw new InventoryError(r.issues, { device: file, operation: 'load testbed' });
  return r.testbed;
}

export async function validateTestbedFile(file: string, options: LoadOptions = {}): Promise<ValidateResult> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new VmmiError('INVENTORY_READ', `cannot read testbed file: ${escapeControl((e as Error).message)}`, {
      device: escapeControl(file), hint: 'check the path (default testbed: testbeds/local.yaml)', cause: e,
    });
  }
  const bad = encodingProblem(bytes);
  if (bad !== undefined) {
    return { ok: false, issues: [escapeIssue({ file: shownName(file), line: bad.line, col: bad.col, path: '',
      message: bad.message })] };
  }
  return validateTestbedText(bytes.toString('utf8'), file, options);
}

/** 1-based line and column of a character offset. */
function lineCol(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, col: offset - start + 1 };
}

function shownName(file: string): string {
  return isAbsolute(file) ? relative(process.cwd(), file) || file : file;
}

export { MAX_NESTING, MAX_TESTBED_BYTES, MAX_TESTBED_LINES } from './limits.js';

/** Validates testbed text; `file` names it in messages and anchors relative `${file:...}` paths. */
export function validateTestbedText(text: string, file: string, options: LoadOptions = {}): ValidateResult {
  const r = validateUnescaped(text, file, options);
  return r.ok ? r : { ok: false, issues: r.issues.map(escapeIssue) };
}

/** An issue whose user-given parts (file name, keys in the path, quoted values) cannot drive the terminal. */
export function escapeIssue(i: InventoryIssue): InventoryIssue {
  return {
    ...i, path: escapeControl(i.path), message: escapeControl(i.message),
    ...(i.file === undefined ? {} : { file: escapeControl(i.file) }),
  };
}

function validateUnescaped(text: string, file: string, options: LoadOptions): ValidateResult {
  const shown = shownName(file);
  const tooBig = limitProblem(text);
  if (tooBig !== undefined) return { ok: false, issues: [{ file: shown, ...lineCol(text, tooBig.offset), path: '',
    message: tooBig.message }] };
  const bad = encodingProblem(new TextEncoder().encode(text));
  if (bad !== undefined) return { ok: false, issues: [{ file: shown, line: bad.line, col: bad.col, path: '',
    message: bad.message }] };
  const lc = new LineCounter();
  // Duplicate keys are found below in one pass: the parser's own check compares every pair of keys.
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: false, prettyErrors: false, strict: true });
  if (doc.errors.length > 0) {
    // Later YAML errors are mostly consequences of the first: report the first three.
    return { ok: false, issues: doc.errors.slice(0, 3).map((e) => {
      const pos = lc.linePos(e.pos[0]);
      return {
        file: shown,
        line: pos.line,
        col: pos.col,
        path: '',
        message: `YAML syntax: ${e.message.split('\n')[0] ?? e.code}`,
      };
    }) };
  }
  const dup = duplicateKey(doc);
  if (dup !== undefined) {
    const pos = lc.linePos(dup.offset);
    return {
      ok: false,
      issues: [
        {
          file: shown,
          line: pos.line,
          col: pos.col,
          path: '',
          message: `YAML syntax: Map keys must be unique ("${dup.key}" appears twice)`,
        },
      ],
    };
  }
  const at = (issues: readonly Issue[]): InventoryIssue[] =>
    issues.map((i) => ({ ...position(doc, lc, i.path), file: shown, path: fmtPath(i.path), message: i.message }));
  const converted = toJs(doc);
  if (!converted.ok) {
    const pos = converted.offset === undefined ? {} : lc.linePos(converted.offset);
    return { ok: false, issues: [{ file: shown, ...pos, path: '', message: converted.message }] };
  }
  const js = converted.js;
  const raw = parseRaw(js);
  if (!raw.ok) return { ok: false, issues: at(raw.issues) };
  const env = options.env ?? process.env;
  const r = resolveTestbed(raw.value, {
    file: shown,
    sha256: createHash('sha256').update(text).digest('hex'),
    resolvePath: (p) => resolvePath(dirname(resolvePath(file)), p),
    resolveSecret: fileEnvResolver(
      dirname(resolvePath(file)),
      env,
      options.labDir ?? env.VMMI_LAB_DIR ?? raw.value.lab?.dir,
    ),
    ...withDefined('labDir', options.labDir ?? env.VMMI_LAB_DIR),
    ...withDefined('labPrefix', options.labPrefix ?? env.VMMI_LAB_PREFIX),
  });
  return r.ok ? r : { ok: false, issues: at(r.issues) };
}

export const MAX_ALIAS_COUNT = 100;

/**
 * The document as plain values. Unresolved aliases and alias bombs surface from yaml as plain errors
 * without a position: the alias being resolved when it failed is tracked, so the issue points at it.
 */
function toJs(doc: Document): { ok: true; js: unknown } | { ok: false; offset?: number; message: string } {
  let current: Alias | undefined;
  visit(doc, {
    Alias(_, node) {
      const resolve = node.toJSON.bind(node);
      node.toJSON = (arg, ctx) => {
        const outer = current;
        current = node;
        const v = resolve(arg, ctx);
        current = outer;
        return v as unknown;
      };
    },
  });
  try {
    return { ok: true, js: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (e) {
    const offset = current?.range?.[0];
    const bomb = /Excessive alias count/.test((e as Error).message);
    return {
      ok: false, ...(offset === undefined ? {} : { offset }),
      message: bomb
        ? `YAML: alias *${current?.source ?? '?'} expands the document past ${MAX_ALIAS_COUNT} aliased nodes ` +
          '(an alias bomb, or aliases nested in aliases): write the values out or alias less'
        : `YAML: ${(e as Error).message}`,
    };
  }
}

function withDefined<K extends string>(k: K, v: string | undefined): Partial<Record<K, string>> {
  return v === undefined || v === '' ? {} : ({ [k]: v } as Record<K, string>);
}

/** The first key that appears twice in one mapping, with its source offset (linear in the document size). */
function duplicateKey(doc: Document): { key: string; offset: number } | undefined {
  let found: { key: string; offset: number } | undefined;
  visit(doc, {
    Map(_, map) {
      if (!isMap(map)) return undefined;
      const seen = new Set<string>();
      for (const pair of map.items) {
        const k = isScalar(pair.key) ? String(pair.key.value) : JSON.stringify(pair.key);
        if (seen.has(k)) {
          found = { key: k, offset: isNode(pair.key) ? (pair.key.range?.[0] ?? 0) : 0 };
          return visit.BREAK;
        }
        seen.add(k);
      }
      return undefined;
    },
  });
  return found;
}

/** Line/column of the deepest existing node on `path` (a missing field points at its parent). */
function position(doc: Document, lc: LineCounter, path: Path): { line?: number; col?: number } {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range !== undefined && node.range !== null) {
      const p = lc.linePos(node.range[0]);
      return { line: p.line, col: p.col };
    }
  }
  return {};
}

const REF = /^\$\{(env|file):([^}]+)\}$/;

/**
 * `${env:NAME}` must be set at load. `${file:path}` must exist at load, except below the lab's state
 * directory: the emulated lab writes those files (keys) at `lab up`, so they are read on first use.
 * Files are read only inside `baseDir`, the lab directory and env VMMI_SECRET_DIRS (secret-file.ts).
 */
export function fileEnvResolver(
  baseDir: string,
  env: Readonly<Record<string, string | undefined>>,
  labDir?: string,
): SecretResolver {
  return (ref) => {
    const m = REF.exec(ref);
    if (m === null) return { ok: false, message: `malformed secret reference ${ref}` };
    const [, kind, arg = ''] = m;
    if (kind === 'env') {
      const v = env[arg];
      if (v === undefined || v === '')
        return { ok: false, message: `environment variable ${arg} is not set (referenced as ${ref})` };
      registerSecret(v);
      return { ok: true, secret: new Secret(ref, v) };
    }
    const path = resolvePath(baseDir, arg);
    const allowedDirs = secretDirs([baseDir, labDir], env);
    const underLab = labDir !== undefined && path.startsWith(`${labDir}/`);
    const read = (): string => {
      const raw = readSecretFile(path, ref, {
        allowedDirs, ...(underLab ? { missingHint: 'bring the lab up first (vmmi lab up)' } : {}),
      });
      // A password file written with `echo` ends in a newline that is not part of the secret (keys keep theirs).
      const v = raw.includes('-----BEGIN ') ? raw : raw.replace(/\r?\n$/, '');
      registerSecret(v);
      return v;
    };
    // Below the lab's state directory: made by `vmmi lab up`, made anew when the lab is rebuilt.
    if (underLab) return { ok: true, secret: new Secret(ref, read, { reread: true }) };
    try {
      return { ok: true, secret: new Secret(ref, read()) };
    } catch (e) {
      return { ok: false, message: (e as Error).message };
    }
  };
}
