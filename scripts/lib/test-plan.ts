import type { Dirent } from 'node:fs';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

/**
 * Which test files `npm test` runs, and with which `node --test` flags. Pure apart from reading the
 * directory tree, so it can be tested without running anything.
 *
 * Convention: a test that needs a service from `scripts/test-env.sh` (registry, podman, root) lives
 * under `test/e2e/` or is named `*.e2e.test.ts`; every other test is a unit test and must pass on a
 * machine with nothing but Node.
 */

export type Selection = 'all' | 'unit' | 'e2e';

export interface TestPlan {
  selection: Selection;
  /** Test files, relative to the repository root, sorted. */
  files: string[];
  /** Flags forwarded to `node --test` as given. */
  nodeArgs: string[];
  /** Positional filters that matched no test file (the caller reports them). */
  unmatched: string[];
}

const SKIP_DIRS = new Set(['node_modules', '__fixtures__', 'dist', '.git', '.cache', 'golden']);
/** `node --test` flags that take their value as the next argument. */
const VALUE_FLAGS = new Set([
  '--test-name-pattern',
  '--test-skip-pattern',
  '--test-reporter',
  '--test-reporter-destination',
  '--test-concurrency',
  '--test-timeout',
  '--test-shard',
  '--test-coverage-include',
  '--test-coverage-exclude',
  '--test-coverage-lines',
  '--test-coverage-branches',
  '--test-coverage-functions',
  '--test-isolation',
  '--test-global-setup',
]);

/** Every `*.test.ts` under `dirs` (relative to `root`), skipping dependencies, fixtures and build output. */
export function findTestFiles(root: string, dirs: readonly string[] = ['src', 'test']): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > 32) return;
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) walk(p, depth + 1);
      } else if (e.isFile() && e.name.endsWith('.test.ts')) {
        out.push(toPosix(relative(root, p)));
      }
    }
  };
  for (const d of dirs) walk(join(root, d), 0);
  return out.sort();
}

/** A test that needs the services of `scripts/test-env.sh`. */
export function isServiceTest(relPath: string): boolean {
  const p = toPosix(relPath);
  return p.startsWith('test/e2e/') || p.endsWith('.e2e.test.ts');
}

/**
 * Turn `scripts/test.ts` arguments into a plan: `--unit` / `--e2e` choose a selection, other
 * `--flags` go to `node --test`, and positional arguments filter the files (an existing file or
 * directory, else a substring of the relative path).
 */
export function planTests(root: string, argv: readonly string[], allFiles = findTestFiles(root)): TestPlan {
  let selection: Selection = 'all';
  const nodeArgs: string[] = [];
  const filters: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--unit') selection = 'unit';
    else if (a === '--e2e') selection = 'e2e';
    else if (a === '--') filters.push(...argv.slice(i + 1));
    else if (a.startsWith('--')) {
      nodeArgs.push(a);
      const next = argv[i + 1];
      if (!a.includes('=') && VALUE_FLAGS.has(a) && next !== undefined) {
        nodeArgs.push(next);
        i++;
      }
    } else filters.push(a);
    if (a === '--') break;
  }

  let files = allFiles.filter((f) =>
    selection === 'unit' ? !isServiceTest(f) : selection === 'e2e' ? isServiceTest(f) : true,
  );
  const unmatched: string[] = [];
  if (filters.length > 0) {
    const keep = new Set<string>();
    for (const filter of filters) {
      const matched = files.filter((f) => matches(root, f, filter));
      if (matched.length === 0) unmatched.push(filter);
      for (const f of matched) keep.add(f);
    }
    files = files.filter((f) => keep.has(f));
  }
  return { selection, files, nodeArgs, unmatched };
}

function matches(root: string, file: string, filter: string): boolean {
  const abs = isAbsolute(filter) ? filter : resolve(root, filter);
  if (existsSync(abs)) {
    const rel = toPosix(relative(root, abs));
    if (statSync(abs).isDirectory()) return rel === '' || file.startsWith(`${rel}/`);
    return file === rel;
  }
  return file.includes(toPosix(filter));
}

function toPosix(p: string): string {
  return sep === '/' ? p : p.split(sep).join('/');
}
