import { createHash } from 'node:crypto';
import { ConfigError, loadConfig } from '@privacy-relay/shared/config';
import { relayConfigSpec } from '../../config';
import { OperatorAuthenticator } from './operator-auth';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const baseEnv = {
  RELAY_COUNTERPARTY_HMAC_KEY: 'unit-test-counterparty-key-0123456789abcdef',
  RELAY_LINK_SECRET: 'unit-test-relay-link-secret-0123456789abcdef',
  RELAY_EVIDENCE_SIGNING_KEY: 'MC4CAQAwBQYDK2VwBCIEIEWwSR99gMYqDdkb0FUPq26tdoSaIyr7iugy3150BjWi',
  RELAY_EVIDENCE_DIR: '/nonexistent/evidence',
  RELAY_PLATFORM_PRIVACY_TEAM_EMAIL: 'privacy-team@platform.test',
};

describe('Operator credentials', () => {
  const config = loadConfig(relayConfigSpec, {
    ...baseEnv,
    RELAY_OPERATOR_TOKENS: ` alice:${sha256('alice-token-0123456789abcdef0123456789')} ,bob@ops:${sha256('bob-token').toUpperCase()}`,
  });
  const authenticator = new OperatorAuthenticator(config.operatorTokens);

  it('When a configured token is presented, then it names its operator', () => {
    expect(authenticator.authenticate('Bearer alice-token-0123456789abcdef0123456789')).toEqual({
      operatorId: 'alice',
    });
    expect(authenticator.authenticate('bearer bob-token')).toEqual({ operatorId: 'bob@ops' });
  });

  it('When the header is missing, not a bearer token, or an unknown token, then it names no operator', () => {
    expect(authenticator.authenticate(undefined)).toEqual({ failure: 'missing' });
    expect(authenticator.authenticate('')).toEqual({ failure: 'missing' });
    expect(authenticator.authenticate('Basic Ym9iLXRva2Vu')).toEqual({ failure: 'not-bearer' });
    expect(authenticator.authenticate('Bearer')).toEqual({ failure: 'not-bearer' });
    expect(authenticator.authenticate('Bearer bob token')).toEqual({ failure: 'not-bearer' });
    expect(authenticator.authenticate('Bearer bob-token2')).toEqual({ failure: 'unknown-token' });
    // The configured hash itself is not a token.
    expect(authenticator.authenticate(`Bearer ${sha256('bob-token')}`)).toEqual({ failure: 'unknown-token' });
  });

  it('When no operator is configured, then no token is accepted', () => {
    const none = new OperatorAuthenticator(loadConfig(relayConfigSpec, baseEnv).operatorTokens);
    expect(none.authenticate('Bearer anything')).toEqual({ failure: 'unknown-token' });
  });

  it('When RELAY_OPERATOR_TOKENS holds a plaintext token, a bad hash or a hash twice, then the relay refuses to start without echoing it', () => {
    for (const value of [
      'alice:plaintext-token',
      `alice:${sha256('x').slice(1)}`,
      `:${sha256('x')}`,
      `alice:${sha256('x')},bob:${sha256('x')}`,
    ]) {
      let error: unknown;
      try {
        loadConfig(relayConfigSpec, { ...baseEnv, RELAY_OPERATOR_TOKENS: value });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toContain('RELAY_OPERATOR_TOKENS');
      expect((error as ConfigError).message).not.toContain(value);
    }
  });

  it('When RELAY_HOST is unset, then the relay binds the loopback address only', () => {
    expect(loadConfig(relayConfigSpec, baseEnv).host).toBe('127.0.0.1');
  });
});
