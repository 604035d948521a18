import { apkAnalyzer } from './apk/index.ts';
import { dotnetAnalyzer } from './dotnet/index.ts';
import { dpkgAnalyzer } from './dpkg/index.ts';
import { fileModesAnalyzer } from './file-modes/index.ts';
import { golangAnalyzer } from './golang/index.ts';
import { javaAnalyzer } from './java/index.ts';
import { npmAnalyzer } from './npm/index.ts';
import { osAnalyzer } from './os-release/index.ts';
import { phpAnalyzer } from './php/index.ts';
import { pythonAnalyzer } from './python/index.ts';
import { rpmAnalyzer } from './rpm/index.ts';
import { rubyAnalyzer } from './ruby/index.ts';
import { rustAnalyzer } from './rust/index.ts';
import type { Analyzer } from './types.ts';

/**
 * Every analyzer Bollard runs, in the order their `finalize` steps run (OS detection first, so
 * package analyzers can rely on it). Adding an analyzer means adding it here; nothing registers
 * itself by being imported.
 */
export const analyzers: readonly Analyzer[] = Object.freeze([
  osAnalyzer,
  dpkgAnalyzer,
  apkAnalyzer,
  rpmAnalyzer,
  // Application packages (issue #4).
  npmAnalyzer,
  pythonAnalyzer,
  golangAnalyzer,
  javaAnalyzer,
  rustAnalyzer,
  rubyAnalyzer,
  phpAnalyzer,
  dotnetAnalyzer,
  // Headers only: setuid/setgid, world-writable, package caches, sshd/sudo (issue #6, image checks).
  fileModesAnalyzer,
]);

/** The analyzers of application packages only (lockfiles, manifests, binaries), for `bollard fs`. */
export const languageAnalyzers: readonly Analyzer[] = Object.freeze([
  npmAnalyzer,
  pythonAnalyzer,
  golangAnalyzer,
  javaAnalyzer,
  rustAnalyzer,
  rubyAnalyzer,
  phpAnalyzer,
  dotnetAnalyzer,
]);

export function defaultAnalyzers(): readonly Analyzer[] {
  return analyzers;
}

export function findAnalyzer(id: string): Analyzer | undefined {
  return analyzers.find((a) => a.id === id);
}
