import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEvidenceExport, runEvidenceVerify } from '@privacy-relay/relay/cli/evidence-command';
import { parseEd25519PrivateKey } from '@privacy-relay/relay/domain/evidence/signing-key';
import { eventually } from '../../../../test/support/test-env';
import { TEST_EVIDENCE_SIGNING_KEY } from '../../../../test/support/relay-env';
import { forwardingHarness } from '../support/forwarding-harness';

interface EvidenceFields {
  auditChain: { seq: number; record: Record<string, unknown>; hash: string }[];
  auditChainLength: number;
  auditChainPending: boolean;
  evidenceCheckpoint?: { seq: number; length: number; head: string };
}

describe('Evidence of a real case: forwarded, delivered, checkpointed, exported and verified offline', () => {
  // Checkpoints every 200 ms, so the test waits for one instead of a minute.
  const h = forwardingHarness('evd', { env: { RELAY_EVIDENCE_CHECKPOINT_INTERVAL_MS: '200' } });
  const work = mkdtempSync(join(tmpdir(), 'evidence-int-'));
  const publicKeyFile = join(work, 'platform-key.pem');

  beforeAll(async () => {
    writeFileSync(
      publicKeyFile,
      createPublicKey(parseEd25519PrivateKey(TEST_EVIDENCE_SIGNING_KEY)).export({ type: 'spki', format: 'pem' }),
    );
    await h.start();
  });
  afterAll(() => h.stop());

  async function exportCase(caseId: string, outFile: string) {
    const err: string[] = [];
    const code = await runEvidenceExport(caseId, {
      outFile,
      env: h.env,
      out: () => undefined,
      err: (l) => err.push(l),
    });
    return { code, err: err.join('\n') };
  }

  async function verifyBundle(file: string) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runEvidenceVerify(file, { publicKeyFile, out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('When a forwarded case is delivered and a checkpoint signs it, then its exported bundle verifies, and an edited copy does not', async () => {
    const { caseId } = await h.matchedCase('2026-01-12T10:00:00Z');
    const [mail] = await eventually(async () => {
      const mails = await h.mailsTo(h.contacts.firstPrivacy);
      return mails.length > 0 ? mails : undefined;
    });
    await eventually(async () => ((await h.storedCase(caseId))?.data.state === 'forwarded' ? true : undefined));
    const raw = `{"Type":"Notification","MessageId":"sns-delivery-${h.unique}","Message":"{\\"mail\\":{\\"destination\\":[\\"${h.contacts.firstPrivacy}\\"]}}","Signature":"c2ln"}`;
    await h.publishMailEvent({
      caseId,
      contactIndex: 0,
      sesMessageId: mail!.messageId,
      snsMessageId: `sns-delivery-${h.unique}`,
      status: 'delivered',
      occurredAt: new Date().toISOString(),
      rawNotification: raw,
    });

    // The checkpointer signs the chain once it holds the three lines: matched, forwarded, delivered.
    const stored = await eventually(async () => {
      const found = (await h.storedCase(caseId)) as unknown as EvidenceFields | null;
      return found?.evidenceCheckpoint?.length === 3 && !found.auditChainPending ? found : undefined;
    });
    expect(stored.auditChain.map((e) => e.record.what)).toEqual(['matched', 'forwarded', 'delivery delivered']);
    expect(stored.evidenceCheckpoint!.head).toBe(stored.auditChain[2]!.hash);
    // Personal data only as salted hashes: neither the contact's nor the requester's address, nor the operator.
    const chainText = JSON.stringify(stored.auditChain);
    for (const personal of [h.contacts.firstPrivacy, `ada-${h.unique}@example.org`, 'dev-operator']) {
      expect(chainText).not.toContain(personal);
    }

    const bundleFile = join(work, 'bundle.json');
    expect(await exportCase(caseId, bundleFile)).toMatchObject({ code: 0 });
    const bundle = JSON.parse(readFileSync(bundleFile, 'utf8')) as {
      entries: { record: Record<string, unknown> }[];
      notifications: { rawNotification: string }[];
      checkpoint: { body: { cases: { caseId: string }[] } };
    };
    expect(bundle.entries).toHaveLength(3);
    expect(bundle.notifications.map((n) => n.rawNotification)).toEqual([raw]);
    expect(bundle.checkpoint.body.cases.map((c) => c.caseId)).toContain(caseId);

    const verified = await verifyBundle(bundleFile);
    expect(verified).toMatchObject({ code: 0, err: '' });
    expect(verified.out).toContain('3 audit entries, chain intact');
    expect(verified.out).toContain('1 raw SNS notification(s) match the chained digests');

    bundle.entries[1]!.record.what = 'not forwarded';
    const edited = join(work, 'edited.json');
    writeFileSync(edited, JSON.stringify(bundle));
    expect(await verifyBundle(edited)).toMatchObject({ code: 1, err: expect.stringContaining('entry 1') });
  });
});
