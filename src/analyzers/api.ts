import { apkAnalyzer } from './apk/index.ts';
import { dpkgAnalyzer } from './dpkg/index.ts';
import { osAnalyzer } from './os-release/index.ts';
import { rpmAnalyzer } from './rpm/index.ts';
import type { Analyzer } from './types.ts';

/**
 * Every analyzer Bollard runs, in the order their `finalize` steps run (OS detection first, so
 * package analyzers can rely on it). Adding an analyzer means adding it here; nothing registers
 * itself by being imported.
 */
export const analyzers: readonly Analyzer[] = Object.freeze([osAnalyzer, dpkgAnalyzer, apkAnalyzer, rpmAnalyzer]);

export function defaultAnalyzers(): readonly Analyzer[] {
  return analyzers;
}

export function findAnalyzer(id: string): Analyzer | undefined {
  return analyzers.find((a) => a.id === id);
}
