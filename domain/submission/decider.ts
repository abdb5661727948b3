import type { Decider } from '../shared/decider.js';
import { DomainError } from '../shared/errors.js';
import { advance, initialSnapshot } from '../shared/machine.js';
import { isSha256Hex } from '../shared/text.js';
import { isBefore, isInstant } from '../shared/time.js';
import type { AcceptSubmission, OutcomeCommand, SubmissionCommand } from './commands.js';
import { ENHANCED_STATUS, recipientKey, submissionEvent } from './events.js';
import type { OutcomeEvent, Recipient, SubmissionEvent } from './events.js';
import { isFinalRecipientState, submissionMachine } from './machine.js';
import type { RecipientStatus, SubmissionSnapshot } from './machine.js';
import { submissionStatus } from './queries.js';

/** The folded submission: just the machine snapshot (recipients are bounded per message). */
export interface SubmissionState {
  machine: SubmissionSnapshot;
}

export const SUBMISSION_AGGREGATE = 'submission';

export const submissionDecider: Decider<SubmissionState, SubmissionCommand, SubmissionEvent> = {
  aggregate: SUBMISSION_AGGREGATE,
  initialState: () => ({ machine: initialSnapshot(submissionMachine) }),
  evolve(state, event) {
    state.machine = advance(SUBMISSION_AGGREGATE, submissionMachine, state.machine, event);
    return state;
  },
  decide,
};

function decide(command: SubmissionCommand, state: SubmissionState): SubmissionEvent[] {
  if (!isInstant(command.now)) invalid('now is not an ISO-8601 instant');
  const status = submissionStatus(state);
  if (command.type === 'AcceptSubmission') {
    if (status !== 'none') throw new DomainError('SUBMISSION_EXISTS', 'submission exists');
    return accept(command);
  }
  if (status === 'none') throw new DomainError('SUBMISSION_NOT_FOUND', 'submission does not exist');
  const recipients = state.machine.context.recipients;
  const current = recipients[recipientKey(command.recipient)];
  if (status === 'completed') {
    // Every recipient of a completed submission is final: a repeated outcome is a no-op.
    if (current !== undefined) return [];
    throw new DomainError('SUBMISSION_COMPLETED', 'submission is completed');
  }
  if (current === undefined)
    throw new DomainError('UNKNOWN_RECIPIENT', `'${command.recipient}' is not a recipient`);
  if (isFinalRecipientState(current.state)) return [];
  const outcome = outcomeEvent(command, current);
  if (outcome.type === 'deferred') return [outcome];
  const othersFinal = Object.entries(recipients).every(
    ([key, r]) => key === recipientKey(command.recipient) || isFinalRecipientState(r.state),
  );
  return othersFinal ? [outcome, submissionEvent('completed', { at: command.now })] : [outcome];
}

function accept(command: AcceptSubmission): SubmissionEvent[] {
  if (command.submissionId === '') invalid('submissionId is empty');
  if (command.blobRef === '') invalid('blobRef is empty');
  if (!Number.isSafeInteger(command.size) || command.size < 0) invalid('size must be a whole number ≥ 0');
  if (!isSha256Hex(command.digest)) invalid('digest is not a lowercase hex SHA-256');
  const recipients: Recipient[] = [];
  const seen = new Set<string>();
  for (const r of command.recipients) {
    if (r.address === '') invalid('recipient address is empty');
    if (r.notify !== undefined) {
      if (r.notify.length === 0) invalid(`NOTIFY of ${r.address} is empty`);
      if (r.notify.includes('NEVER') && r.notify.length > 1)
        invalid(`NOTIFY=NEVER of ${r.address} is not alone`);
    }
    // Duplicate RCPT TO (case-insensitive) collapse to the first one.
    if (seen.has(recipientKey(r.address))) continue;
    seen.add(recipientKey(r.address));
    recipients.push({
      address: r.address,
      ...(r.notify === undefined ? {} : { notify: [...r.notify] }),
      ...(r.orcpt === undefined ? {} : { orcpt: r.orcpt }),
    });
  }
  if (recipients.length === 0)
    throw new DomainError('NO_RECIPIENTS', 'a submission needs at least one recipient');
  return [
    submissionEvent('accepted', {
      submissionId: command.submissionId,
      sender: command.sender,
      authUser: command.authUser,
      recipients,
      ...(command.envelopeId === undefined ? {} : { envelopeId: command.envelopeId }),
      ...(command.ret === undefined ? {} : { ret: command.ret }),
      blobRef: command.blobRef,
      size: command.size,
      digest: command.digest,
      ...(command.messageId === undefined ? {} : { messageId: command.messageId }),
      ...(command.receivedHeader === undefined ? {} : { receivedHeader: command.receivedHeader }),
      acceptedAt: command.now,
    }),
  ];
}

/** The outcome event, naming the recipient with its accepted spelling. */
function outcomeEvent(command: OutcomeCommand, current: RecipientStatus): OutcomeEvent {
  const recipient = current.address;
  const at = command.now;
  switch (command.type) {
    case 'RecordDelivery':
      if (command.mailboxId === '') invalid('mailboxId is empty');
      if (!Number.isSafeInteger(command.uid) || command.uid < 1) invalid('uid must be a whole number ≥ 1');
      return submissionEvent('deliveredLocally', {
        recipient,
        mailboxId: command.mailboxId,
        uid: command.uid,
        at,
      });
    case 'RecordRelay':
      if (command.remoteHost === '') invalid('remoteHost is empty');
      return submissionEvent('relayed', {
        recipient,
        remoteHost: command.remoteHost,
        response: command.response,
        at,
      });
    case 'DeferRecipient':
      if (!isInstant(command.nextAttemptAt) || !isBefore(command.now, command.nextAttemptAt)) {
        invalid('nextAttemptAt must be an instant after now');
      }
      return submissionEvent('deferred', {
        recipient,
        attempt: current.attempts + 1,
        nextAttemptAt: command.nextAttemptAt,
        reason: command.reason,
        at,
      });
    case 'BounceRecipient':
      if (!ENHANCED_STATUS.test(command.status) || command.status.startsWith('2')) {
        invalid(`'${command.status}' is not a failure status code`);
      }
      return submissionEvent('bounced', {
        recipient,
        status: command.status,
        diagnostic: command.diagnostic,
        at,
      });
  }
}

function invalid(message: string): never {
  throw new DomainError('INVALID_COMMAND', message);
}
