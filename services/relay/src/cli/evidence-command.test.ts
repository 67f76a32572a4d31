import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extendAuditChain, newCaseSalt, type AuditChainEntry } from '../domain/case/audit-chain';
import type { AuditLine, MailEvidence } from '../domain/case';
import { keyIdOf, nextCheckpointBody, publicKeyPem, signCheckpoint } from '../domain/evidence/checkpoint';
import { BUNDLE_FORMAT, type EvidenceBundle } from '../domain/evidence/evidence-bundle';
import { runEvidenceVerify } from './evidence-command';

const caseId = '0d3c8f8e-4b8a-5f3e-9a51-2c6f1e0b7a10';
const dir = mkdtempSync(join(tmpdir(), 'evidence-verify-'));
const platformKey = generateKeyPairSync('ed25519').privateKey;
const otherKey = generateKeyPairSync('ed25519').privateKey;

const raw =
  '{"Type":"Notification","MessageId":"sns-1","Message":"{\\"eventType\\":\\"Delivery\\"}","Signature":"c2ln"}';
const notifications: MailEvidence[] = [
  { snsMessageId: 'sns-1', sesMessageId: 'ses-1', receivedAt: '2026-03-02T09:05:00.000Z', rawNotification: raw },
];
const audit: AuditLine[] = [
  { at: '2026-03-02T09:00:00.000Z', what: 'matched', by: { kind: 'matcher' } },
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

/** A bundle as `relay evidence export` writes it: the chain, signed by a checkpoint of `key`. */
function bundleOf(entries: AuditChainEntry[], salt: string, key: KeyObject = platformKey): EvidenceBundle {
  const head = entries.at(-1)!;
  const body = nextCheckpointBody(
    undefined,
    [
      { caseId: 'another-case', length: 3, head: 'a'.repeat(64) },
      { caseId, length: entries.length, head: head.hash },
    ],
    new Date('2026-03-02T10:01:00Z'),
    keyIdOf(key),
  );
  return {
    format: BUNDLE_FORMAT,
    caseId,
    exportedAt: '2026-03-02T11:00:00.000Z',
    salt,
    entries,
    notifications,
    checkpoint: signCheckpoint(body, key),
    publicKey: publicKeyPem(key),
  };
}

function freshBundle(): EvidenceBundle {
  const salt = newCaseSalt();
  return bundleOf(extendAuditChain(caseId, [], audit, salt, notifications), salt);
}

let files = 0;
async function verify(bundle: unknown, options: { publicKey?: KeyObject } = {}) {
  const file = join(dir, `bundle-${++files}.json`);
  writeFileSync(file, typeof bundle === 'string' ? bundle : JSON.stringify(bundle));
  let publicKeyFile: string | undefined;
  if (options.publicKey) {
    publicKeyFile = join(dir, `key-${files}.pem`);
    writeFileSync(publicKeyFile, publicKeyPem(options.publicKey));
  }
  const out: string[] = [];
  const err: string[] = [];
  const code = await runEvidenceVerify(file, {
    ...(publicKeyFile ? { publicKeyFile } : {}),
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('relay evidence verify', () => {
  it('When the bundle is as exported, then it exits 0 and says what it checked', async () => {
    const result = await verify(freshBundle(), { publicKey: platformKey });
    expect(result).toMatchObject({ code: 0, err: '' });
    expect(result.out).toContain('4 audit entries, chain intact');
    expect(result.out).toContain(`signed by key ${keyIdOf(platformKey)}`);
    expect(result.out).toContain('1 raw SNS notification(s) match');
  });

  it('When an entry is edited, then it exits 1 naming that entry', async () => {
    const bundle = freshBundle();
    bundle.entries[1]!.record.what = 'done';
    expect(await verify(bundle)).toMatchObject({
      code: 1,
      err: expect.stringMatching(/entry 1: .*changed after it was chained/),
    });
  });

  it('When an entry is deleted, then it exits 1 naming where the chain breaks', async () => {
    const bundle = freshBundle();
    bundle.entries.splice(1, 1);
    expect(await verify(bundle)).toMatchObject({
      code: 1,
      err: expect.stringMatching(/entry 1: .*removed or reordered/),
    });
  });

  it('When two entries are reordered, then it exits 1 naming the first one out of place', async () => {
    const bundle = freshBundle();
    [bundle.entries[1], bundle.entries[2]] = [bundle.entries[2]!, bundle.entries[1]!];
    expect(await verify(bundle)).toMatchObject({
      code: 1,
      err: expect.stringMatching(/entry 1: .*removed or reordered/),
    });
  });

  it('When the chain is truncated (its last entries dropped), then it exits 1: shorter than the checkpoint signed', async () => {
    const bundle = freshBundle();
    bundle.entries.pop();
    expect(await verify(bundle)).toMatchObject({
      code: 1,
      err: expect.stringContaining('audit chain truncated: 3 entries, checkpoint 1 signed 4'),
    });
  });

  it('When an entry is edited and every hash after it recomputed, then it exits 1: the head is not the signed one', async () => {
    const bundle = freshBundle();
    const lines = audit.map((line, i) => (i === 3 ? { ...line, what: 'done' } : line));
    bundle.entries = extendAuditChain(caseId, [], lines, bundle.salt!, notifications);
    expect(await verify(bundle)).toMatchObject({ code: 1, err: expect.stringContaining('the chain was rewritten') });
  });

  it('When the checkpoint signature is forged (its content changed, or the signature bytes), then it exits 1', async () => {
    const bundle = freshBundle();
    const rewritten = extendAuditChain(caseId, [], audit.slice(0, 2), bundle.salt!, notifications);
    bundle.entries = rewritten;
    bundle.checkpoint.body.cases[1] = { caseId, length: 2, head: rewritten[1]!.hash };
    expect(await verify(bundle)).toMatchObject({
      code: 1,
      err: expect.stringContaining('checkpoint 1: the signature is not valid for its content'),
    });
    const flipped = freshBundle();
    const signature = Buffer.from(flipped.checkpoint.signature, 'base64');
    signature[0] = signature[0]! ^ 0xff;
    flipped.checkpoint.signature = signature.toString('base64');
    expect(await verify(flipped)).toMatchObject({ code: 1, err: expect.stringContaining('signature is not valid') });
  });

  it('When the bundle carries a wrong public key, then it exits 1', async () => {
    const bundle = freshBundle();
    bundle.publicKey = publicKeyPem(otherKey);
    expect(await verify(bundle)).toMatchObject({
      code: 1,
      err: expect.stringContaining(`names signing key ${keyIdOf(platformKey)}, not this public key`),
    });
  });

  it('When someone re-signs a rewritten chain with a key of their own, then pinning the platform key makes it exit 1', async () => {
    const salt = newCaseSalt();
    const lines = audit.map((line, i) => (i === 3 ? { ...line, what: 'done' } : line));
    const forged = bundleOf(extendAuditChain(caseId, [], lines, salt, notifications), salt, otherKey);
    expect(await verify(forged, { publicKey: platformKey })).toMatchObject({
      code: 1,
      err: expect.stringContaining('is not the trusted one'),
    });
    // Without a pinned key the verifier can only show whose key it was.
    const unpinned = await verify(forged);
    expect(unpinned.out).toContain(`signed by key ${keyIdOf(otherKey)}`);
    expect(unpinned.out).toContain('compare its id with the published one');
  });

  it('When a raw notification is swapped for another, then it exits 1 naming it', async () => {
    const bundle = freshBundle();
    bundle.notifications[0]!.rawNotification = raw.replace('Delivery', 'Bounce');
    expect(await verify(bundle)).toMatchObject({
      code: 1,
      err: expect.stringContaining('notification 0 (SES message ses-1) is not the one the audit chain recorded'),
    });
  });

  it('When the case is not in the checkpoint, or the file is not a bundle, then it exits 1 saying so', async () => {
    const bundle = freshBundle();
    bundle.caseId = 'someone-else';
    expect((await verify(bundle)).err).toContain('does not include case someone-else');
    expect(await verify('{"format":"other"}')).toMatchObject({
      code: 1,
      err: expect.stringContaining('not an evidence bundle'),
    });
    expect(await verify('not json')).toMatchObject({ code: 1, err: expect.stringContaining('cannot read it as JSON') });
  });
});
