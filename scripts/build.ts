// Compile src/ to dist/ (JavaScript + declarations) for the package's programmatic API.
// The CLI in a checkout runs the TypeScript sources directly; dist/ is what `import 'bollard'` loads.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = `${root}node_modules/typescript/bin/tsc`;
if (!existsSync(tsc)) {
  // An install without dev dependencies: the sources run as they are.
  process.stderr.write('build: typescript is not installed, skipping dist/ (the CLI runs from src/)\n');
  process.exit(0);
}
rmSync(`${root}dist`, { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, '-p', `${root}tsconfig.json`], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
// Data files the code reads next to itself at run time (the shipped Falco rules and their licence).
for (const dir of ['runtime/rules/upstream', 'runtime/rules/bollard']) {
  cpSync(`${root}src/${dir}`, `${root}dist/${dir}`, {
    recursive: true,
    filter: (src) => !src.endsWith('.ts') && !src.includes('__fixtures__'),
  });
}
