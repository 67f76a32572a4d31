/** Jest globalTeardown: stops what global-setup.ts started (nothing when the stack came from env). */
import type { TestStack } from '@privacy-relay/infra';

declare global {
  var __privacyRelayTestStack: TestStack | undefined;
}

export default async function globalTeardown(): Promise<void> {
  const stack = globalThis.__privacyRelayTestStack;
  globalThis.__privacyRelayTestStack = undefined;
  if (stack === undefined || stack.source === 'env') return;
  const started = Date.now();
  await stack.stop();
  process.stdout.write(`test stack (${stack.source}) stopped in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
