/**
 * Keyword prefilter: one pass of an Aho-Corasick automaton over the raw bytes, folding ASCII case,
 * tells which keywords occur. Only the rules owning a keyword that occurs run their regular
 * expressions, so a file without any keyword costs one table walk.
 */
export interface KeywordMatcher {
  readonly keywords: readonly string[];
  /**
   * Record, per keyword (indexed like `keywords`), the offset of the last byte of its first and of
   * its last occurrence in `bytes` (`first` must be filled with -1). Returns how many distinct
   * keywords occur.
   */
  scan(bytes: Uint8Array, first: Int32Array, last: Int32Array): number;
}

function fold(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
}

export function buildKeywordMatcher(keywords: readonly string[]): KeywordMatcher {
  // Bytes that occur in no keyword share class 0: a narrow table stays in the CPU cache.
  const cls = new Uint8Array(256);
  let classes = 1;
  for (const kw of keywords) {
    for (const b of Buffer.from(kw, 'latin1')) {
      const f = fold(b);
      if (cls[f] === 0) cls[f] = classes++;
    }
  }
  for (let c = 0; c < 256; c++) cls[c] = cls[fold(c)]!;

  const edges: Map<number, number>[] = [new Map()];
  const outputs: number[][] = [[]];
  keywords.forEach((kw, k) => {
    let s = 0;
    for (const b of Buffer.from(kw, 'latin1')) {
      const c = cls[b]!;
      let next = edges[s]!.get(c);
      if (next === undefined) {
        next = edges.length;
        edges.push(new Map());
        outputs.push([]);
        edges[s]!.set(c, next);
      }
      s = next;
    }
    outputs[s]!.push(k);
  });
  const n = edges.length;
  const delta = new Int32Array(n * classes);
  const fail = new Int32Array(n);
  const order: number[] = [];
  for (let c = 0; c < classes; c++) {
    const t = edges[0]!.get(c);
    delta[c] = t ?? 0;
    if (t !== undefined) order.push(t);
  }
  // Breadth-first, so a state's failure link and outputs are complete before its children need them.
  for (let i = 0; i < order.length; i++) {
    const s = order[i]!;
    const f = fail[s]!;
    const out = outputs[s]!;
    for (const k of outputs[f]!) if (!out.includes(k)) out.push(k);
    for (let c = 0; c < classes; c++) {
      const t = edges[s]!.get(c);
      if (t !== undefined) {
        fail[t] = delta[f * classes + c]!;
        order.push(t);
        delta[s * classes + c] = t;
      } else {
        delta[s * classes + c] = delta[f * classes + c]!;
      }
    }
  }
  // Next states premultiplied by the row width; states that end a keyword are stored complemented
  // (negative), so the inner loop tests the value it already loaded instead of a second table.
  const table = new Int32Array(n * classes);
  for (let i = 0; i < table.length; i++) {
    const t = delta[i]!;
    table[i] = outputs[t]!.length > 0 ? ~(t * classes) : t * classes;
  }
  const frozen = outputs.map((o) => Int32Array.from(o));

  return {
    keywords,
    scan(bytes, first, last) {
      let s = 0;
      let found = 0;
      const len = bytes.length;
      for (let i = 0; i < len; i++) {
        const v = table[s + cls[bytes[i]!]!]!;
        if (v >= 0) {
          s = v;
          continue;
        }
        s = ~v;
        for (const k of frozen[(s / classes) | 0]!) {
          if (first[k] === -1) {
            first[k] = i;
            found++;
          }
          last[k] = i;
        }
      }
      return found;
    },
  };
}
