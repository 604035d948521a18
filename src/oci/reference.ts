import { type Digest, isDigest } from '../util/digest.ts';
import { BollardError } from '../util/errors.ts';

/**
 * An image reference normalised the way Docker does it:
 * `alpine` → `docker.io/library/alpine:latest`, `localhost:5000/app@sha256:…`, `[::1]:5000/x:1`.
 */
export interface Reference {
  /** Registry host as written (with port), `docker.io` for Docker Hub. */
  registry: string;
  /** Repository path inside the registry (`library/alpine`). */
  repository: string;
  /** Tag, when one was given or implied (`latest` only when neither tag nor digest was given). */
  tag: string | undefined;
  /** Digest, when one was given. */
  digest: Digest | undefined;
}

export const DOCKER_HUB = 'docker.io';
const LEGACY_HUB = 'index.docker.io';
const MAX_NAME_LENGTH = 255;

// Grammar from the distribution project's reference package (regexp.go), written out here.
const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const REMOTE_NAME_RE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|${IPV6})`;
const DOMAIN_RE = new RegExp(`^${HOST}(?::[0-9]+)?$`);
const TAG_RE = /^[\w][\w.-]{0,127}$/;

export function parseReference(input: string): Reference {
  const fail = (why: string): never => {
    throw new BollardError('REFERENCE_INVALID', `invalid image reference "${input.slice(0, 300)}": ${why}`);
  };
  if (input.length === 0) fail('empty');
  if (input.length > 1024) fail('too long');
  let rest = input;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const d = rest.slice(at + 1);
    if (!isDigest(d)) fail('digest must be sha256:<64 hex> or sha512:<128 hex>');
    digest = d as Digest;
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  // A tag is after the last ':' that comes after the last '/' (a ':' before it is a port).
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) fail(`tag "${tag}" is not valid`);
  }
  let registry: string;
  let repository: string;
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  if (slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('['))) {
    registry = first;
    repository = rest.slice(slash + 1);
    if (!DOMAIN_RE.test(registry)) fail(`registry "${registry}" is not a valid host`);
  } else {
    registry = DOCKER_HUB;
    repository = rest;
  }
  if (registry === LEGACY_HUB) registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  if (repository !== repository.toLowerCase()) fail('repository name must be lowercase');
  if (!REMOTE_NAME_RE.test(repository)) fail(`repository "${repository}" is not valid`);
  if (registry.length + 1 + repository.length > MAX_NAME_LENGTH) fail(`name longer than ${MAX_NAME_LENGTH} characters`);
  if (tag === undefined && digest === undefined) tag = 'latest';
  return { registry, repository, tag, digest };
}

/** `registry/repository`, e.g. `docker.io/library/alpine`. */
export function referenceName(ref: Reference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** The fully qualified string form: `docker.io/library/alpine:3.20@sha256:…`. */
export function formatReference(ref: Reference): string {
  return `${referenceName(ref)}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** The short form Docker shows (`alpine:latest`, `ghcr.io/x/y:1`). */
export function familiarReference(ref: Reference): string {
  let name = referenceName(ref);
  if (ref.registry === DOCKER_HUB) {
    name = ref.repository.startsWith('library/') ? ref.repository.slice('library/'.length) : ref.repository;
  }
  return `${name}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** The host to talk to for the registry API (`registry-1.docker.io` for Docker Hub). */
export function registryApiHost(ref: Reference): string {
  return ref.registry === DOCKER_HUB ? 'registry-1.docker.io' : ref.registry;
}

/** Is the registry on a loopback address, where Docker allows plain HTTP without configuration? */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.startsWith('[') ? registry.slice(1, registry.indexOf(']')) : registry.replace(/:\d+$/, '');
  return host === 'localhost' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === '::1';
}
