/**
 * People in the loop: the commands a message may carry (approve, reject, pause, resume, abort),
 * parsed strictly. A malformed command is an InputError a Catch node can see, never a silent
 * no-op: an operator who typed "aprove" must learn that nothing was approved.
 */
import { InputError } from '../errors';
import { describeValue, isRecord, refuseUnknownFields, requireRecord, requireText } from './util';

export type CommandAction = 'approve' | 'reject' | 'pause' | 'resume' | 'abort';

export const COMMAND_ACTIONS: readonly CommandAction[] = ['approve', 'reject', 'pause', 'resume', 'abort'];

export interface GateCommand {
  action: CommandAction;
  /** Which rollout it is for (the candidate id); required by gates running several. */
  candidateId?: string;
  /** Who sent it (kept in the audit trail). */
  by?: string;
  reason?: string;
}

/** A command from `"approve"` or `{action, candidateId?, by?, reason?}`; InputError otherwise. */
export function parseCommand(raw: unknown, origin?: string): GateCommand {
  if (typeof raw === 'string') raw = { action: raw };
  if (!isRecord(raw)) throw new InputError('bad command', `a command must be an action name or {action, candidateId?, by?, reason?}, got ${describeValue(raw)}`, origin);
  const rec = requireRecord(raw, 'command', origin);
  refuseUnknownFields(rec, ['action', 'candidateId', 'by', 'reason'], 'command', origin);
  if (typeof rec.action !== 'string' || !COMMAND_ACTIONS.includes(rec.action.trim().toLowerCase() as CommandAction)) {
    throw new InputError('bad command', `command.action must be one of ${COMMAND_ACTIONS.join(', ')}, got ${describeValue(rec.action)}`, origin);
  }
  const out: GateCommand = { action: rec.action.trim().toLowerCase() as CommandAction };
  if (rec.candidateId !== undefined) out.candidateId = requireText(rec.candidateId, 'command.candidateId', 200, origin);
  if (rec.by !== undefined) out.by = requireText(rec.by, 'command.by', 200, origin);
  if (rec.reason !== undefined) out.reason = requireText(rec.reason, 'command.reason', 1000, origin);
  return out;
}
