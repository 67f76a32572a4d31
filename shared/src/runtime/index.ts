export { runUntilSignalled } from './run-until-signalled';
export type { Service } from './run-until-signalled';
