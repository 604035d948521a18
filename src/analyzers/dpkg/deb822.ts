/**
 * A small deb822 reader (the format of dpkg's status database, distroless `status.d/` files and
 * machine-readable copyright files). Stanzas are separated by blank lines; a field is `Name: value`
 * and continues on lines that start with a space or a tab. Field names are case-insensitive and kept
 * lower-cased here. The reader is linear in the input and never throws: lines it cannot read are
 * counted on the stanza so the caller can skip it and report it.
 */
export interface Deb822Stanza {
  /** Lower-cased field name → value. The first line is trimmed; continuation lines follow after `\n`, as written minus the leading space. */
  fields: Map<string, string>;
  /** Lines that were neither a field, a continuation nor a comment. */
  malformed: number;
  /** 1-based line number of the first line of the stanza (for warnings). */
  line: number;
}

// A field name: printable US-ASCII other than ':' and space, not starting with '#' or '-' (deb822(5)).
const FIELD_NAME = /^[!-9;-~]+$/;

export function parseDeb822(text: string): Deb822Stanza[] {
  const stanzas: Deb822Stanza[] = [];
  let current: Deb822Stanza | undefined;
  // The field that continuation lines extend; undefined after a malformed line or a duplicate field.
  let lastField: string | undefined;
  let start = 0;
  // A byte-order mark at the very start is not part of the first field name.
  if (text.charCodeAt(0) === 0xfeff) start = 1;
  let lineNo = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    lineNo++;
    let line = text.slice(start, end);
    start = end + 1;
    // Files written on Windows (or by careless tools) end lines with CRLF.
    if (line.endsWith('\r')) line = line.slice(0, -1);

    if (isBlank(line)) {
      current = undefined;
      lastField = undefined;
      continue;
    }
    const c0 = line.charCodeAt(0);
    if (c0 === 0x20 || c0 === 0x09) {
      // Continuation line.
      if (current && lastField !== undefined) {
        const prev = current.fields.get(lastField) ?? '';
        current.fields.set(lastField, `${prev}\n${line.slice(1)}`);
      } else if (current) {
        current.malformed++;
      } else {
        current = { fields: new Map(), malformed: 1, line: lineNo };
        stanzas.push(current);
      }
      continue;
    }
    if (!current) {
      current = { fields: new Map(), malformed: 0, line: lineNo };
      stanzas.push(current);
    }
    if (c0 === 0x23 /* # */) {
      // Comment lines are allowed in copyright files and control files; they never carry data.
      lastField = undefined;
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (colon <= 0 || name.charCodeAt(0) === 0x2d /* - */ || !FIELD_NAME.test(name)) {
      current.malformed++;
      lastField = undefined;
      continue;
    }
    const key = name.toLowerCase();
    if (current.fields.has(key)) {
      // dpkg rejects duplicate fields; keep the first value and ignore the rest of this one.
      current.malformed++;
      lastField = undefined;
      continue;
    }
    current.fields.set(key, line.slice(colon + 1).trim());
    lastField = key;
  }
  return stanzas;
}

function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09) return false;
  }
  return true;
}

/** The first line of a field value (the part on the `Name:` line). */
export function firstLine(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const nl = value.indexOf('\n');
  return (nl === -1 ? value : value.slice(0, nl)).trim();
}
