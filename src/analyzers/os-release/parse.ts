/**
 * Readers for the files that name an operating system: os-release(5) (`KEY=value` with shell-style
 * quoting), `lsb-release` (same syntax), and the one-line release files of the distributions.
 */

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface EnvFile {
  values: Map<string, string>;
  /** Lines that were not an assignment, a comment or blank. */
  malformed: number;
}

/**
 * Parse an os-release style file. Per os-release(5): one `KEY=value` per line, `#` comments, values
 * optionally in single quotes (literal) or double quotes (where `\` escapes `"`, `\`, `$`, `` ` ``);
 * outside quotes a backslash escapes the next character. Quoted parts may be concatenated, as in a
 * shell. Trailing whitespace outside quotes is dropped. A value may not span lines (an unterminated
 * quote ends at the end of its line): the specification forbids multi-line values, and stopping at
 * the line keeps one bad line from swallowing the rest of the file.
 */
export function parseEnvFile(text: string): EnvFile {
  const out: EnvFile = { values: new Map(), malformed: 0 };
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const eq = trimmed.indexOf('=');
    const key = eq > 0 ? trimmed.slice(0, eq).trimEnd() : '';
    if (!KEY.test(key)) {
      out.malformed++;
      continue;
    }
    const value = unquote(trimmed.slice(eq + 1).trimStart());
    if (value === undefined) {
      out.malformed++;
      continue;
    }
    // The last assignment wins, as when a shell sources the file.
    out.values.set(key, value);
  }
  return out;
}

function unquote(raw: string): string | undefined {
  // Pieces are collected and joined once: appending a character at a time is quadratic-ish on huge lines.
  const parts: string[] = [];
  let pendingSpace = '';
  let i = 0;
  const emit = (s: string): void => {
    if (pendingSpace) parts.push(pendingSpace);
    pendingSpace = '';
    parts.push(s);
  };
  while (i < raw.length) {
    const c = raw[i]!;
    if (c === "'") {
      const close = raw.indexOf("'", i + 1);
      if (close === -1) return undefined;
      emit(raw.slice(i + 1, close));
      i = close + 1;
    } else if (c === '"') {
      const pieces: string[] = [];
      let j = i + 1;
      let run = j;
      for (; j < raw.length; j++) {
        const d = raw[j];
        if (d === '"') break;
        if (d === '\\' && j + 1 < raw.length && '"\\$`'.includes(raw[j + 1]!)) {
          pieces.push(raw.slice(run, j));
          j++;
          run = j;
        }
      }
      if (j >= raw.length) return undefined;
      pieces.push(raw.slice(run, j));
      emit(pieces.join(''));
      i = j + 1;
    } else if (c === '\\') {
      emit(raw.slice(i + 1, i + 2));
      i += 2;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      // Whitespace outside quotes is kept only when something follows it; a CR is never kept.
      if (c !== '\r') pendingSpace += c;
      i++;
    } else {
      let j = i + 1;
      while (j < raw.length && !' \t\r\'"\\'.includes(raw[j]!)) j++;
      emit(raw.slice(i, j));
      i = j;
    }
  }
  return parts.join('');
}

/** What a one-line release file says (`Rocky Linux release 9.3 (Blue Onyx)`). */
export interface ReleaseLine {
  family: string;
  version: string;
  codename?: string;
  name: string;
}

/**
 * Families named by the text before ` release ` in the Red Hat style files. Order matters: the
 * first prefix that matches wins. Oracle Linux ships a `redhat-release` that names RHEL; the
 * `oracle-release` file and os-release outrank it.
 */
const RELEASE_PREFIXES: readonly (readonly [RegExp, string])[] = [
  [/^Red Hat Enterprise Linux/i, 'rhel'],
  [/^CentOS/i, 'centos'],
  [/^Fedora/i, 'fedora'],
  [/^Rocky Linux/i, 'rocky'],
  [/^AlmaLinux/i, 'almalinux'],
  [/^Oracle Linux/i, 'ol'],
  [/^Amazon Linux/i, 'amzn'],
];

/** Parse the first line of a Red Hat style release file (`<Name> release <version> [(<codename>)]`). */
export function parseReleaseLine(text: string): ReleaseLine | undefined {
  const line = firstNonEmptyLine(text);
  if (line === undefined || line.length > 256) return undefined;
  const m = /^(.*?)\s+release\s+(\d[0-9A-Za-z._-]*)(?:\s*\(([^()]{1,64})\))?/i.exec(line);
  if (!m) return undefined;
  const prefix = m[1]!;
  const family = RELEASE_PREFIXES.find(([re]) => re.test(prefix))?.[1];
  if (!family) return undefined;
  const out: ReleaseLine = { family, version: m[2]!, name: line };
  if (m[3] && family !== 'amzn') out.codename = m[3].trim();
  return out;
}

/** `VMware Photon OS 5.0` / `VMware Photon Linux 1.0` followed by `PHOTON_BUILD_NUMBER=...`. */
export function parsePhotonRelease(text: string): ReleaseLine | undefined {
  const line = firstNonEmptyLine(text);
  if (line === undefined || line.length > 256) return undefined;
  const m = /^VMware Photon (?:OS|Linux)\S*\s+(\d[0-9A-Za-z._-]*)/i.exec(line);
  if (!m) return undefined;
  return { family: 'photon', version: m[1]!, name: line };
}

/**
 * The old SUSE file: a title line (`SUSE Linux Enterprise Server 11 (x86_64)`, `openSUSE 13.2 (x86_64)`)
 * then `VERSION = 11`, `PATCHLEVEL = 4`, `CODENAME = Harlequin`. SLES versions are `<major>.<service pack>`,
 * as their os-release VERSION_ID.
 */
export function parseSuseRelease(text: string): ReleaseLine | undefined {
  const title = firstNonEmptyLine(text);
  if (title === undefined || title.length > 256) return undefined;
  const fields = new Map<string, string>();
  for (const line of text.slice(0, 4096).split('\n')) {
    const m = /^\s*([A-Z_]+)\s*=\s*(\S.*?)\s*$/.exec(line);
    if (m) fields.set(m[1]!, m[2]!);
  }
  const version = fields.get('VERSION');
  if (!version || !/^\d[0-9.]*$/.test(version)) return undefined;
  let family: string;
  if (/enterprise/i.test(title)) family = /desktop/i.test(title) ? 'sled' : 'sles';
  else if (/opensuse/i.test(title)) family = /leap/i.test(title) ? 'opensuse-leap' : 'opensuse';
  else return undefined;
  const patch = fields.get('PATCHLEVEL');
  const out: ReleaseLine = {
    family,
    version: patch && /^\d+$/.test(patch) && !version.includes('.') ? `${version}.${patch}` : version,
    name: title.replace(/\s*\([^()]*\)\s*$/, ''),
  };
  const codename = fields.get('CODENAME');
  if (codename) out.codename = codename;
  return out;
}

export function firstNonEmptyLine(text: string): string | undefined {
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  // Release files are one or a few short lines; never scan further than that.
  const limit = Math.min(text.length, 4096);
  while (start < limit) {
    let end = text.indexOf('\n', start);
    if (end === -1 || end > limit) end = limit;
    const line = text.slice(start, end).trim();
    if (line !== '') return line;
    start = end + 1;
  }
  return undefined;
}
