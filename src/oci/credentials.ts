import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { RegistryOptions } from '../artifact/types.ts';
import { BollardError } from '../util/errors.ts';
import { asString, isRecord, parseJsonBounded } from '../util/json.ts';
import { type Logger, silentLogger } from '../util/logger.ts';
import { printable } from './http.ts';

/**
 * Where registry credentials come from, in Docker's order: explicit options, then Docker's
 * config.json (`credHelpers[host]`, then `credsStore`, then `auths`).
 */

export type Credentials =
  | { kind: 'basic'; username: string; password: string; source: string }
  /** An OAuth2 refresh token (`identitytoken` in config.json, `<token>` user from a helper). */
  | { kind: 'identity-token'; username?: string; token: string; source: string }
  /** A bearer token sent to the registry as is. */
  | { kind: 'registry-token'; token: string; source: string };

export interface CredentialOptions
  extends Pick<RegistryOptions, 'username' | 'password' | 'registryToken' | 'dockerConfigPath'> {
  /** Environment for DOCKER_CONFIG, HOME and the PATH credential helpers are looked up on (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Longest a credential helper may run (default 10 s). */
  helperTimeoutMs?: number;
  /** Most bytes read from a credential helper (default 64 KiB). */
  maxHelperOutputBytes?: number;
  /** Largest config.json read (default 1 MiB). */
  maxConfigBytes?: number;
  logger?: Logger;
}

/** The key Docker uses for Docker Hub in config.json and with credential helpers. */
export const DOCKER_HUB_CONFIG_KEY = 'https://index.docker.io/v1/';
const HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
const HELPER_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The server URL Docker passes to credential helpers and uses as the config.json key. */
export function dockerConfigKey(registry: string): string {
  return HUB_HOSTS.has(registry) ? DOCKER_HUB_CONFIG_KEY : registry;
}

export function defaultDockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DOCKER_CONFIG) return join(env.DOCKER_CONFIG, 'config.json');
  return join(env.HOME || homedir(), '.docker', 'config.json');
}

/** Find credentials for `registry` (as written in references: `docker.io`, `host:port`); undefined means anonymous. */
export async function resolveCredentials(
  registry: string,
  o: CredentialOptions = {},
): Promise<Credentials | undefined> {
  const explicit = explicitCredentials(o);
  if (explicit) return explicit;
  const env = o.env ?? process.env;
  const logger = o.logger ?? silentLogger;
  const path = o.dockerConfigPath ?? defaultDockerConfigPath(env);
  const config = await readDockerConfig(path, o.maxConfigBytes ?? 1024 * 1024, logger);
  if (!config) return undefined;
  const key = dockerConfigKey(registry);
  const helpers = isRecord(config.credHelpers) ? config.credHelpers : {};
  const helper = asString(helpers[key]) ?? asString(helpers[registry]);
  if (helper) {
    // A host with its own helper is answered by that helper alone, as Docker does.
    return runCredentialHelper(helper, key, { ...o, env });
  }
  const store = asString(config.credsStore);
  if (store) {
    const fromStore = await runCredentialHelper(store, key, { ...o, env });
    if (fromStore) return fromStore;
  }
  return fromAuths(config.auths, registry, path, logger);
}

/** Credentials given on the command line, in the environment or through the API. */
export function explicitCredentials(o: CredentialOptions): Credentials | undefined {
  if (o.registryToken) return { kind: 'registry-token', token: o.registryToken, source: 'the given registry token' };
  const hasUser = o.username !== undefined && o.username !== '';
  const hasPassword = o.password !== undefined && o.password !== '';
  if (hasUser !== hasPassword) {
    throw new BollardError('USAGE', 'a registry username and password must be given together');
  }
  if (hasUser && hasPassword) {
    return {
      kind: 'basic',
      username: o.username ?? '',
      password: o.password ?? '',
      source: 'the given username and password',
    };
  }
  return undefined;
}

async function readDockerConfig(
  path: string,
  maxBytes: number,
  logger: Logger,
): Promise<Record<string, unknown> | undefined> {
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') logger.warn('cannot read docker config', { path, code });
    return undefined;
  }
  try {
    const doc = parseJsonBounded(raw, { maxBytes, maxDepth: 16, what: `docker config ${path}` });
    if (isRecord(doc)) return doc;
    logger.warn('docker config is not a JSON object; ignoring it', { path });
  } catch (e) {
    logger.warn('docker config is unreadable; ignoring it', { path, reason: (e as Error).message });
  }
  return undefined;
}

function keyHost(key: string): string {
  return key
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
    .split('/')[0]!
    .toLowerCase();
}

