export * from './console-user';
export * from './password-hash';
export * from './dashboard';
export * from './directory-search';
