export * from './forwarding-case';
export * from './minimise-case';
export * from './extend-deadline';
export * from './escalation-ladder';