function fromAuths(auths: unknown, registry: string, path: string, logger: Logger): Credentials | undefined {
  if (!isRecord(auths)) return undefined;
  const key = dockerConfigKey(registry);
  const hub = HUB_HOSTS.has(registry);
  // An exact key first, then any key naming the same host (`https://host/v1/`, `http://host`).
  let entryKey = Object.hasOwn(auths, key) ? key : undefined;
  entryKey ??= Object.keys(auths).find((k) => {
    const h = keyHost(k);
    return hub ? HUB_HOSTS.has(h) : h === registry.toLowerCase();
  });
  if (entryKey === undefined) return undefined;
  const entry = auths[entryKey];
  if (!isRecord(entry)) {
    logger.warn('docker config auth entry is not an object; ignoring it', { path, registry });
    return undefined;
  }
  const source = `docker config ${path}`;
  const identity = asString(entry.identitytoken);
  const username = asString(entry.username);
  if (identity) return { kind: 'identity-token', token: identity, source, ...(username ? { username } : {}) };
  const registryToken = asString(entry.registrytoken);
  if (registryToken) return { kind: 'registry-token', token: registryToken, source };
  const auth = asString(entry.auth);
  if (auth) {
    const decoded = /^[A-Za-z0-9+/=\s]*$/.test(auth) ? Buffer.from(auth, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    if (colon <= 0) {
      logger.warn('docker config auth entry is not base64 of user:password; ignoring it', { path, registry });
      return undefined;
    }
    return { kind: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1), source };
  }
  const password = asString(entry.password);
  if (username && password) return { kind: 'basic', username, password, source };
  return undefined;
}

/**
 * Run `docker-credential-<name> get` with the server URL on stdin. "credentials not found" means
 * anonymous (undefined); anything else that goes wrong is REGISTRY_AUTH.
 */
export async function runCredentialHelper(
  name: string,
  serverUrl: string,
  o: Pick<CredentialOptions, 'env' | 'helperTimeoutMs' | 'maxHelperOutputBytes'> = {},
): Promise<Credentials | undefined> {
  if (!HELPER_NAME_RE.test(name)) {
    throw new BollardError('REGISTRY_AUTH', `credential helper name "${name.slice(0, 64)}" is not valid`);
  }
  const program = `docker-credential-${name}`;
  const timeoutMs = o.helperTimeoutMs ?? 10_000;
  const maxBytes = o.maxHelperOutputBytes ?? 64 * 1024;
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      // Its own process group, so a helper's children die with it on timeout.
      const child = spawn(program, ['get'], {
        env: o.env ?? process.env,
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let bytes = 0;
      let settled = false;
      const fail = (e: BollardError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
        child.stdout.destroy();
        child.stderr.destroy();
        reject(e);
      };
      const timer = setTimeout(
        () =>
          fail(new BollardError('REGISTRY_AUTH', `credential helper ${program} did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const collect =
        (into: Buffer[]) =>
        (chunk: Buffer): void => {
          bytes += chunk.length;
          if (bytes > maxBytes) {
            fail(new BollardError('REGISTRY_AUTH', `credential helper ${program} wrote more than ${maxBytes} bytes`));
            return;
          }
          into.push(chunk);
        };
      child.stdout.on('data', collect(out));
      child.stderr.on('data', collect(err));
      child.stdin.on('error', () => undefined); // a helper that exits without reading stdin
      child.on('error', (e: NodeJS.ErrnoException) => {
        fail(
          e.code === 'ENOENT'
            ? new BollardError('REGISTRY_AUTH', `credential helper ${program} is not installed (not found on PATH)`)
            : new BollardError(
                'REGISTRY_AUTH',
                `credential helper ${program} could not be run: ${e.code ?? e.message}`,
              ),
        );
      });
      child.on('close', (exitCode) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({
          code: exitCode,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        });
      });
      child.stdin.end(serverUrl);
    },
  );
  if (code !== 0) {
    if (/credentials not found/i.test(stdout) || /credentials not found/i.test(stderr)) return undefined;
    const said = firstLine(stderr) || firstLine(stdout);
    throw new BollardError(
      'REGISTRY_AUTH',
      `credential helper ${program} failed (exit ${code ?? 'signal'})${said ? `: ${said}` : ''}`,
    );
  }
  let doc: unknown;
  try {
    doc = parseJsonBounded(stdout, { maxBytes, maxDepth: 4, what: `output of ${program}` });
  } catch {
    throw new BollardError('REGISTRY_AUTH', `credential helper ${program} wrote something that is not JSON`);
  }
  if (!isRecord(doc))
    throw new BollardError('REGISTRY_AUTH', `credential helper ${program} wrote no credentials object`);
  const username = asString(doc.Username) ?? '';
  const secret = asString(doc.Secret) ?? '';
  if (secret === '') return undefined;
  const source = `credential helper ${program}`;
  if (username === '<token>') return { kind: 'identity-token', token: secret, source };
  return { kind: 'basic', username, password: secret, source };
}

/** A single line of helper output for an error message, stripped of control characters and shortened. */
function firstLine(s: string): string {
  return printable(s.split('\n').find((l) => l.trim() !== '') ?? '')
    .trim()
    .slice(0, 160);
}
