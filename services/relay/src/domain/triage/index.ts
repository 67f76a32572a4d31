export * from './not-ours';
