import { Command, Option } from 'commander';
import { cacheInfo, cleanCache, defaultCacheDir } from '../layer/cache.ts';
import { formatBytes } from './progress.ts';

/** `bollard cache info|clean`: the layer cache under ~/.cache/bollard (or --cache-dir). */
export function cacheCommand(): Command {
  const cmd = new Command('cache').description('inspect or empty the layer cache');
  const dirOption = () =>
    new Option('--cache-dir <dir>', 'cache directory (default: ~/.cache/bollard)').env('BOLLARD_CACHE_DIR');
  cmd
    .command('info')
    .description('show where the cache is and how much it holds')
    .addOption(dirOption())
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action((flags: { cacheDir?: string; format: string }) => {
      const info = cacheInfo(flags.cacheDir ?? defaultCacheDir());
      process.stdout.write(
        flags.format === 'json'
          ? `${JSON.stringify(info)}\n`
          : `Cache: ${info.dir}\nLayers: ${info.entries}\nSize: ${formatBytes(info.bytes)}\n`,
      );
    });
  cmd
    .command('clean')
    .description('delete every cached layer result')
    .addOption(dirOption())
    .action((flags: { cacheDir?: string }) => {
      const dir = flags.cacheDir ?? defaultCacheDir();
      cleanCache(dir);
      process.stderr.write(`cleaned ${dir}\n`);
    });
  return cmd;
}
