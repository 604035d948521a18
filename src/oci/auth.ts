import { BollardError } from '../util/errors.ts';
import { asNumber, asString, isRecord, parseJsonBounded } from '../util/json.ts';
import type { Limits } from '../util/limits.ts';
import { type Logger, silentLogger } from '../util/logger.ts';
import type { Credentials } from './credentials.ts';
import { discard, type HttpTransport, hasSpaceOrControl, readBounded } from './http.ts';

/**
 * Registry authentication (distribution's token spec and Basic): parse WWW-Authenticate
 * challenges, fetch and cache bearer tokens per registry and scope, and remember per registry which
 * scheme it asked for, so later requests authenticate up front instead of collecting a 401 each.
 */

export interface Challenge {
  /** Lower-cased scheme: `bearer`, `basic`… */
  scheme: string;
  /** Parameters with lower-cased names (`realm`, `service`, `scope`, `error`). */
  params: Record<string, string>;
}

/**
 * Parse a WWW-Authenticate header (RFC 9110 §11.6.1): one or more challenges, each a scheme
 * followed by comma-separated `name=value` or `name="quoted, value"` parameters.
 */
export function parseWwwAuthenticate(header: string | string[]): Challenge[] {
  const out: Challenge[] = [];
  for (const h of Array.isArray(header) ? header : [header]) parseOne(h.slice(0, 16 * 1024), out);
  return out;
}

const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

function parseOne(s: string, out: Challenge[]): void {
  let i = 0;
  let current: Challenge | undefined;
  const skipSpace = (): void => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < s.length && TOKEN_CHAR.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  while (i < s.length) {
    skipSpace();
    if (s[i] === ',') {
      i++;
      continue;
    }
    const token = readToken();
    if (token === '') {
      i++; // stray character: skip it rather than give up on the header
      continue;
    }
    skipSpace();
    if (s[i] === '=' && current) {
      // A parameter of the current challenge.
      i++;
      skipSpace();
      let value = '';
      if (s[i] === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          value += s[i];
          i++;
        }
        i++; // closing quote
      } else {
        const start = i;
        while (i < s.length && s[i] !== ',' && s[i] !== ' ' && s[i] !== '\t') i++;
        value = s.slice(start, i);
      }
      current.params[token.toLowerCase()] = value;
      continue;
    }
    if (s[i] === '=' && !current) {
      // A parameter before any scheme: malformed, skip it.
      while (i < s.length && s[i] !== ',') i++;
      continue;
    }
    // A new challenge. (token68 forms such as `Basic abc==` are not used by registries.)
    current = { scheme: token.toLowerCase(), params: {} };
    out.push(current);
  }
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

interface RegistryAuthState {
  challenge?: Challenge;
  credentials?: Promise<Credentials | undefined>;
  /** Did the last challenge get answered with credentials (for error messages)? */
  sentCredentials?: Credentials;
}

export interface AuthenticatorOptions {
  transport: HttpTransport;
  /** Credentials for a registry (resolved at most once per registry, on its first challenge). */
  credentials: (registry: string) => Promise<Credentials | undefined>;
  limits: Pick<Limits, 'maxJsonBytes' | 'maxJsonDepth' | 'connectTimeoutMs' | 'headersTimeoutMs' | 'bodyTimeoutMs'>;
  logger?: Logger;
  /** client_id sent with OAuth2 refresh-token requests. */
  clientId?: string;
  now?: () => number;
}

/** Largest token response read (tokens are JWTs of a few KiB). */
const MAX_TOKEN_RESPONSE = 1024 * 1024;
const DEFAULT_EXPIRES_IN_S = 60;

export class Authenticator {
  readonly #o: AuthenticatorOptions;
  readonly #logger: Logger;
  readonly #state = new Map<string, RegistryAuthState>();
  readonly #tokens = new Map<string, Promise<CachedToken>>();
  /** Token server requests made (for tests and diagnostics). */
  tokenRequests = 0;

  constructor(o: AuthenticatorOptions) {
    this.#o = o;
    this.#logger = o.logger ?? silentLogger;
  }

