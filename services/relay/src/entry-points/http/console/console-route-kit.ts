import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Viewer } from './console-pages';

/** What the console's route files share from its registration: who is signed in, and how a page is sent. */
export interface ConsoleRouteKit {
  viewerOf(request: FastifyRequest): Viewer;
  html(reply: FastifyReply, status: number, page: string): FastifyReply;
}
