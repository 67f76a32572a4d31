export * from './compute-response-deadline';
export * from './jurisdiction';
export * from './plain-date';
