import {
  auditRecordOf,
  entryHash,
  extendAuditChain,
  notificationDigest,
  pseudonym,
  verifyAuditChain,
  type AuditChainEntry,
} from './audit-chain';
import type { AuditLine, MailEvidence } from './forwarding-case';

const caseId = '5b0c2f57-7a39-5a36-9f3a-0d1b3c1f9e11';
const salt = 'a-test-salt-0123456789';

const lines: AuditLine[] = [
  { at: '2026-03-02T09:00:00.000Z', what: 'matched', by: { kind: 'operator', operatorId: 'ops@platform.example' } },
  { at: '2026-03-02T09:00:01.000Z', what: 'forwarded', by: { kind: 'relay' }, sesMessageId: 'ses-1', contactIndex: 0 },
  {
    at: '2026-03-02T09:05:00.000Z',
    what: 'delivery delivered',
    by: { kind: 'mail-event', eventId: 'ev-1' },
    sesMessageId: 'ses-1',
    snsMessageId: 'sns-1',
    occurredAt: '2026-03-02T09:04:59.000Z',
    contactIndex: 0,
  },
  { at: '2026-03-02T10:00:00.000Z', what: 'acknowledged', by: { kind: 'admin-link' } },
];

const chainOf = (audit: readonly AuditLine[], evidence: MailEvidence[] = []) =>
  extendAuditChain(caseId, [], audit, salt, evidence);

describe('The audit chain of a case', () => {
  it('When a chain is built from audit lines, then each entry names the hash of the one before and verifies', () => {
    const chain = chainOf(lines);
    expect(chain.map((e) => e.seq)).toEqual([0, 1, 2, 3]);
    expect(chain[0]!.prevHash).toBeNull();
    for (let i = 1; i < chain.length; i++) expect(chain[i]!.prevHash).toBe(chain[i - 1]!.hash);
    expect(verifyAuditChain(caseId, chain)).toEqual({ ok: true, length: 4, head: chain[3]!.hash });
  });

  it('When the chain is extended line by line, then it is the chain built at once (it only grows)', () => {
    let chain: AuditChainEntry[] = [];
    for (let n = 1; n <= lines.length; n++)
      chain = [...chain, ...extendAuditChain(caseId, chain, lines.slice(0, n), salt)];
    expect(chain).toEqual(chainOf(lines));
    expect(extendAuditChain(caseId, chain, lines, salt)).toEqual([]);
  });

  it('When the same lines are chained under another case id, then the hashes differ (entries cannot be moved between cases)', () => {
    const other = extendAuditChain('another-case', [], lines, salt);
    expect(other[0]!.hash).not.toBe(chainOf(lines)[0]!.hash);
    expect(verifyAuditChain('another-case', chainOf(lines)).ok).toBe(false);
  });

  it('When an entry is edited, removed or two are swapped, then the check names the first entry that fails', () => {
    const chain = chainOf(lines);
    const edited = chain.map((e) => (e.seq === 1 ? { ...e, record: { ...e.record, what: 'done' } } : e));
    expect(verifyAuditChain(caseId, edited)).toMatchObject({ ok: false, index: 1 });
    const removed = chain.filter((e) => e.seq !== 2);
    expect(verifyAuditChain(caseId, removed)).toMatchObject({ ok: false, index: 2 });
    const swapped = [chain[0]!, chain[2]!, chain[1]!, chain[3]!];
    expect(verifyAuditChain(caseId, swapped)).toMatchObject({ ok: false, index: 1 });
    // Renumbered and re-linked but not re-hashed: the hash gives it away.
    const relinked = removed.map((e, i) => ({ ...e, seq: i, prevHash: i === 0 ? null : removed[i - 1]!.hash }));
    expect(verifyAuditChain(caseId, relinked)).toMatchObject({ ok: false, index: 2 });
  });

  it('When the entry hash is recomputed by hand, then it is SHA-256 over the RFC 8785 form, key order irrelevant', () => {
    const [first] = chainOf(lines);
    const reordered = Object.fromEntries(Object.entries(first!.record).reverse());
    expect(entryHash(caseId, 0, null, reordered)).toBe(first!.hash);
  });
});

describe('Personal data in the chain', () => {
  const personal: AuditLine = {
    at: '2026-03-02T11:00:00.000Z',
    what: 'contact 1 changed to New.Privacy@Acme.example (was old@acme.example)',
    by: { kind: 'operator', operatorId: 'alice' },
    contactIndex: 1,
  };

  it('When an audit line holds email addresses or an operator id, then its record holds only their salted hashes', () => {
    const record = auditRecordOf(personal, salt);
    const text = JSON.stringify(record);
    expect(text).not.toMatch(/acme\.example|alice/i);
    expect(record.what).toBe(
      `contact 1 changed to ${pseudonym(salt, 'new.privacy@acme.example')} (was ${pseudonym(salt, 'old@acme.example')})`,
    );
    expect(record.by).toEqual({ kind: 'operator', operatorId: pseudonym(salt, 'alice') });
    // Whoever holds the salt can still test an address; another salt gives other hashes.
    expect(pseudonym('another-salt', 'old@acme.example')).not.toBe(pseudonym(salt, 'old@acme.example'));
  });

  it('When the cleartext lines and the salt are deleted later (retention), then the chain still verifies unchanged', () => {
    const chain = chainOf([...lines, personal]);
    const stored = JSON.parse(JSON.stringify(chain)) as AuditChainEntry[];
    // Nothing in the chain refers back to the lines or the salt: they can go.
    expect(verifyAuditChain(caseId, stored)).toEqual({ ok: true, length: 5, head: chain[4]!.hash });
  });

  it('When a mail-event line has its raw notification kept, then its record carries the notification digest', () => {
    const raw =
      '{"Type":"Notification","MessageId":"sns-1","Message":"{\\"mail\\":{\\"destination\\":[\\"p@acme.example\\"]}}"}';
    const evidence: MailEvidence[] = [
      { snsMessageId: 'sns-1', sesMessageId: 'ses-1', receivedAt: lines[2]!.at, rawNotification: raw },
    ];
    const chain = chainOf(lines, evidence);
    expect(chain[2]!.record.notification).toBe(notificationDigest(salt, raw));
    expect(chain.filter((e) => 'notification' in e.record)).toHaveLength(1);
    expect(JSON.stringify(chain)).not.toContain('p@acme.example');
  });
});
