// Compile src/ to dist/ (JavaScript + declarations) for the package's programmatic API.
// The CLI in a checkout runs the TypeScript sources directly; dist/ is what `import 'bollard'` loads.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
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
process.exit(r.status ?? 1);
