import type { PasswordHash } from './password-hash';

/** What a console user may do: `viewer` reads every page; `operator` also acts (triage, re-send, contacts, extension). */
export type ConsoleRole = 'viewer' | 'operator';

export const CONSOLE_ROLES: readonly ConsoleRole[] = ['viewer', 'operator'];

/** A user of the operator console, as configured (RELAY_CONSOLE_USERS). */
export interface ConsoleUser {
  username: string;
  role: ConsoleRole;
  passwordHash: PasswordHash;
}

/** Whether the role may change anything (every console form but sign-out). */
export function mayAct(role: ConsoleRole): boolean {
  return role === 'operator';
}
