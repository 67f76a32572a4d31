import { intakeRequestSchema } from './intake-request';
import { formToRequestInput, formValues, unknownFormFields } from './request-form';

describe('request form decoding', () => {
  it('When the form is filled in, then it becomes a request the shared schema accepts', () => {
    const values = formValues({
      formToken: 't',
      name: 'Ada',
      email: 'ada@example.org',
      rights: ['access', 'erasure'],
      companyName: ' Acme Ltd ',
      companyEmail: '',
      text: 'Hi',
      regimeHint: 'eu-gdpr',
    });
    expect(intakeRequestSchema.parse(formToRequestInput(values))).toEqual({
      requester: { name: 'Ada', email: 'ada@example.org' },
      rights: ['access', 'erasure'],
      company: { name: 'Acme Ltd' },
      text: 'Hi',
      regimeHint: 'eu-gdpr',
    });
  });

  it('When one checkbox is ticked, then rights is still a list; when optional fields are empty, then they are left out', () => {
    const input = formToRequestInput(formValues({ name: 'Ada', email: 'a@b.org', rights: 'access' }));
    expect(input).toEqual({ requester: { name: 'Ada', email: 'a@b.org' }, rights: ['access'], text: '' });
  });

  it('When a field the form never shows is posted, then it is named as unknown', () => {
    expect(unknownFormFields({ name: 'Ada', isAdmin: 'true', __proto__x: '1' })).toEqual(['isAdmin', '__proto__x']);
  });
});
