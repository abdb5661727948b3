export type * from './commands.js';
export * from './events.js';
export { accountMachine } from './machine.js';
export type { AccountContext, AccountSnapshot, Absence } from './machine.js';
export { accountDecider, ACCOUNT_AGGREGATE } from './decider.js';
export type { AccountState } from './decider.js';
export { accountStatus, canSend, canRetrieve, canAuthenticate, absenceActive } from './queries.js';
export type { AccountStatus } from './queries.js';
export { accountEventTypes, decodeAccountEvent } from './codec.js';
