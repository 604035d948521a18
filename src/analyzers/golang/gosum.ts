import { goSemverCompare } from '../../versioning/go/index.ts';
import { langPackage, plausible } from '../lang/common.ts';
import type { Package } from '../types.ts';

export interface GoSumFile {
  /** Module path → version → `h1:` hash of the module's code (its zip): modules whose code a build needed. */
  code: Map<string, Map<string, string>>;
  /** Module path → versions whose `go.mod` was read (`/go.mod` lines): modules in the module graph. */
  graph: Map<string, Set<string>>;
}

const GO_MOD_SUFFIX = '/go.mod';
// `h1:` is the only hash Go writes today; later algorithms would be `h2:` and so on.
const HASH = /^h[0-9]+:[A-Za-z0-9+/=]+$/;

/**
 * `go.sum`: one `module version[/go.mod] hash` line per checksum. A line that is not of that shape
 * is handed to `skip` (go itself refuses such a file; the rest of it is still worth listing).
 */
export function parseGoSum(text: string, skip: (line: string) => void): GoSumFile {
  const out: GoSumFile = { code: new Map(), graph: new Map() };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const f = line.split(/\s+/);
    const [path, rawVersion, hash] = f;
    if (f.length !== 3 || !path || !rawVersion || !hash || !HASH.test(hash)) {
      skip(line);
      continue;
    }
    const goMod = rawVersion.endsWith(GO_MOD_SUFFIX);
    const version = goMod ? rawVersion.slice(0, -GO_MOD_SUFFIX.length) : rawVersion;
    if (!plausible(path, 512) || !plausible(version, 256) || version[0] !== 'v') {
      skip(line);
      continue;
    }
    if (goMod) {
      const s = out.graph.get(path) ?? new Set<string>();
      out.graph.set(path, s.add(version));
    } else {
      const m = out.code.get(path) ?? new Map<string, string>();
      out.code.set(path, m.set(version, hash));
    }
  }
  return out;
}

/**
 * The modules whose code go.sum checks, one version each with its hash as `integrity`. A `/go.mod`
 * line alone means the module is in the graph but none of its code was built: not a package. When
 * go.sum checks the code of several versions of one module (leftovers of upgrades), minimal version
 * selection built the highest.
 */
export function goSumPackages(sum: GoSumFile, path: string, skip: (s: string) => void): Package[] {
  const out: Package[] = [];
  for (const [mod, versions] of sum.code) {
    let best: string | undefined;
    for (const v of versions.keys()) if (best === undefined || goSemverCompare(v, best) > 0) best = v;
    if (best === undefined) continue;
    const pkg = langPackage('golang', mod, best, path, { integrity: versions.get(best) ?? '' });
    if (pkg) out.push(pkg);
    else skip(`${mod} ${best}`);
  }
  return out;
}
