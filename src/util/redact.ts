/**
 * Secrets registered here are replaced by `***` in every string passed through `redact()`. Loggers,
 * error printers and report writers call it, so a resolved secret never reaches a file or a terminal.
 */
const secrets = new Set<string>();

/** Registers a resolved secret value (ignored when shorter than 4 characters: too many false hits). */
export function registerSecret(value: string): void {
  if (value.length >= 4) secrets.add(value);
}

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join('***');
  return out;
}

export function registeredSecretCount(): number {
  return secrets.size;
}
