export { createHttpServer, toErrorResponse } from './create-http-server';
export type { HttpServerOptions, ReadinessCheck, ErrorBody } from './create-http-server';
export { Registry } from 'prom-client';
