import type { Connection } from 'mongoose';

/** One filter a connection sent for a collection (a find, an update's or delete's `q`, a findAndModify's query). */
export interface SentFilter {
  collection: string;
  command: string;
  filter: Record<string, unknown>;
}

/** How the store serves a filter: from an index, or by reading the whole collection. */
export interface FilterPlan extends SentFilter {
  scans: boolean;
  /** The plan's node types (PostgreSQL under FerretDB) or stages (MongoDB), outermost first. */
  nodes: string[];
}

/**
 * Records every filter that `connection` (created with `monitorCommands: true`) sends for the
 * named collections, from now on. Lets a test ask the store itself, with `explain`, how each one
 * is served (`plansOf`): what a sweep reads is the store's plan, not what comes back.
 */
export function recordFilters(connection: Connection, collections: readonly string[]): SentFilter[] {
  const sent: SentFilter[] = [];
  connection.getClient().on('commandStarted', (event) => {
    const command = event.command as Record<string, unknown>;
    const collection = command[event.commandName];
    if (typeof collection !== 'string' || !collections.includes(collection)) return;
    const filters: unknown[] = [];
    if (event.commandName === 'find' || event.commandName === 'count') filters.push(command.filter ?? command.query);
    if (event.commandName === 'findAndModify') filters.push(command.query);
    if (event.commandName === 'update') filters.push(...(command.updates as { q: unknown }[]).map((u) => u.q));
    if (event.commandName === 'delete') filters.push(...(command.deletes as { q: unknown }[]).map((d) => d.q));
    if (event.commandName === 'aggregate') {
      const match = (command.pipeline as Record<string, unknown>[])[0]?.$match;
      filters.push(match ?? {});
    }
    for (const filter of filters) {
      sent.push({ collection, command: event.commandName, filter: (filter ?? {}) as Record<string, unknown> });
    }
  });
  return sent;
}

/** The store's plan for each filter, asked as `explain` of a find with it (updates and deletes select their documents the same way). */
export async function plansOf(connection: Connection, filters: readonly SentFilter[]): Promise<FilterPlan[]> {
  const plans: FilterPlan[] = [];
  for (const sent of filters) {
    const explained = (await connection.db!.command({
      explain: { find: sent.collection, filter: sent.filter },
      verbosity: 'queryPlanner',
    })) as { queryPlanner?: { Plan?: PgPlan; winningPlan?: MongoStage } };
    const nodes = explained.queryPlanner?.Plan
      ? pgNodes(explained.queryPlanner.Plan)
      : mongoStages(explained.queryPlanner?.winningPlan);
    plans.push({ ...sent, nodes, scans: nodes.some((node) => /Seq Scan|COLLSCAN/.test(node)) });
  }
  return plans;
}

interface PgPlan {
  'Node Type'?: string;
  Plans?: PgPlan[];
}

interface MongoStage {
  stage?: string;
  inputStage?: MongoStage;
  inputStages?: MongoStage[];
}

function pgNodes(plan: PgPlan): string[] {
  return [plan['Node Type'] ?? '?', ...(plan.Plans ?? []).flatMap(pgNodes)];
}

function mongoStages(stage: MongoStage | undefined): string[] {
  if (!stage) return [];
  return [
    stage.stage ?? '?',
    ...mongoStages(stage.inputStage),
    ...(stage.inputStages ?? []).flatMap((s) => mongoStages(s)),
  ];
}
