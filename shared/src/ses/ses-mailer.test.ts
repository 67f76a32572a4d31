import { isPermanentRefusal, SesMailer, unverifiedIdentity } from './ses-mailer';

const sesError = (name: string, message: string) => Object.assign(new Error(message), { name });

describe('which SES errors dead-letter a mail', () => {
  it.each([
    [sesError('MessageRejected', 'Email address is blacklisted.'), true],
    [sesError('InvalidParameterValue', 'Missing final @domain'), true],
    [sesError('MessageRejected', 'Email address is not verified. The following identities failed the check'), false],
    [sesError('Throttling', 'Maximum sending rate exceeded.'), false],
    [sesError('ServiceUnavailable', ''), false],
  ])('%s → permanent: %s', (error, permanent) => {
    expect(isPermanentRefusal(error)).toBe(permanent);
  });
});

describe('which identity SES refused as not verified', () => {
  const from = 'privacy@relay.example';
  it.each([
    [
      'Email address is not verified. The following identities failed the check in region EU-WEST-2: ada@example.org',
      'recipient',
    ],
    [
      'Email address is not verified. The following identities failed the check in region EU-WEST-2: Privacy@Relay.example',
      'sender',
    ],
    [
      'Email address is not verified. The following identities failed the check in region EU-WEST-2: privacy@relay.example, ada@example.org',
      'sender',
    ],
    ['Email address is not verified.', 'sender'],
    ['Email address is blacklisted.', undefined],
  ])('%s → %s', (message, identity) => {
    expect(unverifiedIdentity(sesError('MessageRejected', message), from)).toBe(identity);
  });
});

describe('SesMailer.send', () => {
  const capture = () => {
    const inputs: unknown[] = [];
    const client = {
      send: async (command: { input: unknown }) => {
        inputs.push(command.input);
        return { MessageId: 'ses-1' };
      },
      destroy: () => undefined,
    };
    return { inputs, client: client as unknown as NonNullable<ConstructorParameters<typeof SesMailer>[0]['client']> };
  };

  it('When a configuration set and tags are given, then SendEmail carries them', async () => {
    const { inputs, client } = capture();
    const mailer = new SesMailer({
      from: 'relay@relay.test',
      region: 'eu-west-2',
      configurationSet: 'forwards',
      client,
    });
    const sent = await mailer.send({
      to: 'a@b.example',
      subject: 's',
      text: 't',
      tags: { caseId: '0193a1c2-7d4e-8a10-9b7c-000000000001', contactIndex: '0' },
    });
    expect(sent).toEqual({ messageId: 'ses-1' });
    expect(inputs[0]).toMatchObject({
      ConfigurationSetName: 'forwards',
      Tags: [
        { Name: 'caseId', Value: '0193a1c2-7d4e-8a10-9b7c-000000000001' },
        { Name: 'contactIndex', Value: '0' },
      ],
    });
  });

  it('When a tag holds a character SES refuses, then nothing is sent', async () => {
    const { inputs, client } = capture();
    const mailer = new SesMailer({ from: 'relay@relay.test', region: 'eu-west-2', client });
    await expect(mailer.send({ to: 'a@b.example', subject: 's', text: 't', tags: { case: 'a:b' } })).rejects.toThrow(
      /not \[A-Za-z0-9_-\]/,
    );
    expect(inputs).toEqual([]);
  });
});
