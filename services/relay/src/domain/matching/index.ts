export * from './counterparty-hash';
export * from './email-domains';
export * from './normalise';
export * from './tenant-index';
export * from './tenant-matcher';
export * from './case-id';
export * from './directory-entry';
export * from './company-named-in-text';
