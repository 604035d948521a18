/**
 * Exit status requested by a command that succeeded but must fail the build (`--exit-code` with
 * findings left after filtering). runCli reads it after the command finished writing its output.
 */
let requested = 0;

export function requestExitCode(code: number): void {
  requested = code;
}

export function takeRequestedExitCode(): number {
  const c = requested;
  requested = 0;
  return c;
}
