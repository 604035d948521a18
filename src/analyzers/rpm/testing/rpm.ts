/**
 * Test-only fixture builders that use the real tools (Debian packages rpm and db-util):
 *
 *   rpmbuild -bb __fixtures__/specs/*.spec                       → real RPMs
 *   rpm --dbpath DIR --define '_db_backend sqlite' -i --justdb ... → a real rpmdb.sqlite
 *   rpm --dbpath DIR --import __fixtures__/*.asc                 → a real gpg-pubkey record
 *   db5.3_load -f DUMP DIR/Packages                               → a real Berkeley DB hash file
 *
 * Everything is written under the directory the caller passes (a temp dir of the test).
 */

import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import type { Package } from '../../types.ts';
import type { HeaderRecord } from '../header.ts';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '__fixtures__');

/** Run a command; throw with its stderr when it fails (a missing tool names the Debian package). */
export function run(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input, maxBuffer: 256 * 1024 * 1024 });
  if (r.error) {
    const pkg = cmd === 'db5.3_load' ? 'db-util' : 'rpm';
    throw new Error(`${cmd} could not run (${r.error.message}); install the Debian package "${pkg}"`);
  }
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

/** Build every spec of __fixtures__/specs with rpmbuild under `work`; returns the paths of the binary RPMs. */
export function buildFixtureRpms(work: string): string[] {
  const top = join(work, 'rpmbuild');
  mkdirSync(join(top, 'tmp'), { recursive: true });
  const specs = join(FIXTURES, 'specs');
  for (const spec of readdirSync(specs).filter((f) => f.endsWith('.spec'))) {
    // rpmbuild opens an rpm database (for build dependencies): keep it out of $HOME.
    const defines = [`_topdir ${top}`, `_tmppath ${join(top, 'tmp')}`, `_dbpath ${join(top, 'db')}`];
    run('rpmbuild', [...defines.flatMap((d) => ['--define', d]), '-bb', join(specs, spec)]);
  }
  const out: string[] = [];
  const rpms = join(top, 'RPMS');
  for (const arch of readdirSync(rpms)) for (const f of readdirSync(join(rpms, arch))) out.push(join(rpms, arch, f));
  return out.toSorted();
}

/** Install `rpms` (database only) into a fresh SQLite rpmdb in `dbDir`, plus a gpg-pubkey; returns the rpmdb.sqlite path. */
export function installSqliteDb(rpms: string[], dbDir: string): string {
  mkdirSync(dbDir, { recursive: true });
  const common = ['--dbpath', dbDir, '--define', '_db_backend sqlite'];
  run('rpm', [...common, '-i', '--justdb', '--nodeps', '--noscripts', '--ignorearch', '--ignoreos', ...rpms]);
  run('rpm', [...common, '--import', join(FIXTURES, 'debian-bookworm-archive-key.asc')]);
  return join(dbDir, 'rpmdb.sqlite');
}

/** What `rpm -qa --qf` says about one package. */
export interface RpmQueryRow {
  name: string;
  epoch: number | undefined;
  version: string;
  release: string;
  arch: string | undefined;
  sourcerpm: string | undefined;
  license: string | undefined;
  vendor: string | undefined;
  packager: string | undefined;
  modularitylabel: string | undefined;
  files: string[];
  requires: string[];
}

const FIELDS = [
  'NAME',
  'EPOCH',
  'VERSION',
  'RELEASE',
  'ARCH',
  'SOURCERPM',
  'LICENSE',
  'VENDOR',
  'PACKAGER',
  'MODULARITYLABEL',
];

function none(s: string | undefined): string | undefined {
  return s === '(none)' || s === '' ? undefined : s;
}

/** `rpm -qa` with a query format, through the given backend (`sqlite` or `bdb_ro`). */
export function rpmQueryAll(dbDir: string, backend: 'sqlite' | 'bdb_ro'): RpmQueryRow[] {
  const qf = `${FIELDS.map((f) => `%{${f}}`).join('\\t')}\\t[%{FILENAMES}@F@]\\t[%{REQUIRENAME}@R@]\\n`;
  const out = run('rpm', ['--dbpath', dbDir, '--define', `_db_backend ${backend}`, '-qa', '--qf', qf]);
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      const c = line.split('\t');
      return {
        name: c[0]!,
        epoch: none(c[1]) === undefined ? undefined : Number(c[1]),
        version: c[2]!,
        release: c[3]!,
        arch: none(c[4]),
        sourcerpm: none(c[5]),
        license: none(c[6]),
        vendor: none(c[7]),
        packager: none(c[8]),
        modularitylabel: none(c[9]),
        files: (c[10] ?? '').split('@F@').filter((f) => f !== ''),
        requires: (c[11] ?? '').split('@R@').filter((f) => f !== ''),
      };
    });
}

