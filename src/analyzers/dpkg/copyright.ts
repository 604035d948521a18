import { firstLine, parseDeb822 } from './deb822.ts';

/** A licence expression is a short line; anything longer is not one. */
const MAX_NAME = 256;

/**
 * Licences stated by a Debian `copyright` file.
 *
 * - A machine-readable file (DEP-5, copyright-format 1.0: a header stanza with `Format:`) yields the
 *   short name on the first line of every `License:` field, in every paragraph, deduplicated in order
 *   of appearance. Expressions (`GPL-2+ or Artistic`) are kept as written: normalising is not our job.
 * - Any other file yields the licences it names by reference to `/usr/share/common-licenses/<NAME>`,
 *   which Debian policy requires for licences shipped there. That is a fact in the file, not a guess
 *   from the prose. A file that names nothing yields nothing (never "unknown").
 */
export function licensesFromCopyright(text: string): string[] {
  if (isMachineReadable(text)) return dep5Licenses(text);
  return commonLicenseReferences(text);
}

/** DEP-5 files start with a header paragraph whose first field is `Format:` (or the draft's `Format-Specification:`). */
export function isMachineReadable(text: string): boolean {
  // Only the header matters; look at its start without splitting the whole file.
  const head = text.slice(0, 4096).replace(/^\uFEFF/, '');
  return /^(?:#[^\n]*\n)*(?:Format|Format-Specification)[ \t]*:/i.test(head);
}

function dep5Licenses(text: string): string[] {
  const out = new Set<string>();
  for (const stanza of parseDeb822(text)) {
    const name = firstLine(stanza.fields.get('license'));
    if (name && name.length <= MAX_NAME) out.add(name.replace(/\s+/g, ' '));
  }
  return [...out];
}

// A licence file name under common-licenses: starts alphanumeric; `.`, `+`, `-` and `_` inside; short.
const REFERENCE = /\/usr\/share\/common-licenses\/([A-Za-z0-9][A-Za-z0-9.+_-]{0,63})(?![A-Za-z0-9.+_-])/g;

function commonLicenseReferences(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(REFERENCE)) {
    // "... in /usr/share/common-licenses/GPL-2." ends a sentence: the dot is not part of the name.
    const name = m[1]!.replace(/[.]+$/, '');
    if (name) out.add(name);
  }
  return [...out];
}
