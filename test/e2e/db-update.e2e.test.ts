/**
 * `bollard db update` against a local HTTP server laid out like OSV's bucket
 * (`<Ecosystem>/all.zip`, `<Ecosystem>/modified_id.csv`, `<Ecosystem>/<id>.json`), plus KEV and EPSS.
 * A full update, then an incremental one, must give the same rows as `db import` of the final data;
 * an update killed mid-download must leave the old database in place and usable.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildVulnDb } from '../../src/vulndb/import.ts';
import { openVulnDb } from '../../src/vulndb/query.ts';
import { makeZip } from '../../src/vulndb/testing/zip-writer.ts';
import { updateVulnDb } from '../../src/vulndb/update.ts';

const repo = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const fixtures = join(repo, 'src', 'vulndb', 'ingest');
const fx = (p: string): string => readFileSync(join(fixtures, p), 'utf8');
const work = mkdtempSync(join(tmpdir(), 'bollard-db-update-'));

type Rec = Record<string, unknown> & { id: string; modified: string };

/** The bucket's current content; `stall` paths send half of their body and then hang. */
const files = new Map<string, Buffer>();
const stall = new Set<string>();
const requests: string[] = [];
let stalled: () => void = () => {};
let server: Server;
let base = '';

function publish(eco: string, records: Rec[]): void {
  files.set(`/${eco}/all.zip`, makeZip(records.map((r) => ({ name: `${r.id}.json`, data: JSON.stringify(r) }))));
  const newestFirst = [...records].sort((a, b) => (a.modified < b.modified ? 1 : -1));
  files.set(`/${eco}/modified_id.csv`, Buffer.from(newestFirst.map((r) => `${r.modified},${r.id}\n`).join('')));
  for (const r of records) files.set(`/${eco}/${r.id}.json`, Buffer.from(JSON.stringify(r)));
}

const ghsa = JSON.parse(fx('osv/__fixtures__/GHSA-35jh-r3h4-6jhm.json')) as Rec;
const go1 = JSON.parse(fx('osv/__fixtures__/GO-2020-0001.json')) as Rec;
go1.modified = '2021-04-14T20:04:52Z';
const goWithdrawn = JSON.parse(fx('osv/__fixtures__/GO-2022-0617.json')) as Rec;
const newNpm: Rec = {
  id: 'GHSA-test-new0-0001',
  modified: '2030-01-01T00:00:00Z',
  aliases: ['CVE-2030-0001'],
  affected: [
    {
      package: { ecosystem: 'npm', name: 'left-pad' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.3.0' }] }],
    },
  ],
};
const ghsaModified: Rec = {
  ...ghsa,
  modified: '2031-01-01T00:00:00Z',
  summary: 'Command Injection in lodash (revised)',
};
const go1Withdrawn: Rec = { ...go1, modified: '2032-01-01T00:00:00Z', withdrawn: '2032-01-01T00:00:00Z' };

before(async () => {
  publish('npm', [ghsa]);
  publish('Go', [go1, goWithdrawn]);
  files.set('/kev.json', Buffer.from(fx('kev/__fixtures__/kev.json')));
  files.set('/epss.csv.gz', gzipSync(fx('epss/__fixtures__/epss_scores.csv')));
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(decodeURIComponent(path));
    const body = files.get(decodeURIComponent(path));
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': body.length });
    if (stall.has(decodeURIComponent(path))) {
      res.write(body.subarray(0, body.length >> 1));
      stalled();
      return; // never ends
    }
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
  rmSync(work, { recursive: true, force: true });
});

/** Every advisory and affected row, in a stable order, for comparing two databases. */
function rows(path: string): { advisories: unknown[]; affected: unknown[]; kev: unknown[]; epss: unknown[] } {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return {
      advisories: db.prepare('SELECT * FROM advisories ORDER BY id, source').all(),
      // `seq` only keeps rows of one package unique; it depends on insertion history, not content.
      affected: db
        .prepare(
          'SELECT ecosystem, package, advisory_id, source, ranges, versions, status, severity, note FROM affected ORDER BY advisory_id, source, ecosystem, package, ranges',
        )
        .all(),
      kev: db.prepare('SELECT * FROM kev ORDER BY cve').all(),
      epss: db.prepare('SELECT * FROM epss ORDER BY cve').all(),
    };
  } finally {
    db.close();
  }
}