/** `rpm -ql NAME` (needs the Name index, so SQLite databases only). */
export function rpmListFiles(dbDir: string, name: string): string[] {
  return run('rpm', ['--dbpath', dbDir, '--define', '_db_backend sqlite', '-ql', name])
    .split('\n')
    .filter((l) => l !== '' && l !== '(contains no files)');
}

/** The header blobs rpm wrote, straight from the SQLite table. */
export function sqliteRecords(file: string): HeaderRecord[] {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const rows = db.prepare('SELECT hnum, blob FROM Packages ORDER BY hnum').all() as {
      hnum: number;
      blob: Uint8Array;
    }[];
    return rows.map((r) => ({ id: r.hnum, blob: Buffer.from(r.blob) }));
  } finally {
    db.close();
  }
}

export interface BdbOptions {
  littleEndian: boolean;
  pagesize: number;
  /** Access method (default hash, which is what rpm uses for Packages). */
  type?: 'hash' | 'btree';
}

/**
 * A real Berkeley DB hash `Packages` file in `dbDir`, written by db5.3_load from a `db_dump -p`
 * style bytevalue dump: keys are 4-byte header numbers in the database's byte order (as rpm
 * writes them), plus rpm's record 0 (the next-instance counter).
 */
export function buildBdb(records: HeaderRecord[], dbDir: string, opts: BdbOptions): string {
  mkdirSync(dbDir, { recursive: true });
  const u32 = (n: number): string => {
    const b = Buffer.alloc(4);
    if (opts.littleEndian) b.writeUInt32LE(n);
    else b.writeUInt32BE(n);
    return b.toString('hex');
  };
  const lines = [
    'VERSION=3',
    'format=bytevalue',
    `type=${opts.type ?? 'hash'}`,
    `db_pagesize=${opts.pagesize}`,
    `db_lorder=${opts.littleEndian ? 1234 : 4321}`,
    'HEADER=END',
    ` ${u32(0)}`,
    ` ${u32(Math.max(0, ...records.map((r) => r.id)) + 1)}`,
  ];
  for (const r of records) lines.push(` ${u32(r.id)}`, ` ${r.blob.toString('hex')}`);
  lines.push('DATA=END', '');
  const dump = join(dbDir, 'Packages.dump');
  writeFileSync(dump, lines.join('\n'));
  const file = join(dbDir, 'Packages');
  run('db5.3_load', ['-f', dump, file]);
  return file;
}

/**
 * The Package the analyzer should report for what rpm printed. Written from rpm's output formats
 * (NEVRA fields, `name-version-release.src.rpm`), independently of the analyzer's own code.
 */
export function expectedPackage(row: RpmQueryRow, path: string): Package {
  const pkg: Package = {
    type: 'rpm',
    name: row.name,
    version: `${row.epoch === undefined ? '' : `${row.epoch}:`}${row.version}-${row.release}`,
    licenses: row.license === undefined ? [] : [row.license],
    location: { path },
    files: row.files.map((f) => f.slice(1)),
    dependsOn: [...new Set(row.requires.filter((r) => !r.startsWith('rpmlib(') && !r.startsWith('/')))],
  };
  if (row.epoch !== undefined) pkg.epoch = row.epoch;
  if (row.arch !== undefined) pkg.arch = row.arch;
  const src = row.sourcerpm?.match(/^(.+)-([^-]+-[^-]+)\.src\.rpm$/);
  if (src) pkg.source = { name: src[1]!, version: src[2]! };
  if (row.vendor !== undefined) pkg.vendor = row.vendor;
  if (row.packager !== undefined) pkg.maintainer = row.packager;
  if (row.modularitylabel !== undefined) pkg.modularityLabel = row.modularitylabel;
  return pkg;
}
