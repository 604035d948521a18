/**
 * Matching throughput against a real database: 10,000 installed packages (Debian OS packages and
 * npm, PyPI, Go and crates.io packages; every third one a distinct name the database knows, at a
 * version some record fixed, so it is vulnerable to what was fixed later; the rest unknown names
 * as in a real image) matched with `detectVulnerabilities` once the database is open.
 *
 *   node bench/match.ts
 *
 * The database is built from the project's fixtures (Debian 12 feed, KEV) plus the OSV zips of
 * BENCH_OSV_DIR (default ../shared/data/vuln/osv when present). Reported: the first match after
 * opening (cold statement and row caches) and the median of BENCH_RUNS further matches; ratio =
 * cold time / 200 ms (the bound); target <= 1.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Package } from '../src/analyzers/types.ts';
import { detectVulnerabilities } from '../src/detect/match.ts';
import { buildVulnDb } from '../src/vulndb/import.ts';
import { openVulnDb } from '../src/vulndb/query.ts';
import { envInt, main, ms, repoRoot, reportFigure, summarise } from './lib.ts';

const BOUND_MS = 200;
const ECOSYSTEM: Record<string, string> = {
  deb: 'Debian:12',
  npm: 'npm',
  pypi: 'PyPI',
  golang: 'Go',
  cargo: 'crates.io',
};
const PACKAGES = 10_000;

await main(async () => {
  const work = mkdtempSync(join(tmpdir(), 'bollard-bench-match-'));
  try {
    const inputs = [
      join(repoRoot, 'test/fixtures/vuln/osv/Debian/all.zip'),
      join(repoRoot, 'test/fixtures/vuln/kev/known_exploited_vulnerabilities.json'),
    ];
    const osvDir = process.env.BENCH_OSV_DIR ?? join(repoRoot, '..', 'shared', 'data', 'vuln', 'osv');
    if (existsSync(osvDir)) {
      for (const eco of readdirSync(osvDir)) {
        const zip = join(osvDir, eco, 'all.zip');
        if (eco !== 'Debian' && existsSync(zip)) inputs.push(zip);
      }
    }
    const dbPath = process.env.BENCH_DB ?? join(work, 'bollard.db');
    if (!process.env.BENCH_DB || !existsSync(dbPath)) await buildVulnDb(dbPath, inputs);

    // Real names from the database, so look-ups hit rows and evaluate ranges.
    const raw = new DatabaseSync(dbPath, { readOnly: true });
    // Each known package gets a version some record fixed: installed software is usually a past
    // release, vulnerable to what was fixed after it and not to what was fixed before.
    const fixedVersions = new Map<string, string[]>();
    const names = (eco: string): string[] => {
      const rows = raw.prepare('SELECT package, ranges FROM affected WHERE ecosystem = ?').all(eco) as {
        package: string;
        ranges: string;
      }[];
      for (const r of rows) {
        const key = `${eco}\0${r.package}`;
        const list = fixedVersions.get(key) ?? [];
        for (const range of JSON.parse(r.ranges) as { events: Record<string, string>[] }[])
          for (const e of range.events) if (e.fixed) list.push(e.fixed);
        fixedVersions.set(key, list);
      }
      return [...new Set(rows.map((r) => r.package))];
    };
    const known: Record<string, string[]> = {
      deb: names('Debian:12'),
      npm: names('npm'),
      pypi: names('PyPI'),
      golang: names('Go'),
      cargo: names('crates.io'),
    };
    raw.close();
    const version: Record<string, (i: number) => string> = {
      deb: (i) => `${1 + (i % 3)}.${i % 17}.${i % 5}-${1 + (i % 4)}+deb12u${i % 3}`,
      npm: (i) => `${i % 5}.${i % 13}.${i % 7}`,
      pypi: (i) => `${i % 5}.${i % 11}.${i % 3}`,
      golang: (i) => `v${i % 3}.${i % 19}.${i % 5}`,
      cargo: (i) => `0.${i % 23}.${i % 7}`,
    };
    const types = Object.keys(known).filter((t) => (known[t]?.length ?? 0) > 0);
    const packages: Package[] = [];
    const used: Record<string, number> = {};
    for (let i = 0; i < PACKAGES; i++) {
      const type = types[i % types.length] as string;
      const pool = known[type] ?? [];
      // Every package appears once, as in a real image: a known name is used at most once.
      const next = used[type] ?? 0;
      const hit = i % 3 === 0 && next < pool.length;
      if (hit) used[type] = next + 1;
      const name = hit ? (pool[next] as string) : `bench-miss-${type}-${i}`;
      const eco = ECOSYSTEM[type] as string;
      const fixes = hit ? fixedVersions.get(`${eco}\0${name}`) : undefined;
      const past = fixes && fixes.length > 0 ? fixes[i % fixes.length] : undefined;
      const v =
        past !== undefined
          ? type === 'golang' && !past.startsWith('v')
            ? `v${past}`
            : past
          : (version[type]?.(i) ?? '1.0.0');
      packages.push({
        type: type as Package['type'],
        name,
        version: v,
        ...(type === 'deb' ? { source: { name, version: v } } : {}),
        licenses: [],
        location: { path: type === 'deb' ? 'var/lib/dpkg/status' : `app/${type}.lock`, layer: 0 },
      });
    }
    const inventory = {
      os: { family: 'debian', release: '12', version: '12.15', name: 'Debian GNU/Linux 12 (bookworm)' },
      packages,
    };

    if (process.env.BENCH_DUMP_INVENTORY) writeFileSync(process.env.BENCH_DUMP_INVENTORY, JSON.stringify(inventory));
    const db = openVulnDb(dbPath);
    let t = performance.now();
    const first = detectVulnerabilities(inventory, db);
    const cold = performance.now() - t;
    // The same reader again: its row caches are warm, as in a server that keeps the database open.
    const warmRuns: number[] = [];
    for (let r = 0; r < envInt('BENCH_RUNS', 5); r++) {
      t = performance.now();
      detectVulnerabilities(inventory, db);
      warmRuns.push(performance.now() - t);
    }
    const warm = summarise(warmRuns).median;
    const runs: number[] = [];
    for (let r = 0; r < envInt('BENCH_RUNS', 9); r++) {
      const again = openVulnDb(dbPath);
      t = performance.now();
      detectVulnerabilities(inventory, again);
      runs.push(performance.now() - t);
      again.close();
    }
    db.close();
    const findings = first.results.reduce((n, r) => n + (r.vulnerabilities?.length ?? 0), 0);
    const s = summarise(runs);
    const ratio = s.median / BOUND_MS;
    reportFigure({
      name: 'match-10k',
      summary: `${PACKAGES} packages (${types.join(', ')}) matched on a freshly opened database in ${ms(s.median)} (median; first ever ${ms(cold)}), on an open warm reader in ${ms(warm)}; ${findings} findings, ${first.packagesEvaluated} evaluated; ratio ${ratio.toFixed(2)} of the ${BOUND_MS} ms bound`,
      ratio,
      target: '<= 1',
      pass: ratio <= 1,
      details: {
        cold,
        fresh: runs,
        warm: warmRuns,
        findings,
        evaluated: first.packagesEvaluated,
        inputs: inputs.length,
      },
    });
    reportFigure({
      name: 'match-10k-warm',
      summary: `same 10,000 packages on an open reader with warm caches: ${ms(warm)}; ratio ${(warm / BOUND_MS).toFixed(2)}`,
      ratio: warm / BOUND_MS,
      details: { warm: warmRuns },
    });
    if (ratio > 1) process.exitCode = 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
