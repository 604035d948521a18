/**
 * The vulnerability database: `bollard db build` of everything under /work/shared/data/vuln that
 * Bollard imports (OSV zips, KEV, Alpine secdb, Debian security-support lists), timed against the
 * 10 s bound of issue #3; then 10,000 `affected()` look-ups on the result, in this process.
 *
 *   node bench/db-import.ts        (BOLLARD_VULN_DATA=DIR to point at another copy of the data)
 *
 * Ratio = import time / 10 s; target <= 1. The look-up time is reported next to its 100 ms bound.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openVulnDb } from '../src/vulndb/query.ts';
import { bollard, main, ms, reportFigure, requireBollard } from './lib.ts';

const BOUND_MS = 10_000;
const LOOKUPS = 10_000;
const LOOKUP_BOUND_MS = 100;

await main(() => {
  const data = process.env.BOLLARD_VULN_DATA ?? '/work/shared/data/vuln';
  const inputs = ['osv', 'kev/known_exploited_vulnerabilities.json', 'alpine-secdb', 'debian/security-support']
    .map((p) => join(data, p))
    .filter((p) => existsSync(p));
  if (inputs.length === 0) throw new Error(`no vulnerability data under ${data}`);
  requireBollard('db');
  const work = mkdtempSync(join(tmpdir(), 'bollard-bench-db-'));
  try {
    const out = join(work, 'bollard.db');
    const r = bollard(['db', 'build', '--out', out, '--quiet', ...inputs]);
    if (r.code !== 0) throw new Error(`db build exited ${r.code}: ${r.stderr.trim()}`);
    const db = openVulnDb(out);
    const counts = db.counts();
    // Real keys from the database, plus as many misses, in a fixed pseudo-random order.
    const raw = new DatabaseSync(out, { readOnly: true });
    const keys = (
      raw.prepare('SELECT DISTINCT ecosystem, package FROM affected').all() as { ecosystem: string; package: string }[]
    ).map((k) => [k.ecosystem, k.package] as const);
    raw.close();
    const probe: (readonly [string, string])[] = [];
    let seed = 42;
    for (let i = 0; i < LOOKUPS; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const k = keys[seed % keys.length] as readonly [string, string];
      probe.push(i % 2 === 0 ? k : [k[0], `${k[1]}-missing`]);
    }
    const t0 = performance.now();
    let found = 0;
    for (const [eco, pkg] of probe) found += db.affected(eco, pkg).length;
    const lookupMs = performance.now() - t0;
    db.close();
    const ratio = r.ms / BOUND_MS;
    const records = counts.advisories;
    console.log(
      `db build: ${ms(r.ms)} for ${records} advisories (${counts.affected} affected rows, ${counts.kev} KEV) from ${inputs.length} inputs`,
    );
    console.log(
      `affected(): ${LOOKUPS} look-ups in ${lookupMs.toFixed(1)} ms (${found} entries returned; bound ${LOOKUP_BOUND_MS} ms)`,
    );
    reportFigure({
      name: 'db-import',
      summary: `db import of the shared vuln data ${ms(r.ms)} for ${records} records: ratio ${ratio.toFixed(2)} of the 10 s bound`,
      ratio,
      target: '<= 1',
      pass: ratio <= 1,
      details: { importMs: r.ms, records, counts, inputs },
    });
    // The look-ups are one part of matching (bench/match.ts holds the bound): reported, not judged here.
    reportFigure({
      name: 'db-lookups',
      summary: `${LOOKUPS} cold affected() look-ups (half misses) in ${lookupMs.toFixed(1)} ms: ratio ${(lookupMs / LOOKUP_BOUND_MS).toFixed(2)} of a ${LOOKUP_BOUND_MS} ms budget`,
      ratio: lookupMs / LOOKUP_BOUND_MS,
      details: { lookups: LOOKUPS, lookupMs, found },
    });
    if (ratio > 1) process.exitCode = 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
