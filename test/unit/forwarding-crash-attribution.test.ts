import { attributeDuplicates, mailsByCaseAndContact } from '../support/forwarding-crash-run';
import type { StoredMail } from '../support/ses-store';

// The SIGKILL run's verdict rests on this attribution: a contact mailed twice is explained only by
// a kill at which that very message's intent stood without an SES message id.
const caseA = '0193a1c2-7d4e-8a10-9b7c-00000000000a';
const caseB = '0193a1c2-7d4e-8a10-9b7c-00000000000b';
const mail = (caseId: string, to: string, messageId: string): StoredMail => ({
  messageId,
  destination: { to: [to] },
  subject: 'Data-protection request',
  body: { text: `Acknowledge: https://relay.example/case-links/${caseId}/acknowledge/token` },
  at: 0,
});
const storedCases = [
  { _id: caseA, data: { messages: [{ contactIndex: 0, email: 'privacy@a.example' }] } },
  { _id: caseB, data: { messages: [{ contactIndex: 1, email: 'dpo@b.example' }] } },
];

describe('Attributing the SIGKILL run’s duplicate mails', () => {
  const byPair = mailsByCaseAndContact([
    mail(caseA, 'privacy@a.example', 'ses-1'),
    mail(caseA, 'privacy@a.example', 'ses-2'),
    mail(caseB, 'dpo@b.example', 'ses-3'),
    mail(caseB, 'dpo@b.example', 'ses-4'),
    mail(caseB, 'other@b.example', 'ses-5'),
  ]);

  it('When a contact got a case twice and its intent stood without a message id at a kill, then that kill explains it', () => {
    const duplicates = attributeDuplicates(byPair, storedCases, [
      { openWindows: [] },
      { openWindows: [`${caseA}#0`, `${caseB}#1`] },
    ]);
    expect(duplicates).toEqual([
      { caseId: caseA, contact: 'privacy@a.example', mails: 2, windowAtKill: 2 },
      { caseId: caseB, contact: 'dpo@b.example', mails: 2, windowAtKill: 2 },
    ]);
  });

  it('When no kill had that message’s intent open (another message’s, or another contact’s), then the duplicate stays unexplained', () => {
    const duplicates = attributeDuplicates(byPair, storedCases, [
      { openWindows: [`${caseA}#1`] },
      { openWindows: [`${caseB}#0`] },
    ]);
    expect(duplicates.map((d) => d.windowAtKill)).toEqual([undefined, undefined]);
  });
});
