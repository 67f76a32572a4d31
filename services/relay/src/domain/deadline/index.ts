export * from './compute-response-deadline';
export * from './jurisdiction';
export * from './plain-date';
export * from './today-in';
export * from './days-left';
export * from './working-days';
export * from './start-of-day';