describe('bollard db update against a local OSV-like bucket (loopback HTTP server)', () => {
  const db = join(work, 'cache', 'db', 'bollard.db');
  const opts = () => ({
    osvUrl: base,
    ecosystems: ['npm', 'Go'],
    kevUrl: `${base}/kev.json`,
    epssUrl: `${base}/epss.csv.gz`,
  });

  test('full, then incremental, equals db import of the final data', async () => {
    const first = await updateVulnDb(db, opts());
    assert.deepEqual(
      first.steps.map((s) => [s.ecosystem, s.mode]),
      [
        ['npm', 'full'],
        ['Go', 'full'],
      ],
    );
    let v = openVulnDb(db);
    assert.equal(v.advisory('GO-2020-0001')?.id, 'GO-2020-0001');
    assert.equal(v.sources.find((s) => s.id === 'osv:npm')?.cursor, ghsa.modified);
    v.close();

    // The bucket moves on: a new record, a modified one, and one withdrawn.
    publish('npm', [ghsaModified, newNpm]);
    publish('Go', [go1Withdrawn, goWithdrawn]);
    requests.length = 0;
    const second = await updateVulnDb(db, opts());
    assert.deepEqual(
      second.steps.map((s) => [s.ecosystem, s.mode, s.records]),
      [
        ['npm', 'incremental', 2],
        ['Go', 'incremental', 1],
      ],
    );
    assert.ok(
      !requests.some((p) => p.endsWith('all.zip')),
      `no zip downloaded in the incremental step: ${requests.join(' ')}`,
    );
    assert.ok(requests.includes('/npm/GHSA-test-new0-0001.json'));
    v = openVulnDb(db);
    assert.equal(v.advisory('CVE-2030-0001')?.id, 'GHSA-test-new0-0001');
    assert.equal(v.advisory('GHSA-35jh-r3h4-6jhm')?.summary, 'Command Injection in lodash (revised)');
    assert.equal(v.advisory('GO-2020-0001'), undefined);
    assert.equal(v.affected('Go', 'github.com/gin-gonic/gin').length, 0);
    assert.equal(v.sources.find((s) => s.id === 'osv:npm')?.records, 2);
    assert.match(v.sources.find((s) => s.id === 'osv:npm')?.digest ?? '', /^sha256:/);
    v.close();

    // The same final data from disk.
    const disk = join(work, 'final');
    for (const eco of ['npm', 'Go']) {
      mkdirSync(join(disk, eco), { recursive: true });
      writeFileSync(join(disk, eco, 'all.zip'), files.get(`/${eco}/all.zip`) as Buffer);
    }
    writeFileSync(join(disk, 'kev.json'), files.get('/kev.json') as Buffer);
    writeFileSync(join(disk, 'epss.csv.gz'), files.get('/epss.csv.gz') as Buffer);
    const imported = join(work, 'imported.db');
    await buildVulnDb(imported, [disk]);
    const a = rows(db);
    const b = rows(imported);
    assert.equal(a.advisories.length, 2);
    assert.deepEqual(a, b);
  });

  test('an update killed mid-download leaves the old database in use and intact', async () => {
    const beforeBytes = readFileSync(db);
    publish('PyPI', [
      { ...newNpm, id: 'PYSEC-test-1', affected: [{ package: { ecosystem: 'PyPI', name: 'x' }, versions: ['1'] }] },
    ]);
    // Make the zip big enough that half of it is a real partial download.
    stall.add('/PyPI/all.zip');
    const reached = new Promise<void>((r) => {
      stalled = r;
    });
    const cli = process.env.BOLLARD_E2E_CLI ?? join(repo, 'bin', 'bollard');
    const child = spawn(
      process.execPath,
      [
        cli,
        'db',
        'update',
        '--db',
        db,
        '--osv-url',
        base,
        '--ecosystems',
        'PyPI,npm',
        '--no-kev',
        '--no-epss',
        '--quiet',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const outcome = await Promise.race([reached.then(() => 'stalled' as const), exited.then(() => 'exited' as const)]);
    assert.equal(
      outcome,
      'stalled',
      `the update exited before the download stalled (is "db" wired into src/cli/main.ts?): ${stderr}`,
    );
    child.kill('SIGKILL');
    await exited;
    assert.deepEqual(readFileSync(db), beforeBytes);
    const v = openVulnDb(db);
    try {
      assert.equal(v.advisory('GHSA-test-new0-0001')?.id, 'GHSA-test-new0-0001');
      assert.equal(
        v.sources.some((s) => s.id === 'osv:PyPI'),
        false,
      );
    } finally {
      v.close();
    }
    // The next update completes normally.
    stall.delete('/PyPI/all.zip');
    const r = await updateVulnDb(db, { ...opts(), ecosystems: ['PyPI'], kevUrl: false, epssUrl: false });
    assert.deepEqual(
      r.steps.map((s) => s.mode),
      ['full'],
    );
  });
});
