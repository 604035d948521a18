import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { pack } from 'tar-stream';
import { buildTar, compress, sha256, type TestEntry } from '../../../test/helpers/layers.ts';
import { writeOciLayout } from '../../../test/helpers/oci.ts';
import type { EntryType, LayerEntry } from '../../layer/types.ts';
import { inventoryTarget } from '../../scan/service.ts';
import type { InventoryResult } from '../../scan/types.ts';
import type { Limits } from '../../util/limits.ts';
import { analyzers } from '../api.ts';
import { accessTool, fileModesAnalyzer, packageCache, wantsEntry } from './index.ts';

const work = mkdtempSync(join(tmpdir(), 'bollard-file-modes-'));
after(() => rmSync(work, { recursive: true, force: true }));

const entry = (path: string, type: EntryType, mode: number): LayerEntry => ({
  path,
  type,
  mode,
  uid: 0,
  gid: 0,
  size: type === 'file' ? 10 : 0,
});
const wants = (path: string, type: EntryType, mode: number): boolean => wantsEntry(path, entry(path, type, mode));

/** A tar entry with any type and mode (hard links with a mode, which buildTar does not write). */
type RawEntry = {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'link';
  mode?: number;
  linkname?: string;
  content?: string;
  /** Write the name in a PAX record (any bytes, NUL included). */
  pax?: boolean;
};

