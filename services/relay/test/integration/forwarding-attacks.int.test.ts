import { randomUUID } from 'node:crypto';
import { eventually } from '../../../../test/support/test-env';
import { forwardingHarness } from '../support/forwarding-harness';

/**
 * An attacker's (and a careless operator's) view of forwarding: the operator case API, the admin
 * links and "not ours". Each test is a property that an attack once broke or that must keep holding.
 */
describe('Forwarding under attack: the operator case API, admin links, not ours', () => {
  const h = forwardingHarness('fwdatk', { sesRefusals: true });
  const { mailsTo, local, storedCase, matchedCase, operator, refusals, logLines } = h;
  const { firstPrivacy } = h.contacts;

  beforeAll(() => h.start());
  afterAll(() => h.stop());

  /** A case forwarded to its first privacy contact, with the links of that mail (pointed at this relay). */
  async function forwardedCase() {
    const { requestId, caseId } = await matchedCase(new Date().toISOString());
    const [mail] = await eventually(async () => {
      const mails = (await mailsTo(firstPrivacy)).filter((m) => (m.body.text ?? '').includes(`/case-links/${caseId}/`));
      return mails.length > 0 ? mails : undefined;
    });
    await eventually(async () => ((await storedCase(caseId))?.data.state === 'forwarded' ? true : undefined));
    const text = mail!.body.text ?? '';
    const find = (action: string) =>
      local([...text.matchAll(new RegExp(`https://relay\\.example/case-links/${caseId}/${action}/\\S+`, 'g'))][0]![0]);
    const links = { acknowledge: find('acknowledge'), done: find('done'), notOurs: find('not-ours') };
    return { requestId, caseId, links };
  }

  const mailsOfCase = async (address: string, caseId: string) =>
    (await mailsTo(address)).filter((m) => (m.body.text ?? '').includes(caseId));

  it('When the tenant says not ours while an operator re-send waits on SES, then asking again sends that tenant nothing: 409 CASE_CLOSED', async () => {
    const { caseId, links } = await forwardedCase();
    // SES does not take the re-send now (a sandbox refusal it may lift later): the send stays begun.
    refusals.set(firstPrivacy, 'not-verified');
    const begun = await operator('POST', `/v1/cases/${caseId}/resend`, { contactIndex: 0 });
    expect(begun.status).toBe(503);
    // Meanwhile the tenant says the request is not theirs.
    expect((await fetch(links.notOurs, { method: 'POST' })).status).toBe(200);
    expect((await storedCase(caseId))?.data.state).toBe('not-ours');
    // SES would take it now; the operator asks again.
    refusals.delete(firstPrivacy);
    const again = await operator('POST', `/v1/cases/${caseId}/resend`, { contactIndex: 0 });
    expect([again.status, again.body.error?.code]).toEqual([409, 'CASE_CLOSED']);
    // The tenant that said "not ours" got the request once (the forward), never again.
    expect(await mailsOfCase(firstPrivacy, caseId)).toHaveLength(1);
    const after = await storedCase(caseId);
    expect(after?.data.state).toBe('not-ours');
    expect(after?.data.audit.filter((line) => line.what === 'forwarded')).toHaveLength(1);
  });

  it('When an admin link page is opened, then it cannot be framed by another site (clickjacking) and allows no script', async () => {
    const { caseId, links } = await forwardedCase();
    for (const link of [links.acknowledge, links.done, links.notOurs, `${links.done.slice(0, -3)}xyz`]) {
      const page = await fetch(link);
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("default-src 'none'");
      expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    }
    expect((await storedCase(caseId))?.data.state).toBe('forwarded');
  });

  it('When links are used, tampered with, swapped between cases and actions or badly encoded, then no log line carries a token', async () => {
    const a = await forwardedCase();
    const b = await forwardedCase();
    const tokenOf = (link: string) => link.split('/').at(-1)!;
    const macOf = (link: string) => tokenOf(link).split('.').at(-1)!;
    const attempts = [
      ['GET', a.links.acknowledge],
      // b's token on a's case, an acknowledge token on "done", a token cut short, bad percent-encoding.
      ['POST', a.links.acknowledge.replace(a.caseId, b.caseId)],
      ['POST', a.links.done.replace(/\/done\//, '/acknowledge/')],
      ['POST', a.links.done.slice(0, -2)],
      ['GET', `${a.links.done}%zz`],
      ['POST', `${a.links.done}/extra`],
      ['POST', a.links.acknowledge],
    ] as const;
    const statuses = [];
    for (const [method, link] of attempts) statuses.push((await fetch(link, { method })).status);
    expect(statuses).toEqual([200, 403, 403, 403, 400, 404, 200]);
    // b's case, acknowledged by nobody: every cross-case and cross-action attempt changed nothing.
    expect((await storedCase(b.caseId))?.data.state).toBe('forwarded');
    expect((await storedCase(a.caseId))?.data.state).toBe('acknowledged');
    // An operator reads the case: the requester's name and address are in no log line.
    expect((await operator('GET', `/v1/cases/${a.caseId}?evidence=1`)).status).toBe(200);
    await eventually(async () => (logLines.some((l) => l.includes('admin link used')) ? true : undefined));
    expect(logLines.join('\n')).not.toContain(`ada-${h.unique}`);
    expect(logLines.join('\n')).not.toContain('Example</b>');
    const secrets = [a.links, b.links].flatMap((links) => Object.values(links)).map(macOf);
    for (const line of logLines) for (const secret of secrets) expect(line).not.toContain(secret);
    expect(logLines.join('\n')).not.toContain('/case-links/' + a.caseId);
  });

  it('When operator queries carry Mongo operators, repeated or oversized parameters, then 400/413 and nothing is read or changed', async () => {
    const { requestId, caseId } = await forwardedCase();
    const before = await storedCase(caseId);
    const answers = await Promise.all([
      operator('GET', `/v1/cases?requestId[$ne]=x`),
      operator('GET', `/v1/cases?requestId=${requestId}&requestId=${randomUUID()}`),
      operator('GET', `/v1/cases?requestId=${encodeURIComponent('{"$ne":null}')}`),
      operator('GET', `/v1/cases/${encodeURIComponent('{"$ne":null}')}`),
      operator('GET', `/v1/cases/${caseId}?evidence[$ne]=0`),
      operator('POST', `/v1/cases/${caseId}/resend`, { contactIndex: { $gt: -1 } }),
      operator('PUT', `/v1/cases/${caseId}/contacts/0`, { email: { $ne: null } }),
      operator('PUT', `/v1/cases/${caseId}/contacts/0`, ['x@acme.example']),
      operator('POST', `/v1/cases/${caseId}/resend`, { pad: 'x'.repeat(300 * 1024) }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([400, 400, 400, 400, 400, 400, 400, 400, 413]);
    const after = await storedCase(caseId);
    expect(after?.version).toBe(before?.version);
  });
});
