/**
 * Escaping for the HTML report (pure). Every string that comes from a device, a spec, a test name or
 * the testbed file passes through `esc` before it reaches markup; nothing is trusted. Data handed to a
 * `<script>` block goes through `jsonForScript`.
 */

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
};

/** Escapes text for element content and quoted attribute values alike. */
export function esc(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/**
 * JSON safe to place inside `<script type="application/json">`: `<`, `>`, `&` and the line separators
 * U+2028/U+2029 become `\uXXXX` escapes, so no value can close the script element, open a comment or
 * break a JavaScript string literal; `JSON.parse` of the element text returns the original data.
 */
export function jsonForScript(data: unknown): string {
  return JSON.stringify(data).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Template tag that escapes every interpolated value; use `raw()` for already-built markup. */
export function html(strings: TemplateStringsArray, ...values: readonly (string | number | Raw)[]): Raw {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += (v instanceof Raw ? v.value : esc(v)) + (strings[i + 1] ?? '');
  });
  return new Raw(out);
}

/** Markup that is already safe (built by `html` or by the renderers from escaped parts). */
export class Raw {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function raw(value: string): Raw {
  return new Raw(value);
}

export function join(parts: readonly Raw[], sep = ''): Raw {
  return new Raw(parts.map((p) => p.value).join(sep));
}
