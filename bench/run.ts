/**
 * `npm run bench`: run every bench (or the ones named) one after the other, each in its own process,
 * then print the figures they measured.
 *
 *   npm run bench                       all of them
 *   npm run bench -- cache big-image    some of them
 *
 * Each bench prints `FIGURE name: ...` lines and writes bench/out/<figure>.json. Needs the test
 * environment (`sudo scripts/test-env.sh up`) and the CLI. Exit 1 when any bench failed or missed
 * its target.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Figure, outDir, repoRoot } from './lib.ts';

const BENCHES = ['sbom-vs-trivy', 'cache', 'big-image', 'versioning', 'match', 'db-import', 'netpol-matrix'] as const;

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !(BENCHES as readonly string[]).includes(w));
if (unknown.length) {
  console.error(`unknown bench: ${unknown.join(', ')} (known: ${BENCHES.join(', ')})`);
  process.exit(2);
}
const selected = wanted.length ? BENCHES.filter((b) => wanted.includes(b)) : [...BENCHES];

const failed: string[] = [];
for (const name of selected) {
  // Old figures of this bench must not be reported as if measured now.
  if (existsSync(outDir)) {
    for (const f of readdirSync(outDir)) if (f.startsWith(name)) rmSync(join(outDir, f));
  }
  console.log(`\n=== ${name}`);
  const start = Date.now();
  const r = spawnSync(process.execPath, [join(repoRoot, 'bench', `${name}.ts`)], { stdio: 'inherit', cwd: repoRoot });
  console.log(
    `=== ${name}: ${r.status === 0 ? 'done' : `FAILED (exit ${r.status ?? r.signal})`} in ${((Date.now() - start) / 1000).toFixed(1)} s`,
  );
  if (r.status !== 0) failed.push(name);
}

console.log('\nFigures:');
const figures: Figure[] = existsSync(outDir)
  ? readdirSync(outDir)
      .filter((f) => f.endsWith('.json') && selected.some((b) => f.startsWith(b)))
      .sort()
      .map((f) => JSON.parse(readFileSync(join(outDir, f), 'utf8')) as Figure)
  : [];
for (const f of figures) {
  const verdict = f.pass === undefined ? '' : f.pass ? ' [ok]' : ` [MISSES ${f.target}]`;
  console.log(`  ${f.name.padEnd(22)} ratio ${f.ratio.toFixed(3)}  ${f.summary}${verdict}`);
}
const missed = figures.filter((f) => f.pass === false).map((f) => f.name);
if (failed.length || missed.length) {
  console.log(`\nfailed: ${[...failed, ...missed].join(', ')}`);
  process.exitCode = 1;
}