  /**
   * The Authorization header for a request to `registry` needing `scope`, when the registry has
   * already told us how it authenticates; undefined means "try anonymously".
   */
  async authorize(registry: string, scope: string, signal?: AbortSignal): Promise<string | undefined> {
    const st = this.#state.get(registry);
    if (!st?.challenge) return undefined;
    const creds = await this.#credentials(registry, st);
    return this.#header(registry, st, st.challenge, creds, scope, false, signal);
  }

  /**
   * Answer a 401 from `registry`: remember its challenge and return the header to retry with.
   * Throws REGISTRY_AUTH when there is nothing to answer with.
   */
  async onUnauthorized(
    registry: string,
    scope: string,
    wwwAuthenticate: string | string[] | undefined,
    signal?: AbortSignal,
  ): Promise<string> {
    const challenges = wwwAuthenticate === undefined ? [] : parseWwwAuthenticate(wwwAuthenticate);
    const challenge = challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
    if (!challenge) {
      const scheme = challenges[0]?.scheme;
      throw new BollardError(
        'REGISTRY_AUTH',
        scheme
          ? `${registry} asks for ${scheme.slice(0, 32)} authentication, which is not supported (only Bearer and Basic)`
          : `${registry} answered 401 without a usable WWW-Authenticate challenge`,
      );
    }
    const st = this.#stateOf(registry);
    st.challenge = challenge;
    const creds = await this.#credentials(registry, st);
    const header = await this.#header(registry, st, challenge, creds, scope, true, signal);
    if (header === undefined) {
      throw new BollardError(
        'REGISTRY_AUTH',
        `${registry} requires authentication and no credentials were found for it; pass --username/--password or run docker login`,
      );
    }
    return header;
  }

  /** How the last request to `registry` was authenticated, for error messages (never the secret). */
  describeSent(registry: string): string {
    const st = this.#state.get(registry);
    if (st?.sentCredentials) return `credentials were sent (from ${st.sentCredentials.source})`;
    if (st?.challenge?.scheme === 'bearer') return 'no credentials were sent (an anonymous token was used)';
    return 'no credentials were sent';
  }

  /** Did we send credentials (not just an anonymous token) to `registry`? */
  sentCredentials(registry: string): boolean {
    return this.#state.get(registry)?.sentCredentials !== undefined;
  }

