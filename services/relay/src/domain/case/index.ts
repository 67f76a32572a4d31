export * from './forwarding-case';
export * from './extend-deadline';
