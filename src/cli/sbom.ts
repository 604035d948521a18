import { Command, Option } from 'commander';
import { findSbomFormat, sbomFormatNames } from '../sbom/api.ts';
import { inventoryTarget } from '../scan/service.ts';
import { BollardError } from '../util/errors.ts';
import { addTargetOptions, commandContext, type TargetFlags } from './options.ts';
import { writeOutput } from './output.ts';

/** `bollard sbom TARGET --format cyclonedx|spdx-json`: a software bill of materials for an image or directory. */
interface SbomFlags extends TargetFlags {
  format: string;
  output?: string;
}

export function sbomCommand(): Command {
  const cmd = new Command('sbom')
    .description('write a software bill of materials (CycloneDX 1.6 or SPDX 2.3 JSON) for an image or root filesystem')
    .argument('<target>', 'image or directory (see docs/targets.md)')
    .addOption(new Option('-f, --format <format>', `SBOM format: ${sbomFormatNames().join(', ')}`).default('cyclonedx'))
    .option('-o, --output <file>', 'write to a file instead of stdout');
  return addTargetOptions(cmd).action(async (target: string, flags: SbomFlags) => {
    const format = findSbomFormat(flags.format);
    if (!format)
      throw new BollardError('USAGE', `unknown SBOM format "${flags.format}" (use ${sbomFormatNames().join(', ')})`);
    const ctx = commandContext(flags);
    try {
      const result = await inventoryTarget(target, ctx.inventoryOptions);
      ctx.dispose();
      await writeOutput(format.write(result), flags.output);
    } finally {
      ctx.dispose();
    }
  });
}
