import { inflateSync } from 'node:zlib';
import type { LayerEntry } from '../../layer/types.ts';
import { isBollardError } from '../../util/errors.ts';
import { isRecord, parseJsonBounded } from '../../util/json.ts';
import { baseName, langPackage, MAX_LOCKFILE_BYTES, packagesItem } from '../lang/common.ts';
import { parseElf, sectionData } from '../lang/elf.ts';
import { parseToml } from '../lang/toml.ts';
import type { AnalysisItem, Analyzer, AnalyzerContext, AnalyzerFile, Package } from '../types.ts';

export const id = 'rust';

/** Small Rust executables are a few hundred KB; the audit data section is a few KB. */
const MIN_BINARY_BYTES = 64 * 1024;
const MAX_AUDIT_BYTES = 8 * 1024 * 1024;

/** A Cargo.lock dependency reference: `name`, `name version` or `name version (source)`. */
function depName(ref: unknown): string | undefined {
  return typeof ref === 'string' ? ref.split(' ')[0] : undefined;
}

/**
 * `Cargo.lock` (versions 1 to 4): `[[package]]` tables. Packages without a `source` are the
 * workspace's own crates; they are not dependencies and are left out, but the crates they depend on
 * directly are marked `direct`.
 */
export function parseCargoLock(
  text: string | Buffer,
  path: string,
  maxDepth: number,
  skip: (s: string) => void,
): Package[] {
  const doc = parseToml(text, { what: path, maxBytes: MAX_LOCKFILE_BYTES, maxDepth });
  const pkgs: Record<string, unknown>[] = Array.isArray(doc.package) ? (doc.package as unknown[]).filter(isRecord) : [];
  const direct = new Set<string>();
  for (const p of pkgs) {
    if (p.source !== undefined) continue;
    for (const d of Array.isArray(p.dependencies) ? p.dependencies : []) {
      const n = depName(d);
      if (n) direct.add(n);
    }
  }
  const out: Package[] = [];
  for (const p of pkgs) {
    if (p.source === undefined) continue;
    const deps = (Array.isArray(p.dependencies) ? p.dependencies : []).map(depName).filter((x): x is string => !!x);
    const pkg = langPackage('cargo', p.name, p.version, path, {
      dependsOn: deps,
      direct: typeof p.name === 'string' && direct.has(p.name),
      ...(typeof p.checksum === 'string' ? { integrity: `sha256:${p.checksum}` } : {}),
    });
    if (pkg) out.push(pkg);
    else skip(String(p.name));
  }
  return out;
}

/**
 * cargo-auditable's `.dep-v0` ELF section: zlib-compressed JSON `{ packages: [{ name, version, source,
 * kind, dependencies: [index], root }] }`. The root crate is the binary itself; build-only crates
 * (`kind: "build"`) are not in the executable and are left out.
 */
export function parseAuditData(section: Buffer, path: string, maxDepth: number): Package[] {
  const json = inflateSync(section, { maxOutputLength: MAX_AUDIT_BYTES });
  const doc = parseJsonBounded(json, { maxBytes: MAX_AUDIT_BYTES, maxDepth, what: `${path} .dep-v0` });
  const list = isRecord(doc) && Array.isArray(doc.packages) ? doc.packages : [];
  const names = list.map((p) => (isRecord(p) && typeof p.name === 'string' ? p.name : ''));
  const out: Package[] = [];
  for (const p of list) {
    if (!isRecord(p) || p.root === true || p.kind === 'build') continue;
    const deps = Array.isArray(p.dependencies)
      ? p.dependencies.map((i) => (typeof i === 'number' ? names[i] : undefined)).filter((x): x is string => !!x)
      : [];
    const pkg = langPackage('cargo', p.name, p.version, path, { dependsOn: deps });
    if (pkg) out.push(pkg);
  }
  return out;
}

function analyze(file: AnalyzerFile, ctx: AnalyzerContext): AnalysisItem[] {
  const depth = ctx.limits.maxJsonDepth;
  if (baseName(file.path) === 'Cargo.lock') {
    try {
      const ps = parseCargoLock(file.content, file.path, depth, (s) =>
        ctx.warn(
          'CARGO_RECORD_INVALID',
          'Cargo.lock packages without a usable name or version were skipped',
          `${file.path}: ${s.slice(0, 120)}`,
        ),
      );
      return ps.length > 0 ? packagesItem(id, file.path, ps) : [];
    } catch (e) {
      ctx.warn('CARGO_LOCKFILE_INVALID', isBollardError(e) ? e.message : 'Cargo.lock could not be read', file.path);
      return [];
    }
  }
  const elf = parseElf(file.content);
  const section = elf ? sectionData(file.content, elf, '.dep-v0') : undefined;
  if (!section) return [];
  try {
    const ps = parseAuditData(section, file.path, depth);
    return ps.length > 0 ? packagesItem(id, file.path, ps) : [];
  } catch {
    ctx.warn('CARGO_AUDIT_INVALID', 'cargo-auditable sections that could not be read were skipped', file.path);
    return [];
  }
}

export const rustAnalyzer: Analyzer = {
  id,
  version: 1,
  wants(path: string, entry: LayerEntry): boolean {
    if (entry.type !== 'file') return false;
    if (path.endsWith('Cargo.lock')) return baseName(path) === 'Cargo.lock';
    return entry.size >= MIN_BINARY_BYTES && (entry.mode & 0o111) !== 0;
  },
  analyze,
};
