/**
 * The layer cache: a repeated `bollard sbom` of an image against the first one, with a fresh
 * `--cache-dir`, for the oci-archive and the registry image of scripts/test-env.sh.
 *
 *   node bench/cache.ts
 *
 * Cold: BENCH_COLD_RUNS runs, each with an empty cache directory. Warm: BENCH_RUNS runs against the
 * cache the first cold run filled. Ratio = warm median / cold median; target <= 0.25.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bollardBin,
  envInt,
  main,
  ms,
  reportFigure,
  requireBollard,
  requireTestEnv,
  runOk,
  summarise,
  type Timing,
  timeRuns,
} from './lib.ts';

const TARGET = 0.25;

await main(() => {
  const env = requireTestEnv();
  requireBollard('sbom');
  const coldRuns = envInt('BENCH_COLD_RUNS', 3);
  const warmRuns = envInt('BENCH_RUNS', 5);
  const targets = [
    { label: 'oci-archive', target: `oci-archive:${env.images.ociArchive}` },
    { label: 'registry', target: `docker://${env.registryImage}` },
  ];

  const work = mkdtempSync(join(tmpdir(), 'bollard-bench-cache-'));
  try {
    const results: Record<string, { cold: Timing; warm: Timing; ratio: number }> = {};
    for (const t of targets) {
      const args = (cacheDir: string) => [
        bollardBin,
        'sbom',
        t.target,
        '--format',
        'cyclonedx',
        '--output',
        join(work, 'out.cdx.json'),
        '--cache-dir',
        cacheDir,
        '--quiet',
      ];
      const cold: number[] = [];
      let warmDir = '';
      for (let i = 0; i < coldRuns; i++) {
        const dir = join(work, `${t.label}-cache-${i}`);
        cold.push(runOk(process.execPath, args(dir)).ms);
        if (i === 0) warmDir = dir;
      }
      const warm = timeRuns(process.execPath, args(warmDir), { runs: warmRuns });
      const coldT = summarise(cold);
      const ratio = warm.median / coldT.median;
      results[t.label] = { cold: coldT, warm, ratio };
      console.log(
        `${t.label.padEnd(12)} cold median ${ms(coldT.median)} (${coldRuns} runs), warm median ${ms(warm.median)} (${warmRuns} runs): ratio ${ratio.toFixed(3)}`,
      );
    }
    const worst = Math.max(...Object.values(results).map((r) => r.ratio));
    reportFigure({
      name: 'cache',
      summary: Object.entries(results)
        .map(([k, r]) => `${k} warm/cold ${r.ratio.toFixed(3)} (${ms(r.warm.median)} vs ${ms(r.cold.median)})`)
        .join('; '),
      ratio: worst,
      target: `<= ${TARGET}`,
      pass: worst <= TARGET,
      details: { coldRuns, warmRuns, results },
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
