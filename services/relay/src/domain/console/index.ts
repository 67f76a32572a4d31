export * from './console-user';
export * from './password-hash';
