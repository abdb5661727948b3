export type * from './commands.js';
export * from './events.js';
export { isFinalRecipientState, submissionMachine } from './machine.js';
export type { RecipientState, RecipientStatus, SubmissionContext, SubmissionSnapshot } from './machine.js';
export { submissionDecider, SUBMISSION_AGGREGATE } from './decider.js';
export type { SubmissionState } from './decider.js';
export { dueRecipients, pendingRecipients, submissionStatus } from './queries.js';
export type { SubmissionStatus } from './queries.js';
export { decodeSubmissionEvent, submissionEventTypes } from './codec.js';
