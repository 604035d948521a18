import { Command, Option } from 'commander';
import { inventoryTarget } from '../scan/service.ts';
import type { InventoryResult } from '../scan/types.ts';
import { addTargetOptions, commandContext, type TargetFlags } from './options.ts';
import { formatTable, writeOutput } from './output.ts';

/** `bollard inventory TARGET`: what an image or root filesystem holds (OS and packages), as a table or JSON. */
interface InventoryFlags extends TargetFlags {
  format: 'table' | 'json';
  output?: string;
}

export function inventoryCommand(): Command {
  const cmd = new Command('inventory')
    .description('list the operating system and packages of an image or root filesystem')
    .argument('<target>', 'image or directory (see docs/targets.md)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('-o, --output <file>', 'write to a file instead of stdout');
  return addTargetOptions(cmd).action(async (target: string, flags: InventoryFlags) => {
    const ctx = commandContext(flags);
    try {
      const result = await inventoryTarget(target, ctx.inventoryOptions);
      ctx.dispose();
      await writeOutput(
        flags.format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : renderInventoryTable(result),
        flags.output,
      );
    } finally {
      ctx.dispose();
    }
  });
}

export function renderInventoryTable(r: InventoryResult): string {
  const os = r.inventory.os;
  const head = [
    `Target: ${r.target.name}`,
    os ? `OS: ${os.name} (${os.family} ${os.version})` : 'OS: not detected',
    `Packages: ${r.inventory.packages.length}`,
  ];
  if (r.target.image) {
    const md = r.target.image;
    head.splice(
      1,
      0,
      `Digest: ${md.manifestDigest ?? md.configDigest}  Platform: ${md.platform.os}/${md.platform.architecture}${md.platform.variant ? `/${md.platform.variant}` : ''}  Layers: ${md.layers.length}`,
    );
  }
  const rows = r.inventory.packages.map((p) => [
    p.name,
    p.version,
    p.source && (p.source.name !== p.name || p.source.version !== p.version)
      ? `${p.source.name} ${p.source.version}`
      : '',
    p.arch ?? '',
    p.type,
    p.location.layer === undefined ? '' : String(p.location.layer),
  ]);
  const cov = r.coverage.map((c) => `${c.id} ${c.status} (${c.files} files${c.note ? `, ${c.note}` : ''})`).join('; ');
  const warn = r.warnings.map((w) => `${w.code} ×${w.count}: ${w.message}${w.sample ? ` (e.g. ${w.sample})` : ''}`);
  return `${head.join('\n')}\n\n${formatTable(['NAME', 'VERSION', 'SOURCE', 'ARCH', 'TYPE', 'LAYER'], rows)}\nAnalyzers: ${cov}\n${warn.length ? `Warnings:\n  ${warn.join('\n  ')}\n` : ''}`;
}
