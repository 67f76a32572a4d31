import { authservIdOf, parseAuthenticationResults, sameAuthservId } from './authentication-results';

describe('parseAuthenticationResults', () => {
  it('When OpenDKIM/OpenDMARC-style results are given, then each method, result and property is read and comments are dropped', () => {
    expect(
      parseAuthenticationResults(
        ' mx.relay.example;\r\n\tdkim=pass (2048-bit key; unprotected) header.d=signer.example header.i=@signer.example header.b="AbC+/12";\r\n' +
          '\tspf=pass (mx.relay.example: domain of ada@signer.example designates 192.0.2.1 as permitted sender) smtp.mailfrom=ada@signer.example;\r\n' +
          '\tdmarc=pass (p=none dis=none) header.from=signer.example',
      ),
    ).toEqual({
      authservId: 'mx.relay.example',
      results: [
        {
          method: 'dkim',
          result: 'pass',
          properties: { 'header.d': 'signer.example', 'header.i': '@signer.example', 'header.b': 'AbC+/12' },
        },
        { method: 'spf', result: 'pass', properties: { 'smtp.mailfrom': 'ada@signer.example' } },
        { method: 'dmarc', result: 'pass', properties: { 'header.from': 'signer.example' } },
      ],
    });
  });

  it('When the field has a version, method versions, a reason, nested comments, spaces around = and odd case, then it is read', () => {
    expect(
      parseAuthenticationResults(
        'MX.Relay.Example 1 (outer (inner; dmarc=pass) comment); DKIM/1 = Fail reason="bad signature; sorry" Header . D = signer.example; DMARC=Pass header.from="signer.example"',
      ),
    ).toEqual({
      authservId: 'MX.Relay.Example',
      results: [
        { method: 'dkim', result: 'fail', properties: { 'header.d': 'signer.example' } },
        { method: 'dmarc', result: 'pass', properties: { 'header.from': 'signer.example' } },
      ],
    });
  });

  it('When the field says "none", then it has no results', () => {
    expect(parseAuthenticationResults('mx.relay.example; none')).toEqual({
      authservId: 'mx.relay.example',
      results: [],
    });
  });

  it('When a quoted authserv-id or a quoted local-part holds a semicolon, then it does not split the field', () => {
    expect(
      parseAuthenticationResults(
        '"mx;relay"; spf=pass smtp.mailfrom="a;b"@signer.example; dmarc=pass header.from=signer.example',
      ),
    ).toEqual({
      authservId: 'mx;relay',
      results: [
        { method: 'spf', result: 'pass', properties: { 'smtp.mailfrom': '"a;b"@signer.example' } },
        { method: 'dmarc', result: 'pass', properties: { 'header.from': 'signer.example' } },
      ],
    });
  });

  it.each([
    [
      'no authserv-id (as Exchange Online writes it)',
      'spf=pass smtp.mailfrom=signer.example; dmarc=pass header.from=signer.example',
    ],
    ['an empty authserv-id', '; dmarc=pass'],
    ['no result at all', 'mx.relay.example'],
    ['an unknown version', 'mx.relay.example 2; dmarc=pass'],
    ['a method without a result', 'mx.relay.example; dmarc header.from=signer.example'],
    ['a property without a value', 'mx.relay.example; dmarc=pass header.from'],
    ['a property without a ptype', 'mx.relay.example; dmarc=pass from=signer.example'],
    ['a property given twice', 'mx.relay.example; dmarc=pass header.from=signer.example header.from=attacker.example'],
    ['an unclosed comment', 'mx.relay.example; dmarc=pass (p=none header.from=signer.example'],
    ['a stray closing parenthesis', 'mx.relay.example; dmarc=pass) header.from=signer.example'],
    ['an unclosed quoted string', 'mx.relay.example; dmarc=pass header.from="signer.example'],
    ['a comma instead of a semicolon', 'mx.relay.example; spf=pass, dmarc=pass'],
  ])('When the field has %s, then it cannot be read', (_what, value) => {
    expect(parseAuthenticationResults(value)).toBeUndefined();
  });
});

describe('authservIdOf', () => {
  it.each([
    ['mx.relay.example; dmarc=pass', 'mx.relay.example'],
    [' (a comment) mx.relay.example 1; dmarc=pass', 'mx.relay.example'],
    ['mx.relay.example; dmarc=pass header.from', 'mx.relay.example'],
    ['mx.relay.example; dmarc=pass (unclosed', 'mx.relay.example'],
    ['"mx relay"; none', 'mx relay'],
    ['; dmarc=pass', undefined],
  ])('When the field is %j, then its authserv-id is read even where the rest cannot be', (value, expected) => {
    expect(authservIdOf(value)).toBe(expected);
  });
});

describe('sameAuthservId', () => {
  it('When two ids differ in case only, then they are the same; a longer name containing it is not', () => {
    expect(sameAuthservId('MX.relay.example', 'mx.RELAY.example')).toBe(true);
    expect(sameAuthservId('mx.relay.example.attacker.example', 'mx.relay.example')).toBe(false);
  });
});
