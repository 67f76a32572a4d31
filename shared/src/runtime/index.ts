export { runUntilSignalled } from './run-until-signalled';
export type { Service } from './run-until-signalled';
export { ServiceRuntime } from './service-runtime';
export type { ServiceRuntimeOptions, CommonConfig } from './service-runtime';
export { runMain } from './run-main';
export { PeriodicTask, type PeriodicTaskOptions } from './periodic-task';
