/**
 * `npm test`: runs `node --test` over `src/**\/*.test.ts` and `test/**\/*.test.ts`.
 *
 *   npm test                          every test (service tests need `sudo scripts/test-env.sh up`)
 *   npm test -- --unit                only tests that need no service (see scripts/lib/test-plan.ts)
 *   npm test -- --e2e                 only the service tests
 *   npm test -- src/layer dpkg        files under a directory, or whose path contains a word
 *   npm test -- --test-name-pattern=whiteout   any other flag goes to `node --test`
 *
 * Env: BOLLARD_TEST_CONCURRENCY (default: max(2, cores)), BOLLARD_TEST_TIMEOUT_MS (per test,
 * default 300000), NODE_COMPILE_CACHE (default <repo>/.cache/node-compile).
 *
 * The output is node:test's own, so its closing summary lines (tests, pass, fail...) are what CI reads.
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planTests } from './lib/test-plan.ts';

// BOLLARD_TEST_ROOT: another tree to run (the tests of this script use it).
const root = process.env.BOLLARD_TEST_ROOT ?? dirname(dirname(fileURLToPath(import.meta.url)));
const plan = planTests(root, process.argv.slice(2));

if (plan.unmatched.length > 0) {
  console.error(
    `[test] no ${plan.selection === 'all' ? '' : `${plan.selection} `}test file matches: ${plan.unmatched.join(', ')}`,
  );
  process.exit(2);
}
if (plan.files.length === 0) {
  console.error(
    `[test] no ${plan.selection === 'all' ? '' : `${plan.selection} `}test files found under src/ and test/`,
  );
  process.exit(2);
}

// Tests spend much of their time waiting on child processes and sockets, so run at least two files
// at once even on a two-core machine (node's default would be one).
const concurrency = positiveInt(process.env.BOLLARD_TEST_CONCURRENCY) ?? Math.max(2, availableParallelism());
const timeoutMs = positiveInt(process.env.BOLLARD_TEST_TIMEOUT_MS) ?? 300_000;
const args = [
  '--test',
  `--test-concurrency=${concurrency}`,
  `--test-timeout=${timeoutMs}`,
  ...plan.nodeArgs,
  ...plan.files,
];
console.error(`[test] ${plan.files.length} files (${plan.selection}), concurrency ${concurrency}`);

const child = spawn(process.execPath, args, {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE ?? join(root, '.cache', 'node-compile') },
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal ? 1 : 0);
});

function positiveInt(v: string | undefined): number | undefined {
  if (v === undefined || !/^[1-9][0-9]*$/.test(v)) return undefined;
  return Number(v);
}
