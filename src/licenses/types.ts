import type { PackageType } from '../analyzers/types.ts';
import type { Severity } from '../detect/types.ts';

/** What a licence allows, from most to least permissive (Google's licence classes, simplified). */
export type LicenseCategory =
  | 'permissive' // MIT, BSD, Apache-2.0, ISC, Zlib, public-domain dedications
  | 'weak-copyleft' // LGPL, MPL, EPL, CDDL: file or library copyleft
  | 'strong-copyleft' // GPL: the whole work when distributed
  | 'network-copyleft' // AGPL, SSPL, EUPL... : also when offered over a network
  | 'proprietary' // source-available and non-commercial terms: BUSL, Elastic, Commons Clause, CC-*-NC
  | 'unknown'; // not an SPDX licence, or not classified

/** A policy's verdict on one licence. */
export type LicensePolicyAction = 'forbidden' | 'restricted' | 'allowed';

/** One package's (or one source file's) licence, normalised and judged. */
export interface LicenseFinding {
  source: 'package' | 'header';
  /** Package name and version (`source: package`). */
  package?: string;
  version?: string;
  packageType?: PackageType;
  purl?: string;
  /** The file (package database, or the source file of a header), and its line for headers. */
  file?: string;
  line?: number;
  layer?: number;
  /** The licence as its metadata states it. */
  declared: string;
  /** The SPDX expression it normalises to; absent when it could not be normalised (kept as `declared`). */
  spdx?: string;
  /** The licence ids the expression names (LicenseRef-* included). */
  ids: string[];
  /** The most restrictive category among the licences that apply (for OR, the most permissive choice). */
  category: LicenseCategory;
  /** The policy verdict, when a policy was given. */
  policy?: LicensePolicyAction | 'unlisted';
  severity: Severity;
  /** True when the string could not be normalised to SPDX. */
  unknown: boolean;
}