  #stateOf(registry: string): RegistryAuthState {
    let st = this.#state.get(registry);
    if (!st) {
      st = {};
      this.#state.set(registry, st);
    }
    return st;
  }

  #credentials(registry: string, st: RegistryAuthState): Promise<Credentials | undefined> {
    st.credentials ??= this.#o.credentials(registry);
    return st.credentials;
  }

  async #header(
    registry: string,
    st: RegistryAuthState,
    challenge: Challenge,
    creds: Credentials | undefined,
    scope: string,
    refresh: boolean,
    signal: AbortSignal | undefined,
  ): Promise<string | undefined> {
    if (creds?.kind === 'registry-token') {
      st.sentCredentials = creds;
      return `Bearer ${creds.token}`;
    }
    if (challenge.scheme === 'basic') {
      if (creds?.kind !== 'basic') return undefined;
      st.sentCredentials = creds;
      return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    }
    const realm = challenge.params.realm;
    if (!realm) throw new BollardError('REGISTRY_AUTH', `${registry} sent a Bearer challenge without a realm`);
    const service = challenge.params.service;
    const key = `${registry}\n${service ?? ''}\n${scope}`;
    const now = this.#o.now ?? Date.now;
    let cached = this.#tokens.get(key);
    if (cached && !refresh) {
      const t = await cached.catch(() => undefined);
      if (t && t.expiresAt > now()) {
        if (creds) st.sentCredentials = creds;
        return `Bearer ${t.token}`;
      }
    }
    // Scopes: ours, plus, when answering a 401, any the registry named in that challenge.
    const scopes = [scope];
    if (refresh)
      for (const s of (challenge.params.scope ?? '').split(' ')) if (s && !scopes.includes(s)) scopes.push(s);
    cached = this.#fetchToken(registry, realm, service, scopes, creds, signal);
    this.#tokens.set(key, cached);
    try {
      const t = await cached;
      st.sentCredentials = creds;
      return `Bearer ${t.token}`;
    } catch (e) {
      this.#tokens.delete(key);
      throw e;
    }
  }

  async #fetchToken(
    registry: string,
    realm: string,
    service: string | undefined,
    scopes: string[],
    creds: Credentials | undefined,
    signal: AbortSignal | undefined,
  ): Promise<CachedToken> {
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new BollardError('REGISTRY_AUTH', `${registry} named a token realm that is not a URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new BollardError(
        'REGISTRY_AUTH',
        `${registry} named a token realm with unsupported scheme ${url.protocol}`,
      );
    }
    this.tokenRequests++;
    const headers: Record<string, string> = { accept: 'application/json' };
    let method: 'GET' | 'POST' = 'GET';
    let body: Buffer | undefined;
    if (creds?.kind === 'identity-token') {
      // OAuth2 refresh-token grant, as docker login stores it.
      method = 'POST';
      const form = new URLSearchParams();
      form.set('grant_type', 'refresh_token');
      form.set('refresh_token', creds.token);
      form.set('client_id', this.#o.clientId ?? 'bollard');
      if (service) form.set('service', service);
      form.set('scope', scopes.join(' '));
      body = Buffer.from(form.toString());
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else {
      if (service) url.searchParams.set('service', service);
      for (const s of scopes) url.searchParams.append('scope', s);
      if (creds?.kind === 'basic') {
        headers.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
      }
    }
    this.#logger.debug('fetching registry token', { registry, tokenHost: url.host, scopes, withCredentials: !!creds });
    const res = await this.#o.transport.request({
      method,
      url,
      headers,
      ...(body ? { body } : {}),
      operation: `fetch token for ${registry}`,
      idempotent: true,
      ...(signal ? { signal } : {}),
    });
    if (res.status === 401 || res.status === 403) {
      await discard(res.body);
      throw new BollardError(
        'REGISTRY_AUTH',
        creds
          ? `token server ${url.host} rejected the credentials for ${registry} (HTTP ${res.status}; credentials were sent, from ${creds.source})`
          : `token server ${url.host} refused an anonymous token for ${registry} (HTTP ${res.status}; no credentials were sent)`,
      );
    }
    if (res.status < 200 || res.status > 299) {
      await discard(res.body);
      throw new BollardError('REGISTRY_AUTH', `token server ${url.host} answered HTTP ${res.status} for ${registry}`);
    }
    const limits = this.#o.limits;
    const raw = await readBounded(res, {
      maxBytes: Math.min(limits.maxJsonBytes, MAX_TOKEN_RESPONSE),
      what: `token response from ${url.host}`,
      host: url.host,
      operation: `fetch token for ${registry}`,
      limits,
    });
    let doc: unknown;
    try {
      doc = parseJsonBounded(raw, {
        maxBytes: MAX_TOKEN_RESPONSE,
        maxDepth: limits.maxJsonDepth,
        what: 'token response',
      });
    } catch {
      throw new BollardError('REGISTRY_AUTH', `token server ${url.host} answered with something that is not JSON`);
    }
    const token = isRecord(doc) ? asString(doc.token) || asString(doc.access_token) : undefined;
    // A token goes into a header: refuse anything that could split it.
    if (!token || token.length > 64 * 1024 || hasSpaceOrControl(token)) {
      throw new BollardError('REGISTRY_AUTH', `token server ${url.host} answered without a usable token`);
    }
    const expiresIn = (isRecord(doc) ? asNumber(doc.expires_in) : undefined) ?? DEFAULT_EXPIRES_IN_S;
    const now = (this.#o.now ?? Date.now)();
    // Renew a little early so a token never expires in flight.
    const lifetimeMs = Math.max(0, expiresIn * 1000 - Math.min(10_000, expiresIn * 100));
    return { token, expiresAt: now + lifetimeMs };
  }
}

/** The scope string for a repository (`repository:team/app:pull`). */
export function repositoryScope(repository: string, actions: 'pull' | 'pull,push'): string {
  return `repository:${repository}:${actions}`;
}
