export * from './case-timer';
export * from './due-bucket';
