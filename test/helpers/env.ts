import { existsSync, readFileSync } from 'node:fs';

/**
 * The real components the tests use (a debootstrap Debian root, images saved in every transport, a
 * loopback registry, podman's Docker-compatible API). `scripts/test-env.sh up` builds and starts them
 * and writes this file; tests that need them fail with a clear message when it is missing, they
 * never skip.
 */
export interface TestEnv {
  /** Root of the state directory (default /var/lib/bollard-test). */
  stateDir: string;
  /** debootstrap --variant=minbase bookworm root. */
  rootfs: string;
  /** A copy of `rootfs` upgraded with apt from the bookworm-security suite alone. */
  rootfsSecurity: string;
  /** The same root as images: */
  images: {
    /** Name in podman's storage (`localhost/bollard-test/bookworm:latest`). */
    podman: string;
    ociArchive: string;
    dockerArchive: string;
    /** `DIR:TAG` of an OCI image layout. */
    ociLayout: string;
  };
  /** `127.0.0.1:PORT` of the docker-registry (distribution 2.8) serving plain HTTP. */
  registry: string;
  /** The image pushed to the registry (`127.0.0.1:PORT/bollard-test/bookworm:latest`). */
  registryImage: string;
  /** unix socket of `podman system service` (Docker Engine API). */
  podmanSocket: string;
  /** CONTAINERS_CONF for podman commands. */
  containersConf: string;
}

export const TEST_ENV_FILE = process.env.BOLLARD_TEST_ENV ?? '/var/lib/bollard-test/env.json';

let cached: TestEnv | undefined;

export function testEnv(): TestEnv {
  if (cached) return cached;
  if (!existsSync(TEST_ENV_FILE)) {
    throw new Error(`test environment not found at ${TEST_ENV_FILE}: run "sudo scripts/test-env.sh up" first`);
  }
  cached = JSON.parse(readFileSync(TEST_ENV_FILE, 'utf8')) as TestEnv;
  return cached;
}
