export * from './forwarding-case';
export * from './minimise-case';
