/**
 * Version matching throughput: 10,000 installed packages, spread over every versioning module,
 * each matched against an OSV-style affected entry (a range, sometimes a versions list) with
 * `matchAffected`, in one process after one warm-up pass.
 *
 *   node bench/versioning.ts
 *
 * Ratio = median time of BENCH_RUNS passes / 200 ms (the bound); target <= 1.
 */
import { versioningFor } from '../src/versioning/api.ts';
import { matchAffected } from '../src/versioning/range.ts';
import type { AffectedRange } from '../src/versioning/types.ts';
import { envInt, main, ms, reportFigure, summarise } from './lib.ts';

const BOUND_MS = 200;
const PACKAGES = 10_000;

interface Case {
  ecosystem: string;
  installed: (i: number) => string;
  ranges: AffectedRange[];
  versions: string[];
}

const eco = (events: AffectedRange['events']): AffectedRange => ({ type: 'ECOSYSTEM', events });

// Versions vary with i so that caches see a realistic spread of distinct strings.
const CASES: Case[] = [
  {
    ecosystem: 'Debian:12',
    installed: (i) => `1:2.${i % 97}.1-5+deb12u${i % 4}`,
    ranges: [eco([{ introduced: '0' }, { fixed: '1:2.50.1-5+deb12u3' }])],
    versions: [],
  },
  {
    ecosystem: 'Red Hat',
    installed: (i) => `3.0.${i % 50}-16.el9_2`,
    ranges: [eco([{ introduced: '0' }, { fixed: '3.0.7-18.el9_2' }])],
    versions: [],
  },
  {
    ecosystem: 'Alpine:v3.19',
    installed: (i) => `1.36.${i % 40}-r${i % 20}`,
    ranges: [eco([{ introduced: '0' }, { fixed: '1.36.1-r16' }])],
    versions: [],
  },
  {
    ecosystem: 'npm',
    installed: (i) => `4.17.${i % 30}`,
    ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }],
    versions: ['4.17.0'],
  },
  {
    ecosystem: 'PyPI',
    installed: (i) => `2.${i % 40}.0`,
    ranges: [eco([{ introduced: '2.0' }, { fixed: '2.31.0' }])],
    versions: ['2.0.0', '2.1.0'],
  },
  {
    ecosystem: 'Maven',
    installed: (i) => `2.${i % 20}.1`,
    ranges: [eco([{ introduced: '2.0-beta9' }, { fixed: '2.15.0' }])],
    versions: [],
  },
  {
    ecosystem: 'Go',
    installed: (i) => `v0.${i % 30}.0`,
    ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '0.17.0' }] }],
    versions: [],
  },
  {
    ecosystem: 'crates.io',
    installed: (i) => `0.${i % 12}.3`,
    ranges: [eco([{ introduced: '0.10.0' }, { fixed: '0.10.55' }])],
    versions: [],
  },
  {
    ecosystem: 'RubyGems',
    installed: (i) => `7.0.${i % 9}.${i % 3}`,
    ranges: [eco([{ introduced: '7.0.0' }, { fixed: '7.0.8.1' }])],
    versions: [],
  },
  {
    ecosystem: 'Packagist',
    installed: (i) => `v5.4.${i % 40}`,
    ranges: [eco([{ introduced: '5.0.0' }, { fixed: '5.4.31' }])],
    versions: [],
  },
  {
    ecosystem: 'NuGet',
    installed: (i) => `13.0.${i % 5}`,
    ranges: [eco([{ introduced: '0' }, { fixed: '13.0.1' }])],
    versions: [],
  },
];

function pass(): number {
  let affected = 0;
  for (let i = 0; i < PACKAGES; i++) {
    const c = CASES[i % CASES.length]!;
    const v = versioningFor(c.ecosystem);
    if (!v) throw new Error(`no versioning for ${c.ecosystem}`);
    if (matchAffected(v, c.installed(i), { ranges: c.ranges, versions: c.versions }, c.ecosystem)) affected++;
  }
  return affected;
}

await main(() => {
  const runs = envInt('BENCH_RUNS', 7);
  const affected = pass(); // warm-up (JIT, parse caches)
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = process.hrtime.bigint();
    pass();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const t = summarise(samples);
  const ratio = t.median / BOUND_MS;
  reportFigure({
    name: 'versioning-match',
    summary: `${PACKAGES} packages over ${CASES.length} ecosystems matched in ${ms(t.median)} (median of ${runs}; ${affected} affected), ${ratio.toFixed(2)}x the ${BOUND_MS} ms bound`,
    ratio,
    target: '<= 1',
    pass: ratio <= 1,
    details: {
      packages: PACKAGES,
      ecosystems: CASES.map((c) => c.ecosystem),
      affected,
      samplesMs: t.samples,
      minMs: t.min,
      maxMs: t.max,
    },
  });
  if (ratio > 1) process.exitCode = 1;
});
