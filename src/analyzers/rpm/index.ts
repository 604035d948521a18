/**
 * The rpm analyzer: installed packages from rpm's database, whichever backend wrote it (SQLite,
 * Berkeley DB hash or ndb). The format is told by content, never by file name.
 */

import type { Limits } from '../../util/limits.ts';
import type { TempRoot } from '../../util/tempdir.ts';
import type { AnalysisItem, Analyzer, AnalyzerContext, AnalyzerFile, Package } from '../types.ts';
import { bdbMagic, readBdbPackages } from './bdb.ts';
import {
  type HeaderRecord,
  headerInt32Array,
  headerString,
  headerStringArray,
  parseHeader,
  RPMTAG,
  type RpmHeader,
  type WarnFn,
} from './header.ts';
import { isNdb, readNdbPackages } from './ndb.ts';
import { isSqlite, readSqlitePackages } from './sqlite.ts';

export const id = 'rpm';

/** Where rpm keeps its database: the classic path and the /usr "sysimage" one (Fedora 36+, openSUSE). */
export const RPMDB_PATHS: readonly string[] = [
  'var/lib/rpm/Packages',
  'var/lib/rpm/Packages.db',
  'var/lib/rpm/rpmdb.sqlite',
  'usr/lib/sysimage/rpm/Packages',
  'usr/lib/sysimage/rpm/Packages.db',
  'usr/lib/sysimage/rpm/rpmdb.sqlite',
];
const WANTED = new Set(RPMDB_PATHS);

export type RpmDbFormat = 'sqlite' | 'bdb' | 'ndb';

export function detectRpmDbFormat(content: Buffer): RpmDbFormat | undefined {
  if (isSqlite(content)) return 'sqlite';
  if (isNdb(content)) return 'ndb';
  if (bdbMagic(content)) return 'bdb';
  return undefined;
}

export interface RpmReadOptions {
  /** The database's path in the image (package locations and warning samples). */
  path: string;
  tempRoot: TempRoot;
  limits: Limits;
  warn: WarnFn;
}

/** Every package of one rpm database, gpg-pubkey pseudo-packages left out. Never throws on bad content. */
export async function readRpmDatabase(content: Buffer, opts: RpmReadOptions): Promise<Package[]> {
  const { path, warn } = opts;
  const packages: Package[] = [];
  const sink = (record: HeaderRecord): void => {
    const pkg = packageFromHeader(record, opts);
    if (pkg) packages.push(pkg);
  };
  const read = { warn, label: path };
  switch (detectRpmDbFormat(content)) {
    case 'sqlite':
      await readSqlitePackages(content, { ...read, tempRoot: opts.tempRoot }, sink);
      break;
    case 'bdb':
      readBdbPackages(content, read, sink);
      break;
    case 'ndb':
      readNdbPackages(content, read, sink);
      break;
    default:
      if (content.length === 0) warn('rpm-db-invalid', 'rpm database file is empty', path);
      else warn('rpm-db-unrecognised', 'rpm database is not SQLite, Berkeley DB hash or ndb', path);
  }
  return packages;
}

/**
 * One header blob as a Package; undefined for gpg-pubkey records and for headers without a readable
 * name and version (reported). Unreadable optional fields are left out.
 */
export function packageFromHeader(
  record: HeaderRecord,
  opts: Pick<RpmReadOptions, 'path' | 'limits' | 'warn'>,
): Package | undefined {
  const { path, warn } = opts;
  const sample = `${path}#${record.id}`;
  const parsed = parseHeader(record.blob);
  if (!parsed.ok) {
    warn('rpm-header-invalid', 'rpm header blob does not fit its own intro', `${sample}: ${parsed.error}`);
    return undefined;
  }
  const h = parsed.value;
  if (h.invalidEntries > 0) {
    warn('rpm-header-invalid', 'rpm header has index entries outside its data', `${sample}: ${h.invalidEntries}`);
  }
  const name = headerString(h, RPMTAG.NAME);
  const ver = headerString(h, RPMTAG.VERSION);
  if (!name || !ver) {
    warn('rpm-header-invalid', 'rpm header has no readable name or version', sample);
    return undefined;
  }
  // Imported signing keys are stored as packages named gpg-pubkey; they are not software.
  if (name === 'gpg-pubkey') return undefined;

  const epoch = headerInt32Array(h, RPMTAG.EPOCH)?.[0];
  const release = headerString(h, RPMTAG.RELEASE);
  // rpm's %{EVR}: the epoch is shown whenever the tag is present, 0 included.
  const pkg: Package = {
    type: 'rpm',
    name,
    version: `${epoch === undefined ? '' : `${epoch}:`}${ver}${release ? `-${release}` : ''}`,
    licenses: [],
    location: { path },
  };
  if (epoch !== undefined) pkg.epoch = epoch;
  const arch = headerString(h, RPMTAG.ARCH);
  if (arch) pkg.arch = arch;
  const sourceRpm = headerString(h, RPMTAG.SOURCERPM);
  const source = sourceRpm === undefined ? undefined : parseSourceRpm(sourceRpm);
  if (source) pkg.source = source;
  const license = headerString(h, RPMTAG.LICENSE);
  if (license) pkg.licenses = [license];
  const packager = headerString(h, RPMTAG.PACKAGER);
  if (packager) pkg.maintainer = packager;
  const vendor = headerString(h, RPMTAG.VENDOR);
  if (vendor) pkg.vendor = vendor;
  const modularityLabel = headerString(h, RPMTAG.MODULARITYLABEL);
  if (modularityLabel) pkg.modularityLabel = modularityLabel;
  pkg.files = fileList(h, record.blob.length, opts, sample);
  const requires = headerStringArray(h, RPMTAG.REQUIRENAME);
  if (requires) {
    // rpmlib(...) are features of rpm itself and /paths are file dependencies: neither names a package.
    pkg.dependsOn = [...new Set(requires.filter((r) => r !== '' && !r.startsWith('rpmlib(') && !r.startsWith('/')))];
  }
  return pkg;
}

