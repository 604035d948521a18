import { parseElf, vaddrToOffset } from '../lang/elf.ts';

/** What `go version -m` prints: the toolchain, the main module, dependencies and build settings. */
export interface GoBuildInfo {
  goVersion: string;
  path?: string;
  main?: GoModule;
  deps: GoModule[];
  settings: Record<string, string>;
}

export interface GoModule {
  path: string;
  version: string;
  sum?: string;
  /** The module that replaced this one (`=>` line), when there is one. */
  replace?: GoModule;
}

// "\xff Go buildinf:" — 14 bytes, at a 16-byte aligned address of the .go.buildinfo section.
const MAGIC = Buffer.from('ff20476f206275696c64696e663a', 'hex');
const HEADER = 32;
/** The 16 bytes the linker puts around the module information string. */
const SENTINEL_LEN = 16;
/** Real module lists are a few hundred KB at most. */
const MAX_STRING = 4 * 1024 * 1024;

function uvarint(b: Buffer, at: number): [number, number] | undefined {
  let x = 0;
  let shift = 0;
  for (let i = 0; i < 10 && at + i < b.length; i++) {
    const c = b[at + i] as number;
    x += (c & 0x7f) * 2 ** shift;
    if (c < 0x80) return x > Number.MAX_SAFE_INTEGER ? undefined : [x, at + i + 1];
    shift += 7;
  }
  return undefined;
}

/**
 * Find and decode the build information blob. Go ≥ 1.18 stores the two strings inline after the
 * header (flag bit 2), in every executable format; older toolchains store pointers to Go string
 * headers, which are followed here for ELF files. Returns undefined when there is no (valid) blob.
 */
export function readBuildInfo(b: Buffer): GoBuildInfo | undefined {
  let at = b.indexOf(MAGIC);
  while (at >= 0 && at % 16 !== 0) at = b.indexOf(MAGIC, at + 1);
  if (at < 0 || at + HEADER > b.length) return undefined;
  const ptrSize = b[at + 14] as number;
  const flags = b[at + 15] as number;
  let version: string | undefined;
  let modinfo: string | undefined;
  if (flags & 2) {
    const v = uvarint(b, at + HEADER);
    if (!v || v[0] > MAX_STRING || v[1] + v[0] > b.length) return undefined;
    version = b.toString('utf8', v[1], v[1] + v[0]);
    const m = uvarint(b, v[1] + v[0]);
    if (!m || m[0] > MAX_STRING || m[1] + m[0] > b.length) return undefined;
    modinfo = b.toString('latin1', m[1], m[1] + m[0]);
  } else {
    if (ptrSize !== 4 && ptrSize !== 8) return undefined;
    const elf = parseElf(b);
    if (!elf) return undefined;
    const bigEndian = (flags & 1) === 1;
    const readPtr = (off: number): number | undefined => {
      if (off < 0 || off + ptrSize > b.length) return undefined;
      if (ptrSize === 4) return bigEndian ? b.readUInt32BE(off) : b.readUInt32LE(off);
      const v = bigEndian ? b.readBigUInt64BE(off) : b.readBigUInt64LE(off);
      return v > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(v);
    };
    const readString = (ptrAt: number): string | undefined => {
      const hdrAddr = readPtr(ptrAt);
      if (hdrAddr === undefined) return undefined;
      const hdr = vaddrToOffset(elf, hdrAddr, 2 * ptrSize);
      if (hdr === undefined) return undefined;
      const dataAddr = readPtr(hdr);
      const len = readPtr(hdr + ptrSize);
      if (dataAddr === undefined || len === undefined || len > MAX_STRING) return undefined;
      const data = vaddrToOffset(elf, dataAddr, len);
      return data === undefined ? undefined : b.toString('latin1', data, data + len);
    };
    version = readString(at + 16);
    modinfo = readString(at + 16 + ptrSize);
  }
  if (!version || (!version.startsWith('go') && !version.startsWith('devel'))) return undefined;
  return parseModinfo(version, modinfo ?? '');
}

/** The text `runtime/debug.ReadBuildInfo` parses: tab-separated `path`, `mod`, `dep`, `=>` and `build` lines. */
export function parseModinfo(goVersion: string, raw: string): GoBuildInfo {
  let text = raw;
  if (text.length >= 2 * SENTINEL_LEN + 1 && text[text.length - SENTINEL_LEN - 1] === '\n') {
    text = text.slice(SENTINEL_LEN, text.length - SENTINEL_LEN);
  }
  const info: GoBuildInfo = { goVersion, deps: [], settings: {} };
  let last: GoModule | undefined;
  for (const line of text.split('\n')) {
    const f = line.split('\t');
    const mod = (): GoModule | undefined => {
      if (!f[1]) return undefined;
      const m: GoModule = { path: f[1], version: f[2] ?? '' };
      if (f[3]) m.sum = f[3];
      return m;
    };
    switch (f[0]) {
      case 'path':
        if (f[1]) info.path = f[1];
        break;
      case 'mod':
        last = mod();
        if (last) info.main = last;
        break;
      case 'dep':
        last = mod();
        if (last) info.deps.push(last);
        break;
      case '=>': {
        const r = mod();
        if (r && last) last.replace = r;
        break;
      }
      case 'build': {
        const eq = (f[1] ?? '').indexOf('=');
        if (eq > 0) info.settings[(f[1] ?? '').slice(0, eq)] = (f[1] ?? '').slice(eq + 1);
        break;
      }
      default:
        break;
    }
  }
  return info;
}

/**
 * The toolchain as a module version (how OSV's Go records name the standard library): `go1.19.8`
 * → `v1.19.8`, `go1.21` → `v1.21.0`, `go1.21rc2` → `v1.21.0-rc.2`. Undefined for development builds.
 */
export function stdlibVersion(goVersion: string): string | undefined {
  const m = /^go(\d+)\.(\d+)(?:\.(\d+))?(?:(rc|beta)(\d+))?(?:\s|$|-|\+)/.exec(goVersion);
  if (!m) return undefined;
  const base = `v${m[1]}.${m[2]}.${m[3] ?? '0'}`;
  return m[4] ? `${base}-${m[4]}.${m[5]}` : base;
}
