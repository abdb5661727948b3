export type * from './commands.js';
export * from './events.js';
export { mailboxMachine } from './machine.js';
export type { MailboxContext, MailboxMachineEvent, MailboxSnapshot } from './machine.js';
export { mailboxDecider, MAILBOX_AGGREGATE } from './decider.js';
export type { LiveMessage, MailboxState } from './decider.js';
export { liveMessages, mailboxStats, mailboxStatus, uidOfMessageKey } from './queries.js';
export type { LiveMessageView, MailboxStatus } from './queries.js';
export { decodeMailboxEvent, mailboxEventTypes } from './codec.js';
