import type { OSInfo } from '../analyzers/types.ts';
import { alpine } from './ospkg/alpine/index.ts';
import { debian } from './ospkg/debian/index.ts';
import { rpm } from './ospkg/rpm/index.ts';
import type { OsDetector } from './ospkg/types.ts';
import { ubuntu } from './ospkg/ubuntu/index.ts';

/** Every OS detector, in the order they are tried (explicit list, no import side effects). */
export const osDetectors: readonly OsDetector[] = [debian, ubuntu, alpine, rpm];

/** The detector for an OS: by its family, then by ID_LIKE (a Debian derivative matches as Debian only if it says so). */
export function osDetectorFor(os: OSInfo): OsDetector | undefined {
  return osDetectors.find((d) => d.families.includes(os.family));
}
