/**
 * A tiny tar reader for checking test inputs independently of Bollard's own (src/layer/tar.ts):
 * ustar with prefix, PAX `path`/`linkpath`/`size`, GNU long names. Whole buffer in memory: for
 * small fixtures only.
 */

export interface TarListEntry {
  name: string;
  /** '0' file, '1' hard link, '2' symlink, '5' directory, ... */
  type: string;
  size: number;
  linkname: string;
  mode: number;
  data: Buffer;
}

function cstr(b: Buffer, start: number, len: number): string {
  const s = b.subarray(start, start + len);
  const nul = s.indexOf(0);
  return s.subarray(0, nul === -1 ? s.length : nul).toString('utf8');
}

function num(b: Buffer, start: number, len: number): number {
  const s = cstr(b, start, len).trim();
  return s === '' ? 0 : Number.parseInt(s, 8);
}

function paxRecords(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    if (sp === -1) break;
    const len = Number(data.subarray(i, sp).toString('ascii'));
    if (!Number.isInteger(len) || len <= 0) break;
    const rec = data.subarray(sp + 1, i + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq > 0) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    i += len;
  }
  return out;
}

export function listTar(buf: Buffer): TarListEntry[] {
  const out: TarListEntry[] = [];
  let off = 0;
  let pax = new Map<string, string>();
  let longName: string | undefined;
  let longLink: string | undefined;
  while (off + 512 <= buf.length) {
    const h = buf.subarray(off, off + 512);
    if (h.every((x) => x === 0)) break;
    const type = String.fromCharCode(h[156] ?? 0x30) || '0';
    let size = num(h, 124, 12);
    if (pax.has('size')) size = Number(pax.get('size'));
    const data = buf.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      pax = paxRecords(data);
      continue;
    }
    if (type === 'g') continue;
    if (type === 'L') {
      longName = cstr(data, 0, data.length);
      continue;
    }
    if (type === 'K') {
      longLink = cstr(data, 0, data.length);
      continue;
    }
    const prefix = cstr(h, 345, 155);
    const base = cstr(h, 0, 100);
    const name = pax.get('path') ?? longName ?? (prefix ? `${prefix}/${base}` : base);
    const linkname = pax.get('linkpath') ?? longLink ?? cstr(h, 157, 100);
    out.push({ name, type: type === '\0' ? '0' : type, size, linkname, mode: num(h, 100, 8), data });
    pax = new Map();
    longName = undefined;
    longLink = undefined;
  }
  return out;
}
