// rpm-based images through the whole pipeline: real RPMs (rpmbuild) installed by rpm itself into a
// SQLite database (Fedora/RHEL 9 layout) and rewritten as a Berkeley DB hash by db5.3_load
// (CentOS 7 layout), each shipped in an image layer next to the distribution's release files.
// Needs Debian's rpm and db-util packages (scripts/test-env.sh installs them).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  buildBdb,
  buildFixtureRpms,
  installSqliteDb,
  type RpmQueryRow,
  rpmQueryAll,
  sqliteRecords,
} from '../../src/analyzers/rpm/testing/rpm.ts';
import { inventoryTarget } from '../../src/scan/service.ts';
import type { InventoryResult } from '../../src/scan/types.ts';
import { buildTar, sha256 } from '../helpers/layers.ts';
import { writeOciLayout } from '../helpers/oci.ts';

const work = mkdtempSync(join(tmpdir(), 'bollard-rpm-e2e-'));
after(() => rmSync(work, { recursive: true, force: true }));

const FEDORA =
  'NAME="Fedora Linux"\nVERSION="40 (Container Image)"\nID=fedora\nVERSION_ID=40\nPRETTY_NAME="Fedora Linux 40 (Container Image)"\n';
const CENTOS =
  'NAME="CentOS Linux"\nVERSION="7 (Core)"\nID="centos"\nID_LIKE="rhel fedora"\nVERSION_ID="7"\nPRETTY_NAME="CentOS Linux 7 (Core)"\n';

let sqliteDir = '';
let bdbDir = '';
let expected: RpmQueryRow[] = [];

function rows(r: InventoryResult): string[] {
  return r.inventory.packages.map((p) => `${p.name}\t${p.version}\t${p.arch ?? ''}\t${p.source?.name ?? ''}`).sort();
}

function expectedRows(): string[] {
  return expected
    .filter((q) => q.name !== 'gpg-pubkey')
    .map((q) => {
      const evr = `${q.epoch === undefined ? '' : `${q.epoch}:`}${q.version}-${q.release}`;
      const src = /^(.+)-[^-]+-[^-]+\.(?:no)?src\.rpm$/.exec(q.sourcerpm ?? '')?.[1] ?? '';
      return `${q.name}\t${evr}\t${q.arch ?? ''}\t${src}`;
    })
    .sort();
}

before(() => {
  const rpms = buildFixtureRpms(work);
  sqliteDir = join(work, 'sqlite');
  const db = installSqliteDb(rpms, sqliteDir);
  expected = rpmQueryAll(sqliteDir, 'sqlite');
  bdbDir = join(work, 'bdb');
  buildBdb(sqliteRecords(db), bdbDir, { littleEndian: true, pagesize: 4096 });
});

describe('rpm images through the pipeline (needs rpm, db-util)', () => {
  test('Fedora layout: usr/lib/sysimage/rpm/rpmdb.sqlite, os-release through a symlink', async () => {
    const base = await buildTar([
      { name: 'usr/lib/os-release', content: FEDORA },
      { name: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
    ]);
    const pkgs = await buildTar([
      { name: 'usr/lib/sysimage/rpm/rpmdb.sqlite', content: readFileSync(join(sqliteDir, 'rpmdb.sqlite')) },
    ]);
    const target = writeOciLayout(join(work, 'fedora'), [
      { blob: gzipSync(base), diffId: sha256(base) },
      { blob: gzipSync(pkgs), diffId: sha256(pkgs) },
    ]);
    const r = await inventoryTarget(target, { cacheDir: false });
    assert.deepEqual(r.inventory.os && [r.inventory.os.family, r.inventory.os.release], ['fedora', '40']);
    assert.deepEqual(rows(r), expectedRows());
    assert.ok(r.inventory.packages.length >= 5);
    for (const p of r.inventory.packages) {
      assert.equal(p.location.layer, 1);
      assert.equal(p.location.path, 'usr/lib/sysimage/rpm/rpmdb.sqlite');
      assert.match(p.purl ?? '', /^pkg:rpm\/fedora\/.+distro=fedora-40/);
    }
    assert.equal(r.coverage.find((c) => c.id === 'rpm')?.status, 'ok');
  });

  test('CentOS 7 layout: var/lib/rpm/Packages (Berkeley DB) gives the same packages', async () => {
    const tar = await buildTar([
      { name: 'etc/os-release', content: CENTOS },
      { name: 'etc/redhat-release', content: 'CentOS Linux release 7.9.2009 (Core)\n' },
      { name: 'var/lib/rpm/Packages', content: readFileSync(join(bdbDir, 'Packages')) },
    ]);
    const r = await inventoryTarget(
      writeOciLayout(join(work, 'centos'), [{ blob: gzipSync(tar), diffId: sha256(tar) }]),
      {
        cacheDir: false,
      },
    );
    assert.equal(r.inventory.os?.family, 'centos');
    assert.equal(r.inventory.os?.release, '7');
    assert.deepEqual(rows(r), expectedRows());
    for (const p of r.inventory.packages) assert.match(p.purl ?? '', /^pkg:rpm\/centos\/.+distro=centos-7/);
  });
});
