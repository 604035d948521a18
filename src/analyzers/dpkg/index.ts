import type { LayerEntry } from '../../layer/types.ts';
import type {
  AnalysisItem,
  Analyzer,
  AnalyzerContext,
  AnalyzerFile,
  InventoryDraft,
  Package,
  SurvivingItem,
} from '../types.ts';
import { licensesFromCopyright } from './copyright.ts';
import { parseDpkgList, parseDpkgMd5sums } from './files.ts';
import { parseDpkgStatus } from './status.ts';

export { licensesFromCopyright } from './copyright.ts';
export { type Deb822Stanza, parseDeb822 } from './deb822.ts';
export { parseDpkgList, parseDpkgMd5sums } from './files.ts';
export { dependencyNames, parseDpkgStatus, parseSource } from './status.ts';

export const id = 'dpkg';

const STATUS = 'var/lib/dpkg/status';
const STATUS_D = 'var/lib/dpkg/status.d/';
const INFO = 'var/lib/dpkg/info/';
const DOC = 'usr/share/doc/';
const COPYRIGHT = '/copyright';

/** Status databases of large images are a few MB; copyright files and lists far less. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

export type DpkgFileKind = 'status' | 'status.d' | 'status.d-md5sums' | 'list' | 'copyright';

/** Which dpkg file a normalised path is, if any (cheap string tests only: runs on every entry). */
export function dpkgFileKind(path: string): DpkgFileKind | undefined {
  if (path.startsWith('var/lib/dpkg/')) {
    if (path === STATUS) return 'status';
    if (path.startsWith(STATUS_D)) {
      if (path.length === STATUS_D.length || path.indexOf('/', STATUS_D.length) !== -1) return undefined;
      return path.endsWith('.md5sums') ? 'status.d-md5sums' : 'status.d';
    }
    if (path.startsWith(INFO) && path.endsWith('.list') && path.length > INFO.length + 5) {
      return path.indexOf('/', INFO.length) === -1 ? 'list' : undefined;
    }
    return undefined;
  }
  if (path.startsWith(DOC) && path.endsWith(COPYRIGHT)) {
    const slash = path.indexOf('/', DOC.length);
    // Exactly usr/share/doc/<pkg>/copyright, with a non-empty <pkg>.
    if (slash > DOC.length && slash === path.length - COPYRIGHT.length) return 'copyright';
  }
  return undefined;
}

/** `<name>` or `<name>:<arch>` (the multi-arch file name form) from a file name stem. */
function splitArch(stem: string): { name: string; arch?: string } {
  const colon = stem.indexOf(':');
  if (colon === -1) return { name: stem };
  return { name: stem.slice(0, colon), arch: stem.slice(colon + 1) };
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function decode(content: Buffer): string {
  return content.toString('utf8');
}

function analyze(file: AnalyzerFile, ctx: AnalyzerContext): AnalysisItem[] {
  const kind = dpkgFileKind(file.path);
  if (!kind) return [];
  const limit = Math.min(MAX_FILE_BYTES, ctx.limits.maxFileBytes);
  if (file.content.length > limit) {
    ctx.warn('DPKG_FILE_TOO_LARGE', 'dpkg file skipped: larger than the limit', file.path);
    return [];
  }
  const text = decode(file.content);
  switch (kind) {
    case 'status':
    case 'status.d': {
      const parsed = parseDpkgStatus(text, file.path);
      for (const p of parsed.problems) ctx.warn(p.code, p.message, p.sample);
      return [{ kind: 'packages', analyzer: id, path: file.path, packages: parsed.packages }];
    }
    case 'status.d-md5sums':
    case 'list': {
      const parsed =
        kind === 'list'
          ? parseDpkgList(text, ctx.limits.maxPathBytes)
          : parseDpkgMd5sums(text, ctx.limits.maxPathBytes);
      if (parsed.invalid > 0) {
        ctx.warn('DPKG_FILE_LIST_INVALID', 'dpkg file list: unreadable lines skipped', file.path);
      }
      const stem = basename(file.path).slice(0, kind === 'list' ? -'.list'.length : -'.md5sums'.length);
      const { name, arch } = splitArch(stem);
      if (!name) return [];
      return [
        {
          kind: 'owned-files',
          analyzer: id,
          path: file.path,
          packageName: name,
          ...(arch ? { arch } : {}),
          files: parsed.files,
        },
      ];
    }
    case 'copyright': {
      const name = file.path.slice(DOC.length, -COPYRIGHT.length);
      // An empty list is still an item: it must replace what a lower layer's copyright file said.
      return [
        { kind: 'license', analyzer: id, path: file.path, packageName: name, licenses: licensesFromCopyright(text) },
      ];
    }
  }
}

function mergeInto(target: string[] | undefined, add: readonly string[]): string[] {
  if (!target || target.length === 0) return [...new Set(add)];
  const seen = new Set(target);
  for (const a of add) {
    if (!seen.has(a)) {
      seen.add(a);
      target.push(a);
    }
  }
  return target;
}

/**
 * Attach file lists and licences to the dpkg packages the applier already put in the draft.
 * `info/<pkg>:<arch>.list` goes to the package of that name and architecture, `info/<pkg>.list` to
 * every package of that name; distroless `status.d/<x>.md5sums` to the packages of `status.d/<x>`.
 * Licences go to every package of that name (the doc directory is not architecture-qualified).
 */
function finalize(items: SurvivingItem[], draft: InventoryDraft): void {
  const byName = new Map<string, Package[]>();
  const byLocation = new Map<string, Package[]>();
  for (const p of draft.packages) {
    if (p.type !== 'deb') continue;
    push(byName, p.name, p);
    push(byLocation, p.location.path, p);
  }
  for (const item of items) {
    if (item.kind === 'owned-files') {
      const targets = ownersOf(item.path, item.packageName, item.arch, byName, byLocation);
      for (const p of targets) p.files = mergeInto(p.files, item.files);
    } else if (item.kind === 'license') {
      for (const p of byName.get(item.packageName) ?? []) p.licenses = mergeInto(p.licenses, item.licenses);
    }
  }
}

function ownersOf(
  path: string,
  name: string,
  arch: string | undefined,
  byName: Map<string, Package[]>,
  byLocation: Map<string, Package[]>,
): Package[] {
  if (path.startsWith(STATUS_D)) {
    const inFile = byLocation.get(path.slice(0, -'.md5sums'.length)) ?? [];
    const named = inFile.filter((p) => p.name === name && (arch === undefined || p.arch === arch));
    if (named.length > 0) return named;
    // A status.d file named after something else (`base`) that holds exactly one package.
    if (inFile.length === 1) return inFile;
  }
  const candidates = (byName.get(name) ?? []).filter((p) => arch === undefined || p.arch === arch);
  // info/*.list belongs to the status database; prefer its packages over status.d ones of the same name.
  const fromStatus = candidates.filter((p) => p.location.path === STATUS);
  return fromStatus.length > 0 ? fromStatus : candidates;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

export const dpkgAnalyzer: Analyzer = {
  id,
  version: 1,
  maxFileBytes: MAX_FILE_BYTES,
  wants(path: string, _entry: LayerEntry): boolean {
    return dpkgFileKind(path) !== undefined;
  },
  analyze,
  finalize,
};