async function rawTar(entries: RawEntry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve) => p.on('end', () => resolve()));
  for (const e of entries) {
    const header = {
      name: e.name,
      type: e.type,
      mode: e.mode ?? (e.type === 'directory' ? 0o755 : 0o644),
      ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
      ...(e.pax ? { pax: {} } : {}),
    };
    if (e.type === 'file') p.entry(header, Buffer.from(e.content ?? 'x'));
    else p.entry(header);
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

let n = 0;
/** Write the layers as an OCI layout and inventory it through the real pipeline (walk, cache, applier). */
async function scan(
  layers: (TestEntry[] | Buffer)[],
  opts: { analyzers?: typeof analyzers; limits?: Partial<Limits>; cacheDir?: string } = {},
): Promise<InventoryResult> {
  const tars = await Promise.all(layers.map((l) => (Buffer.isBuffer(l) ? l : buildTar(l))));
  const target = writeOciLayout(
    join(work, `layout-${n++}`),
    tars.map((t) => ({ blob: compress(t, 'gzip'), diffId: sha256(t) })),
  );
  return inventoryTarget(target, {
    cacheDir: opts.cacheDir ?? false,
    analyzers: opts.analyzers ?? [fileModesAnalyzer],
    ...(opts.limits ? { limits: opts.limits } : {}),
  });
}

/** `path type mode layer` rows of the squashed file list. */
function rows(inv: InventoryResult): string[] {
  assert.ok(inv.inventory.files, 'the file list is present when the analyzer ran');
  return inv.inventory.files.map((f) => `${f.path} ${f.type} ${f.mode.toString(8)} ${f.layer ?? '-'}`);
}

describe('file-modes: which entries it wants (header and path only)', () => {
  test('setuid and setgid regular files and hard links, whatever their path', () => {
    assert.equal(wants('usr/bin/passwd', 'file', 0o4755), true);
    assert.equal(wants('usr/bin/wall', 'file', 0o2755), true);
    assert.equal(wants('opt/x/y', 'hardlink', 0o4711), true);
    assert.equal(wants('usr/bin/ls', 'file', 0o755), false);
    // Directories with setgid (Debian's /var/mail, /var/local) are not setgid files.
    assert.equal(wants('var/mail', 'dir', 0o2775), false);
    assert.equal(wants('usr/bin/su', 'symlink', 0o4777), false);
  });

  test('world-writable files and non-sticky directories outside the temporary directories', () => {
    assert.equal(wants('etc/app.conf', 'file', 0o666), true);
    assert.equal(wants('opt/shared', 'dir', 0o777), true);
    assert.equal(wants('opt/drop', 'dir', 0o1777), false, 'sticky directory');
    for (const p of ['tmp', 'tmp/x', 'var/tmp/y', 'dev/shm/z', 'run/lock', 'var/lock/a'])
      assert.equal(wants(p, p.includes('/') ? 'file' : 'dir', 0o777), false, p);
    assert.equal(wants('tmpfiles/x', 'file', 0o666), true, 'a name that only starts like tmp');
    assert.equal(wants('dev/null', 'other', 0o666), false, 'devices are not files');
    assert.equal(wants('etc/alternatives/x', 'symlink', 0o777), false, 'a symlink mode means nothing');
  });

  test('package-cache files and sshd/dropbear/sudo/doas, whatever their mode', () => {
    const cached = [
      ['var/cache/apt/archives/curl_7.88.1-10_amd64.deb', 'apt archives'],
      ['var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease', 'apt lists'],
      ['var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4', 'apt lists'],
      ['var/cache/apk/APKINDEX.4d7f3a.tar.gz', 'apk cache'],
      ['var/cache/dnf/fedora-abc/repodata/primary.xml.gz', 'yum/dnf cache'],
      ['var/cache/zypp/raw/x.solv', 'zypper cache'],
      ['root/.cache/pip/http/a/b/c', 'pip cache'],
      ['home/app/.npm/_cacache/index-v5/aa/bb', 'npm cache'],
      ['usr/local/share/.cache/yarn/v6/npm-x', 'yarn cache'],
    ] as const;
    for (const [p, what] of cached) {
      assert.equal(wants(p, 'file', 0o644), true, p);
      assert.equal(packageCache(p), what, p);
    }
    for (const p of ['var/cache/apt/pkgcache.bin', 'var/lib/apt/lists/lock', 'root/.bashrc', 'home/app/.npmrc'])
      assert.equal(wants(p, 'file', 0o644), false, p);
    for (const [p, tool] of [
      ['usr/sbin/sshd', 'sshd'],
      ['sbin/dropbear', 'dropbear'],
      ['usr/local/sbin/dropbear', 'dropbear'],
      ['usr/bin/sudo', 'sudo'],
      ['bin/doas', 'doas'],
    ] as const) {
      assert.equal(wants(p, 'file', 0o755), true, p);
      assert.equal(accessTool(p), tool, p);
    }
    for (const p of ['usr/share/doc/sudo', 'usr/bin/sudoedit', 'etc/ssh/sshd', 'usr/lib/openssh/sshd'])
      assert.equal(wants(p, 'file', 0o755), false, p);
  });

  test('is registered, metadata-only, and reads no content', () => {
    assert.ok(analyzers.includes(fileModesAnalyzer));
    assert.equal(fileModesAnalyzer.metadataOnly, true);
    assert.equal(fileModesAnalyzer.maxFileBytes, undefined);
  });
});

describe('file-modes: squashing across layers (real walk and applier)', () => {
  const layer0: RawEntry[] = [
    { name: 'usr/', type: 'directory' },
    { name: 'usr/bin/', type: 'directory' },
    { name: 'usr/bin/keep', type: 'file', mode: 0o4755 },
    { name: 'usr/bin/keep-hard', type: 'link', linkname: 'usr/bin/keep', mode: 0o4755 },
    // A hard link whose header claims an ordinary mode is still the setuid inode.
    { name: 'usr/bin/keep-liar', type: 'link', linkname: 'usr/bin/keep', mode: 0o755 },
    { name: 'usr/bin/chmodded', type: 'file', mode: 0o4755 },
    { name: 'usr/bin/deleted', type: 'file', mode: 0o2755 },
    { name: 'usr/bin/plain', type: 'file', mode: 0o755 },
    { name: 'opt/', type: 'directory' },
    { name: 'opt/app/', type: 'directory', mode: 0o777 },
    { name: 'opt/app/data', type: 'file', mode: 0o666 },
    { name: 'opt/app/inner', type: 'file', mode: 0o4755 },
    { name: 'srv/', type: 'directory' },
    { name: 'srv/drop/', type: 'directory', mode: 0o1777 },
    { name: 'srv/open/', type: 'directory', mode: 0o777 },
    { name: 'tmp/', type: 'directory', mode: 0o1777 },
    { name: 'tmp/scratch', type: 'file', mode: 0o666 },
    { name: 'var/cache/apt/archives/curl_7.88_amd64.deb', type: 'file' },
    { name: 'etc/passwd', type: 'file' },
  ];
  const layer1: RawEntry[] = [
    { name: 'usr/', type: 'directory' },
    { name: 'usr/bin/', type: 'directory' },
    // `RUN chmod u-s /usr/bin/chmodded`: the file again, with a mode nobody wants.
    { name: 'usr/bin/chmodded', type: 'file', mode: 0o755 },
    { name: 'usr/bin/.wh.deleted', type: 'file', mode: 0o600, content: '' },
    // `rm -rf /opt/app && mkdir /opt/app`: an opaque directory, now 0755.
    { name: 'opt/app/', type: 'directory', mode: 0o755 },
    { name: 'opt/app/.wh..wh..opq', type: 'file', mode: 0o600, content: '' },
    { name: 'opt/app/new', type: 'file', mode: 0o644 },
    // `chmod 755 /srv/open`
    { name: 'srv/open/', type: 'directory', mode: 0o755 },
    // A symlink to a setuid file is not a setuid file.
    { name: 'keep-link', type: 'symlink', linkname: 'usr/bin/keep' },
  ];
  const layer2: RawEntry[] = [
    { name: 'usr/local/bin/added', type: 'file', mode: 0o4750 },
    { name: 'usr/bin/plain', type: 'file', mode: 0o6755 },
  ];

  test('a later chmod, whiteout or opaque directory wins; each survivor keeps its layer', async () => {
    const inv = await scan([await rawTar(layer0), await rawTar(layer1), await rawTar(layer2)]);
    assert.deepEqual(rows(inv), [
      'usr/bin/keep file 4755 0',
      'usr/bin/keep-hard file 4755 0',
      'usr/bin/keep-liar file 4755 0',
      'usr/bin/plain file 6755 2',
      'usr/local/bin/added file 4750 2',
      'var/cache/apt/archives/curl_7.88_amd64.deb file 644 0',
    ]);
    const cov = inv.coverage.find((c) => c.id === 'file-modes');
    assert.deepEqual(cov && [cov.status, cov.items], ['ok', 6]);
    // Every entry of every layer was judged (whiteouts are not entries).
    assert.equal(inv.stats.entries, 19 + 7 + 2);
    assert.equal(cov?.files, inv.stats.entries);
    assert.deepEqual(inv.warnings, []);
  });

  test('without the later layers, everything the first layer holds is reported', async () => {
    const inv = await scan([await rawTar(layer0)]);
    assert.deepEqual(rows(inv), [
      'opt/app dir 777 0',
      'opt/app/data file 666 0',
      'opt/app/inner file 4755 0',
      'srv/open dir 777 0',
      'usr/bin/chmodded file 4755 0',
      'usr/bin/deleted file 2755 0',
      'usr/bin/keep file 4755 0',
      'usr/bin/keep-hard file 4755 0',
      'usr/bin/keep-liar file 4755 0',
      'var/cache/apt/archives/curl_7.88_amd64.deb file 644 0',
    ]);
  });

  test('the same path twice in one layer: the last entry decides', async () => {
    const inv = await scan([
      await rawTar([
        { name: 'usr/bin/a', type: 'file', mode: 0o4755 },
        { name: 'usr/bin/b', type: 'file', mode: 0o755 },
        { name: 'usr/bin/a', type: 'file', mode: 0o755 },
        { name: 'usr/bin/b', type: 'file', mode: 0o4755 },
      ]),
    ]);
    assert.deepEqual(rows(inv), ['usr/bin/b file 4755 0']);
  });

  test('a chmod deep in a large layer (past the first chunks of its presence list) still wins', async () => {
    const big: RawEntry[] = Array.from({ length: 3000 }, (_, i) => ({ name: `srv/f${i}`, type: 'file' as const }));
    const inv = await scan([
      await rawTar([
        { name: 'zz/suid', type: 'file', mode: 0o4755 },
        { name: 'zz/kept', type: 'file', mode: 0o4755 },
      ]),
      await rawTar([...big, { name: 'zz/suid', type: 'file', mode: 0o755 }]),
    ]);
    assert.deepEqual(rows(inv), ['zz/kept file 4755 0']);
  });

  test('a hostile name holding NUL cannot pose as another path in the presence list', async () => {
    const inv = await scan([
      await rawTar([{ name: 'usr/bin/evil', type: 'file', mode: 0o4755 }]),
      await rawTar([{ name: 'x\0usr/bin/evil', type: 'file', mode: 0o644, pax: true }]),
    ]);
    assert.deepEqual(rows(inv), ['usr/bin/evil file 4755 0']);
  });

  test('cached layers squash the same way (the presence list survives the cache)', async () => {
    const cacheDir = join(work, 'cache');
    const tars = [await rawTar(layer0), await rawTar(layer1), await rawTar(layer2)];
    const first = await scan(tars, { cacheDir });
    const second = await scan(tars, { cacheDir });
    assert.equal(first.stats.layersFromCache, 0);
    assert.equal(second.stats.layersFromCache, 3);
    assert.deepEqual(rows(second), rows(first));
    assert.equal(rows(second).length, 6);
  });

  test('items per layer are capped: an image of many world-writable files stays bounded, and says so', async () => {
    const many: TestEntry[] = Array.from({ length: 50 }, (_, i) => ({ name: `data/f${i}`, content: 'x', mode: 0o666 }));
    const inv = await scan([many, [{ name: 'data/f49', content: 'y', mode: 0o644 }]], {
      limits: { maxMetadataItems: 10 },
    });
    assert.equal(rows(inv).length, 10);
    const w = inv.warnings.find((x) => x.code === 'file-modes:ITEM_LIMIT');
    assert.equal(w?.count, 40);
    assert.equal(w?.sample, 'data/f10');
  });

  test('past the presence budget, lower items a layer may replace are kept (reported), with a warning', async () => {
    const inv = await scan([await rawTar(layer0), await rawTar(layer1)], { limits: { maxPresenceBytes: 12 } });
    // `usr` and `usr/bin` fit in 12 bytes; `usr/bin/chmodded` does not: its setuid version stays.
    assert.ok(rows(inv).includes('usr/bin/chmodded file 4755 0'));
    assert.ok(!rows(inv).includes('usr/bin/deleted file 2755 0'), 'whiteouts do not depend on the budget');
    // One per layer whose list was cut (both layers here).
    assert.equal(inv.warnings.find((x) => x.code === 'PRESENCE_LIMIT')?.count, 2);
  });

  test('other analyzers still squash as before: a package database under a setuid bit keeps its packages', async () => {
    const inv = await scan(
      [
        [
          {
            name: 'var/lib/dpkg/status',
            content: 'Package: a\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n\n',
          },
        ],
        [{ name: 'etc/motd', content: 'hi', mode: 0o666 }],
      ],
      { analyzers },
    );
    assert.deepEqual(
      inv.inventory.packages.map((p) => `${p.name}@${p.version}:${p.location.layer}`),
      ['a@1:0'],
    );
    assert.deepEqual(rows(inv), ['etc/motd file 666 1']);
  });
});

describe('file-modes: root filesystems', () => {
  test('a directory is walked for the same entries, without layers', async () => {
    const root = join(work, 'rootfs');
    mkdirSync(join(root, 'usr/bin'), { recursive: true });
    mkdirSync(join(root, 'srv/open'), { recursive: true });
    mkdirSync(join(root, 'tmp'), { recursive: true });
    writeFileSync(join(root, 'usr/bin/su'), 'x');
    chmodSync(join(root, 'usr/bin/su'), 0o4755);
    writeFileSync(join(root, 'usr/bin/ls'), 'x');
    chmodSync(join(root, 'srv/open'), 0o777);
    chmodSync(join(root, 'tmp'), 0o1777);
    symlinkSync('usr/bin', join(root, 'bin'));
    const inv = await inventoryTarget(`dir:${root}`, { cacheDir: false, analyzers: [fileModesAnalyzer] });
    assert.deepEqual(rows(inv), ['srv/open dir 777 -', 'usr/bin/su file 4755 -']);
  });
});