/** `name-version-release.src.rpm` → { name, version: `version-release` }; undefined when it does not have that shape. */
export function parseSourceRpm(sourceRpm: string): { name: string; version: string } | undefined {
  const base = sourceRpm.replace(/\.(?:no)?src\.rpm$/, '');
  if (base === sourceRpm) return undefined;
  const r = base.lastIndexOf('-');
  const v = r > 0 ? base.lastIndexOf('-', r - 1) : -1;
  if (v <= 0 || r === base.length - 1 || v === r - 1) return undefined;
  return { name: base.slice(0, v), version: base.slice(v + 1) };
}

/**
 * Installed paths, without the leading `/`: DIRNAMES[DIRINDEXES[i]] + BASENAMES[i], or the old
 * FILENAMES. Joining directory and base names can multiply a hostile header's size, so the total
 * is held to a few times the blob (real headers carry far more per file than its path).
 */
function fileList(
  h: RpmHeader,
  blobLength: number,
  opts: Pick<RpmReadOptions, 'limits' | 'warn'>,
  sample: string,
): string[] {
  const out: string[] = [];
  let budget = 4 * blobLength + 1024 * 1024;
  let bad = 0;
  const add = (p: string): boolean => {
    const rel = p.replace(/^\/+/, '');
    if (rel === '') return true; // the root directory itself (owned by `filesystem`)
    if (rel.length > opts.limits.maxPathBytes) {
      bad++;
      return true;
    }
    budget -= rel.length;
    if (budget < 0) {
      opts.warn('rpm-files-truncated', 'rpm header file list is larger than its header allows', sample);
      return false;
    }
    out.push(rel);
    return true;
  };
  const basenames = headerStringArray(h, RPMTAG.BASENAMES);
  if (basenames) {
    const dirnames = headerStringArray(h, RPMTAG.DIRNAMES);
    const indexes = headerInt32Array(h, RPMTAG.DIRINDEXES);
    if (!dirnames || !indexes || indexes.length !== basenames.length) {
      opts.warn('rpm-header-invalid', 'rpm header file list tags disagree', sample);
      return out;
    }
    for (let i = 0; i < basenames.length; i++) {
      const dir = dirnames[indexes[i]!];
      if (dir === undefined) {
        bad++;
        continue;
      }
      if (!add(dir + basenames[i]!)) break;
    }
  } else {
    for (const p of headerStringArray(h, RPMTAG.OLDFILENAMES) ?? []) if (!add(p)) break;
  }
  if (bad > 0) opts.warn('rpm-header-invalid', 'rpm header file entries skipped', `${sample}: ${bad}`);
  return out;
}

export const rpmAnalyzer = {
  id,
  version: 1,
  wants(path: string): boolean {
    return WANTED.has(path);
  },
  async analyze(file: AnalyzerFile, ctx: AnalyzerContext): Promise<AnalysisItem[]> {
    const packages = await readRpmDatabase(file.content, {
      path: file.path,
      tempRoot: ctx.tempRoot,
      limits: ctx.limits,
      warn: (code, message, sample) => ctx.warn(code, message, sample),
    });
    // One item even when nothing could be read: this file replaces any database of a lower layer.
    return [{ kind: 'packages', analyzer: id, path: file.path, packages }];
  },
} satisfies Analyzer;
