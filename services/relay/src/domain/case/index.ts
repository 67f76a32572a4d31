export * from './forwarding-case';
