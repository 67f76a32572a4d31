import { consoleCookiesSecure } from './console-routes';

describe('The console cookies’ Secure flag', () => {
  it.each([
    ['https://relay.example.com', true],
    ['http://relay.example.com', true],
    ['http://localhost:3001', false],
    ['http://127.0.0.1:3001', false],
    ['http://[::1]:3001', false],
    ['http://console.localhost', false],
    ['https://localhost:3001', true],
  ])('When RELAY_PUBLIC_URL is %s, then Secure is %s', (url, secure) => {
    expect(consoleCookiesSecure(url)).toBe(secure);
  });
});
