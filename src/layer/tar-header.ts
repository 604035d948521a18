import { BollardError } from '../util/errors.ts';

/**
 * Decoding of tar header blocks (ustar, GNU, PAX), shared by the streaming layer reader (tar.ts)
 * and the random-access archive index (artifact/tar-index.ts). Every function is strict: a field
 * that does not decode throws ARCHIVE_INVALID; callers add where it happened.
 */
export const TAR_BLOCK = 512;

export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'dir' | 'char' | 'block' | 'fifo' | 'other';

export function isZeroBlock(b: Buffer): boolean {
  if (b[0] !== 0 || b[148] !== 0) return false; // a real header has a name and a checksum
  for (let i = 0; i < TAR_BLOCK; i++) if (b[i] !== 0) return false;
  return true;
}

/** The checksum counts its own field as spaces; some old writers summed signed bytes, so accept both. */
export function checksumOk(b: Buffer): boolean {
  let stored: number;
  try {
    stored = readTarNumber(b, 148, 8);
  } catch {
    return false;
  }
  let sum = 8 * 0x20;
  for (let i = 0; i < 148; i++) sum += b[i]!;
  for (let i = 156; i < TAR_BLOCK; i++) sum += b[i]!;
  if (stored === sum) return true;
  let signed = 8 * 0x20;
  for (let i = 0; i < TAR_BLOCK; i++) if (i < 148 || i >= 156) signed += b[i]! > 127 ? b[i]! - 256 : b[i]!;
  return stored === signed;
}

/** An octal field (space/NUL padded) or a GNU base-256 one (high bit set), as a safe integer. */
export function readTarNumber(b: Buffer, offset: number, length: number): number {
  const first = b[offset]!;
  if (first & 0x80) {
    if (first === 0xff) throw new BollardError('ARCHIVE_INVALID', 'tar header has a negative number');
    let v = first & 0x7f;
    for (let i = 1; i < length; i++) {
      v = v * 256 + b[offset + i]!;
      if (v > Number.MAX_SAFE_INTEGER) throw new BollardError('ARCHIVE_INVALID', 'tar header number is too large');
    }
    return v;
  }
  let v = 0;
  let i = offset;
  const end = offset + length;
  while (i < end && (b[i] === 0x20 || b[i] === 0)) i++;
  for (; i < end; i++) {
    const c = b[i]!;
    if (c === 0x20 || c === 0) break;
    if (c < 0x30 || c > 0x37) throw new BollardError('ARCHIVE_INVALID', 'tar header has a malformed octal number');
    v = v * 8 + (c - 0x30);
  }
  return v;
}

export function cString(b: Buffer): string {
  const nul = b.indexOf(0);
  return b.toString('utf8', 0, nul < 0 ? b.length : nul);
}

/** The entry name, joined with the ustar prefix field (POSIX ustar only: GNU keeps other data there). */
export function headerName(h: Buffer): string {
  const name = cString(h.subarray(0, 100));
  if (h.toString('latin1', 257, 263) !== 'ustar\u0000') return name;
  const prefix = cString(h.subarray(345, 500));
  return prefix ? `${prefix}/${name}` : name;
}

export function headerLinkname(h: Buffer): string {
  return cString(h.subarray(157, 257));
}

export function headerFlag(h: Buffer): string {
  return String.fromCharCode(h[156] ?? 0);
}

export function entryType(flag: string): TarEntryType {
  switch (flag) {
    case '0':
    case '\u0000':
    case '7':
      return 'file';
    case '1':
      return 'hardlink';
    case '2':
      return 'symlink';
    case '3':
      return 'char';
    case '4':
      return 'block';
    case '5':
    case 'D': // GNU dump directory
      return 'dir';
    case '6':
      return 'fifo';
    default:
      return 'other';
  }
}

/** PAX extended header records: `<len> <key>=<value>\n`, each length counting the whole record. */
export function parsePaxRecords(data: Buffer, into: Map<string, string> = new Map()): Map<string, string> {
  let i = 0;
  while (i < data.length) {
    if (data[i] === 0) break; // NUL padding after the last record
    const space = data.indexOf(0x20, i);
    if (space < 0 || space - i > 10) throw paxInvalid();
    const lenText = data.toString('latin1', i, space);
    if (!/^\d+$/.test(lenText)) throw paxInvalid();
    const len = Number(lenText);
    if (len <= space - i + 1 || i + len > data.length || data[i + len - 1] !== 0x0a) throw paxInvalid();
    const record = data.toString('utf8', space + 1, i + len - 1);
    const eq = record.indexOf('=');
    if (eq <= 0) throw paxInvalid();
    into.set(record.slice(0, eq), record.slice(eq + 1));
    i += len;
  }
  return into;
}

/** A numeric PAX value (size, uid, gid), as a safe non-negative integer. */
export function paxNumber(m: ReadonlyMap<string, string>, key: string): number | undefined {
  const v = m.get(key);
  if (v === undefined) return undefined;
  if (!/^\d{1,16}$/.test(v) || !Number.isSafeInteger(Number(v))) {
    throw new BollardError('ARCHIVE_INVALID', `tar PAX ${key} is not a valid number`);
  }
  return Number(v);
}

function paxInvalid(): BollardError {
  return new BollardError('ARCHIVE_INVALID', 'tar PAX header is malformed');
}
