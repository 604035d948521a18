/**
 * Glob match with `*` (any run of characters, `/` included) and `?` (one character), anchored at both
 * ends; every other character matches itself. Iterative with one backtrack point, so a hostile
 * pattern such as `*a*a*a*a*b` costs O(pattern × text), never exponential time.
 */
export function globMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    const c = pattern[p];
    if (c === '*') {
      starP = p++;
      starT = t;
    } else if (c !== undefined && (c === '?' || c === text[t])) {
      p++;
      t++;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else return false;
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}
