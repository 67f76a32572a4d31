export * from './forwarding-case';
export * from './minimise-case';
export * from './extend-deadline';
