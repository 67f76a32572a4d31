export { AppError, isRetriableError } from './app-error';
export type { AppErrorOptions } from './app-error';
