/**
 * Secrets registered here are replaced by `***` in every string passed through `redact()`. Loggers,
 * error printers and report writers call it, so a resolved secret never reaches a file or a terminal.
 *
 * A secret of MIN_SUBSTRING_SECRET characters or more is replaced wherever it occurs. A shorter one is
 * replaced only where it stands as a whole value: between the start or end of the text, white space,
 * quotes or the punctuation that separates values (`= , ; : ( ) [ ] { } < >`). Replacing it inside longer
 * words would reveal it: with the password `vmmi`, `/etc/vmmi/pki` printed as `/etc/***\/pki` tells the
 * reader the password.
 */
export const MIN_SUBSTRING_SECRET = 8;
/** Shorter values are not registered: as whole values they are too common a word to hide anything. */
export const MIN_SECRET = 4;

const long = new Set<string>();
const short = new Map<string, RegExp>();
const BOUNDARY = `\\s"'\`=,;:()[\\]{}<>`;

/** Registers a resolved secret value (ignored when shorter than MIN_SECRET characters). */
export function registerSecret(value: string): void {
  if (value.length < MIN_SECRET) return;
  if (value.length >= MIN_SUBSTRING_SECRET) {
    long.add(value);
  } else if (!short.has(value)) {
    const escaped = value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    short.set(value, new RegExp(`(?<=^|[${BOUNDARY}])${escaped}(?=$|[${BOUNDARY}])`, 'g'));
  }
}

export function redact(text: string): string {
  let out = text;
  for (const s of long) if (out.includes(s)) out = out.split(s).join('***');
  for (const [s, re] of short) if (out.includes(s)) out = out.replace(re, '***');
  return out;
}

export function registeredSecretCount(): number {
  return long.size + short.size;
}
