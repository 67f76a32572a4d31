import { Counter, type Registry } from 'prom-client';

/** A counter registered once per registry, so that two consumers in one process share it. */
export function counter<L extends string>(
  registry: Registry | undefined,
  name: string,
  help: string,
  labelNames: readonly L[],
): Counter<L> | undefined {
  if (!registry) return undefined;
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}
