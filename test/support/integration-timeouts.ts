// Integration tests start services and wait for real brokers; jest's 5 s default is for unit tests.
// (testTimeout is a global option in jest, so the integration project sets it here.)
jest.setTimeout(120_000);
