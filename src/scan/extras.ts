import { defaultAnalyzers } from '../analyzers/api.ts';
import type { Analyzer } from '../analyzers/types.ts';
import {
  countForbidden,
  headerLicenseFindings,
  type LicenseFinding,
  type LicensePolicy,
  licenseResults,
  loadLicensePolicy,
  packageLicenseFindings,
  scanLicenseHeaders,
} from '../licenses/index.ts';
import type { Report } from '../report/types.ts';
import { redactImageMetadata } from '../secrets/image.ts';
import { collectSecrets, createSecretAnalyzer, secretResults, secretScannerFor } from '../secrets/index.ts';
import type { SecretFinding } from '../secrets/types.ts';
import type { InventoryResult } from './types.ts';

/** The `secret` and `license` scanners of `--scanners`, with their files. */
export interface ExtraScanOptions {
  secret: boolean;
  license: boolean;
  /** `--secret-config FILE`. */
  secretConfig?: string;
  /** `--license-policy FILE`. */
  licensePolicy?: string;
  /** Search source files of a directory target for SPDX-License-Identifier headers (default true). */
  licenseHeaders?: boolean;
}

export interface ExtraScans {
  /** The analyzers the inventory must run (the default ones, plus the secret analyzer when asked). */
  analyzers: readonly Analyzer[];
  /**
   * Add secret and licence results to a report (after its own filters), count secrets in its
   * summary, and return how many findings should fail the build with `--exit-code`: secrets of a
   * selected severity and licences the policy forbids.
   */
  finish(inv: InventoryResult, report: Report): number;
  secrets(): SecretFinding[];
  licenses(): LicenseFinding[];
}

/** Read the configuration files first, so a bad file fails before any work is done. */
export function prepareExtraScans(opts: ExtraScanOptions, base: readonly Analyzer[] = defaultAnalyzers()): ExtraScans {
  const scanner = opts.secret ? secretScannerFor(opts.secretConfig) : undefined;
  const collector = scanner ? createSecretAnalyzer(scanner) : undefined;
  const policy: LicensePolicy | undefined = opts.licensePolicy ? loadLicensePolicy(opts.licensePolicy) : undefined;
  let secrets: SecretFinding[] = [];
  let licenses: LicenseFinding[] = [];
  return {
    analyzers: collector ? [...base, collector.analyzer] : base,
    secrets: () => secrets,
    licenses: () => licenses,
    finish(inv, report) {
      const wanted = new Set(report.filters.severities);
      let failing = 0;
      if (scanner && collector) {
        const all = collectSecrets(inv, collector, scanner);
        // The report repeats the image config: never with the secrets the findings redact.
        if (report.target.image)
          report.target = { ...report.target, image: redactImageMetadata(report.target.image, all) };
        secrets = all.filter((f) => wanted.has(f.severity));
        report.results.push(...secretResults(secrets));
        for (const f of secrets) report.summary[f.severity]++;
        failing += secrets.length;
      }
      if (opts.license) {
        licenses = packageLicenseFindings(inv.inventory.packages, policy);
        const dir = inv.target.kind === 'rootfs' || inv.target.kind === 'filesystem' ? inv.target.path : undefined;
        if (dir && opts.licenseHeaders !== false) {
          const headers = scanLicenseHeaders(dir, {
            warn: (code, message, sample) => {
              const w = report.warnings.find((x) => x.code === code);
              if (w) w.count++;
              else
                report.warnings.push(
                  sample === undefined ? { code, message, count: 1 } : { code, message, count: 1, sample },
                );
            },
          });
          licenses.push(...headerLicenseFindings(headers, policy));
        }
        // A forbidden licence is always shown, whatever the severity filter.
        licenses = licenses.filter((f) => wanted.has(f.severity) || f.policy === 'forbidden');
        report.results.push(...licenseResults(licenses));
        failing += countForbidden(licenses);
      }
      return failing;
    },
  };
}
