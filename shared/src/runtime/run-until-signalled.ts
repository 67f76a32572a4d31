import type { Logger } from '../logger';

/** What a service exposes to its entry point and to in-process tests. */
export interface Service {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a service and stops it gracefully on SIGTERM/SIGINT, or when the launcher that started it
 * with an IPC channel goes away (it is told `{ type: 'ready' }` once the service has started). A
 * stop that outlasts the timeout, a failed start or an unhandled rejection ends the process with a
 * non-zero code.
 */
export async function runUntilSignalled(service: Service, logger: Logger, shutdownTimeoutMs: number): Promise<void> {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    const timer = setTimeout(() => {
      logger.error({ shutdownTimeoutMs }, 'graceful stop took too long; exiting');
      process.exit(1);
    }, shutdownTimeoutMs);
    timer.unref();
    try {
      await service.stop();
      logger.info('stopped');
      logger.flush();
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'stop failed');
      logger.flush();
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  // Started by a launcher (npm start) with an IPC channel: the channel closes when the launcher is
  // gone however it went, SIGKILL included, and a service must not run on without it.
  if (process.send) process.once('disconnect', () => void stop('launcher gone'));
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled rejection');
    void stop('unhandledRejection').finally(() => process.exit(1));
  });

  try {
    await service.start();
    // Tells a launcher that this service is up (it waits for this before it says "ready").
    if (process.connected) process.send?.({ type: 'ready' });
  } catch (error) {
    logger.fatal({ err: error }, 'start failed');
    await service.stop().catch(() => undefined);
    logger.flush();
    process.exit(1);
  }
}
