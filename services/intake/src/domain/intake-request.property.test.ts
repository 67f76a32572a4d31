import fc from 'fast-check';
import { LIMITS, REGIMES, RIGHTS } from '@privacy-relay/shared/events';
import { z } from 'zod';
import { intakeRequestSchema } from './intake-request';

// Printable one-line text: what a real name or company looks like, without control characters.
const oneLine = (max: number) =>
  fc
    .string({ unit: 'grapheme', minLength: 1, maxLength: max })
    // eslint-disable-next-line no-control-regex
    .map((value) => value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, 'x'))
    .filter((value) => value.trim().length > 0 && value.length <= max);

const localPart = fc.stringMatching(/^[a-z0-9]([a-z0-9._-]{0,30}[a-z0-9])?$/).filter((value) => !value.includes('..'));
const domain = fc
  .array(fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/), { minLength: 1, maxLength: 3 })
  .map((labels) => `${labels.join('.')}.org`);
const email = fc.tuple(localPart, domain).map(([local, host]) => `${local}@${host}`);

const validRequest = fc.record(
  {
    requester: fc.record({ name: oneLine(LIMITS.nameMax), email }),
    rights: fc.array(fc.constantFrom(...RIGHTS.filter((right) => right !== 'other')), {
      minLength: 1,
      maxLength: LIMITS.rightsMax,
    }),
    company: fc.record({ name: oneLine(LIMITS.companyNameMax), email }, { requiredKeys: [] }),
    text: fc.string({ maxLength: 2_000 }),
    otherRightText: fc.string({ maxLength: LIMITS.otherRightTextMax }),
    regimeHint: fc.constantFrom(...REGIMES),
  },
  { requiredKeys: ['requester', 'rights'] },
);

describe('intakeRequestSchema (property-based)', () => {
  it('When a request is well-formed within every bound, then it always parses', () => {
    fc.assert(
      fc.property(validRequest, (request) => {
        const result = intakeRequestSchema.safeParse(request);
        if (!result.success) throw new Error(JSON.stringify(result.error.issues));
        expect(result.data.rights.length).toBeGreaterThan(0);
        expect(new Set(result.data.rights).size).toBe(result.data.rights.length);
      }),
      { numRuns: 300 },
    );
  });

  const bounded: Array<[string, number, (request: Record<string, unknown>, value: string) => void]> = [
    ['requester.name', LIMITS.nameMax, (r, v) => ((r.requester as Record<string, unknown>).name = v)],
    ['requester.email', LIMITS.emailMax, (r, v) => ((r.requester as Record<string, unknown>).email = `${v}@x.org`)],
    ['company.name', LIMITS.companyNameMax, (r, v) => (r.company = { name: v })],
    ['company.email', LIMITS.emailMax, (r, v) => (r.company = { email: `${v}@x.org` })],
    ['text', LIMITS.freeTextMax, (r, v) => (r.text = v)],
    ['otherRightText', LIMITS.otherRightTextMax, (r, v) => (r.otherRightText = v)],
  ];

  it.each(bounded)('When %s is longer than its bound (%d), then the request is rejected', (_path, max, put) => {
    fc.assert(
      fc.property(
        validRequest,
        fc.integer({ min: max + 1, max: max + 500 }),
        fc.constantFrom('a', 'é', 'Z', '9'),
        (request, length, char) => {
          const copy = structuredClone(request) as Record<string, unknown>;
          put(copy, char.repeat(length));
          expect(intakeRequestSchema.safeParse(copy).success).toBe(false);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('When anything at all is parsed, then it either succeeds or throws a ZodError, nothing else', () => {
    const junk = fc.oneof(
      fc.anything({ withObjectString: true, withNullPrototype: true, withBigInt: true, withDate: true, withMap: true }),
      fc.object({ key: fc.constantFrom('requester', 'rights', 'company', 'text', '__proto__', 'constructor') }),
      validRequest.chain((request) =>
        fc
          .tuple(fc.constantFrom('requester', 'rights', 'company', 'text', 'regimeHint'), fc.anything())
          .map(([key, value]) => ({ ...request, [key]: value })),
      ),
    );
    fc.assert(
      fc.property(junk, (input) => {
        try {
          intakeRequestSchema.parse(input);
        } catch (error) {
          expect(error).toBeInstanceOf(z.ZodError);
        }
      }),
      { numRuns: 1_000 },
    );
  });
});
