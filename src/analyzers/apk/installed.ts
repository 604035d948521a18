import type { Package } from '../types.ts';

/**
 * apk's installed database (`lib/apk/db/installed`): one stanza per package, stanzas separated by
 * blank lines, each line `<one-letter key>:<value>`. Keys read here: `P` name, `V` version, `A` arch,
 * `L` licence, `o` origin (source package), `m` maintainer, `D` depends, `p` provides, `F` directory,
 * `R` file in the last `F` directory. Every other key (`C` checksum, `S`/`I` sizes, `T`, `U`, `t`,
 * `c`, `a`/`M` ACLs, `Z` file checksum, `r`, `q`, `i`, `k`...) is ignored.
 */
export interface ApkProblem {
  code: 'APK_STANZA_INVALID';
  message: string;
  sample: string;
}

export interface ParsedApkDatabase {
  packages: Package[];
  problems: ApkProblem[];
}

// apk accepts these characters in names (apk_pkg_parse_name); bounded.
const NAME = /^[A-Za-z0-9_][A-Za-z0-9+_.-]{0,254}$/;
// pkgver: digits and dots, optional letter, suffixes (`_rc1`, `_git20230717`), optional `-r<N>`. Loose on purpose.
const VERSION = /^\d[0-9A-Za-z._+~-]{0,254}$/;
const ARCH = /^[A-Za-z0-9_-]{1,64}$/;
/** Longest free-text value (licence, maintainer) carried into the inventory. */
const MAX_TEXT = 1024;

interface RawStanza {
  line: number;
  malformed: number;
  name?: string;
  version?: string;
  arch?: string;
  license?: string;
  origin?: string;
  maintainer?: string;
  depends: string[];
  provides: string[];
  files: string[];
}

export function parseApkInstalled(text: string, path: string, maxPathBytes: number): ParsedApkDatabase {
  const raw = readStanzas(text, maxPathBytes);
  const out: ParsedApkDatabase = { packages: [], problems: [] };

  // Resolve `so:`, `cmd:`, `pc:` and virtual dependencies to the installed packages that provide them.
  const providers = new Map<string, Set<string>>();
  const installed = new Set<string>();
  const good: RawStanza[] = [];
  for (const s of raw) {
    const why = invalidReason(s);
    if (why) {
      out.problems.push({
        code: 'APK_STANZA_INVALID',
        message: `apk stanza skipped: ${why}`,
        sample: `${path}:${s.line}`,
      });
      continue;
    }
    good.push(s);
    installed.add(s.name!);
    for (const p of s.provides) {
      const set = providers.get(p) ?? new Set<string>();
      set.add(s.name!);
      providers.set(p, set);
    }
  }

  for (const s of good) {
    const name = s.name!;
    const version = s.version!;
    const pkg: Package = {
      type: 'apk',
      name,
      version,
      // No origin: the package is its own source (as apk and aports build it).
      source: { name: s.origin || name, version },
      licenses: s.license ? [s.license] : [],
      location: { path },
    };
    if (s.arch) pkg.arch = s.arch;
    if (s.maintainer) pkg.maintainer = s.maintainer;
    if (s.files.length > 0) pkg.files = s.files;
    const deps = new Set<string>();
    for (const d of s.depends) {
      if (installed.has(d)) deps.add(d);
      else {
        const by = providers.get(d);
        if (by && by.size > 0) for (const p of by) deps.add(p);
        else deps.add(d);
      }
    }
    deps.delete(name);
    if (deps.size > 0) pkg.dependsOn = [...deps];
    out.packages.push(pkg);
  }
  return out;
}

function invalidReason(s: RawStanza): string | undefined {
  if (s.name === undefined) return 'no P: (name)';
  if (!NAME.test(s.name)) return 'invalid name';
  if (s.version === undefined) return 'no V: (version)';
  if (!VERSION.test(s.version)) return 'invalid version';
  if (s.arch !== undefined && !ARCH.test(s.arch)) return 'invalid architecture';
  if ((s.license?.length ?? 0) > MAX_TEXT || (s.maintainer?.length ?? 0) > MAX_TEXT)
    return 'over-long licence or maintainer';
  if (s.malformed > 0) return 'unreadable lines';
  return undefined;
}

function readStanzas(text: string, maxPathBytes: number): RawStanza[] {
  const stanzas: RawStanza[] = [];
  let cur: RawStanza | undefined;
  let dir: string | undefined;
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let lineNo = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    lineNo++;
    let line = text.slice(start, end);
    start = end + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line === '') {
      cur = undefined;
      dir = undefined;
      continue;
    }
    if (!cur) {
      cur = { line: lineNo, malformed: 0, depends: [], provides: [], files: [] };
      stanzas.push(cur);
    }
    if (line.length < 2 || line.charCodeAt(1) !== 0x3a /* : */ || line.includes('\0')) {
      cur.malformed++;
      continue;
    }
    const value = line.slice(2);
    switch (line[0]) {
      case 'P':
        cur.name = value;
        break;
      case 'V':
        cur.version = value;
        break;
      case 'A':
        cur.arch = value;
        break;
      case 'L':
        if (value.trim()) cur.license = value.trim();
        break;
      case 'o':
        if (NAME.test(value)) cur.origin = value;
        break;
      case 'm':
        if (value.trim()) cur.maintainer = value.trim();
        break;
      case 'D':
        for (const d of value.split(/\s+/)) {
          const n = dependencyName(d);
          if (n) cur.depends.push(n);
        }
        break;
      case 'p':
        for (const p of value.split(/\s+/)) {
          const n = dependencyName(p);
          if (n) cur.provides.push(n);
        }
        break;
      case 'F':
        // `F:` with an empty value is the root directory (files directly under /).
        if (Buffer.byteLength(value) > maxPathBytes || value.includes('//')) {
          cur.malformed++;
          dir = undefined;
        } else dir = trimSlashes(value);
        break;
      case 'R': {
        if (value === '' || value.includes('/')) {
          cur.malformed++;
          break;
        }
        // apk itself refuses R: before any F:; treat it as the root rather than lose the package.
        const p = dir ? `${dir}/${value}` : value;
        if (Buffer.byteLength(p) <= maxPathBytes) cur.files.push(p);
        else cur.malformed++;
        break;
      }
      default:
        // Unknown and ignored keys.
        break;
    }
  }
  return stanzas;
}

function trimSlashes(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s.charCodeAt(a) === 0x2f) a++;
  while (b > a && s.charCodeAt(b - 1) === 0x2f) b--;
  return s.slice(a, b);
}

/** `so:libc.musl-x86_64.so.1=1` → `so:libc.musl-x86_64.so.1`; `musl>=1.2` → `musl`; conflicts (`!x`) → undefined. */
export function dependencyName(token: string): string | undefined {
  if (token === '' || token.startsWith('!')) return undefined;
  const m = /^([^<>=~]+)/.exec(token);
  const n = m?.[1];
  return n && n.length <= 512 ? n : undefined;
}
