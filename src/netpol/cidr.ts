/**
 * IPv4 and IPv6 addresses and CIDR blocks as bigint intervals, and the split of the address space
 * into the blocks that every `ipBlock` of the input treats alike.
 */
import { isIP } from 'node:net';

export type Family = 4 | 6;

export interface Cidr {
  family: Family;
  /** First and last address, inclusive. */
  lo: bigint;
  hi: bigint;
  /** As written (normalised: `10.0.0.0/8`). */
  text: string;
}

const BITS: Record<Family, number> = { 4: 32, 6: 128 };

export function parseIp(s: string): { family: Family; value: bigint } | undefined {
  const f = isIP(s);
  if (f === 4) {
    let v = 0n;
    for (const part of s.split('.')) v = (v << 8n) | BigInt(Number(part));
    return { family: 4, value: v };
  }
  if (f === 6) {
    let text = s;
    // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
    const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
    if (v4?.[1]) {
      const p = parseIp(v4[1]);
      if (!p) return undefined;
      text = `${text.slice(0, -v4[1].length)}${(p.value >> 16n).toString(16)}:${(p.value & 0xffffn).toString(16)}`;
    }
    const [head = '', tail] = text.split('::');
    const h = head === '' ? [] : head.split(':');
    const t = tail === undefined || tail === '' ? [] : tail.split(':');
    const fill = tail === undefined ? 0 : 8 - h.length - t.length;
    const groups = [...h, ...Array(fill).fill('0'), ...t];
    if (groups.length !== 8) return undefined;
    let v = 0n;
    for (const g of groups) v = (v << 16n) | BigInt(Number.parseInt(g, 16));
    return { family: 6, value: v };
  }
  return undefined;
}

/** Parse `a.b.c.d/n` or `x::/n`; returns an error message for anything else. */
export function parseCidr(s: string): Cidr | string {
  const slash = s.indexOf('/');
  if (slash < 0) return `"${s}" is not a CIDR (no prefix length)`;
  const ip = parseIp(s.slice(0, slash));
  const lenText = s.slice(slash + 1);
  if (!ip) return `"${s}" is not a CIDR (bad address)`;
  const bits = BITS[ip.family];
  if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > bits) return `"${s}" is not a CIDR (bad prefix length)`;
  const len = Number(lenText);
  const hostBits = BigInt(bits - len);
  const lo = (ip.value >> hostBits) << hostBits;
  const hi = lo + (1n << hostBits) - 1n;
  return { family: ip.family, lo, hi, text: `${formatIp(ip.family, lo)}/${len}` };
}

export function formatIp(family: Family, v: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((v >> BigInt(i * 16)) & 0xffffn).toString(16));
  // Compress the longest run of zero groups.
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

export function universe(family: Family): Cidr {
  const hi = (1n << BigInt(BITS[family])) - 1n;
  return { family, lo: 0n, hi, text: family === 4 ? '0.0.0.0/0' : '::/0' };
}

export function contains(outer: Cidr, inner: { family: Family; lo: bigint; hi: bigint }): boolean {
  return outer.family === inner.family && outer.lo <= inner.lo && inner.hi <= outer.hi;
}

export function containsIp(c: Cidr, ip: { family: Family; value: bigint }): boolean {
  return c.family === ip.family && c.lo <= ip.value && ip.value <= c.hi;
}

/** Private, loopback, link-local, CGNAT and ULA space: addresses that are not "the internet". */
const NON_PUBLIC = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '100.64.0.0/10',
  'fc00::/7',
  'fe80::/10',
  '::1/128',
].map((s) => parseCidr(s) as Cidr);

/** Whether an interval holds any public (internet-routable) address. */
export function hasPublicAddress(i: { family: Family; lo: bigint; hi: bigint }): boolean {
  // Subtract every non-public block and see what is left.
  let parts: [bigint, bigint][] = [[i.lo, i.hi]];
  for (const np of NON_PUBLIC) {
    if (np.family !== i.family) continue;
    const next: [bigint, bigint][] = [];
    for (const [lo, hi] of parts) {
      if (hi < np.lo || lo > np.hi) next.push([lo, hi]);
      else {
        if (lo < np.lo) next.push([lo, np.lo - 1n]);
        if (hi > np.hi) next.push([np.hi + 1n, hi]);
      }
    }
    parts = next;
  }
  return parts.length > 0;
}

/** Split [lo, hi] into the fewest CIDR blocks. */
export function rangeToCidrs(family: Family, lo: bigint, hi: bigint): Cidr[] {
  const bits = BigInt(BITS[family]);
  const out: Cidr[] = [];
  let cur = lo;
  while (cur <= hi) {
    let size = 0n;
    while (size < bits) {
      const next = size + 1n;
      const block = 1n << next;
      if (cur % block !== 0n || cur + block - 1n > hi) break;
      size = next;
    }
    const end = cur + (1n << size) - 1n;
    out.push({ family, lo: cur, hi: end, text: `${formatIp(family, cur)}/${bits - size}` });
    cur = end + 1n;
  }
  return out;
}
