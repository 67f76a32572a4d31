import { retryKafkaAdmin } from './retry-admin';

const retriable = Object.assign(new Error('The coordinator is loading'), { retriable: true });

describe('retryKafkaAdmin', () => {
  it('When the call fails with a retriable error and then succeeds, then its answer is returned', async () => {
    let calls = 0;
    const answer = await retryKafkaAdmin(async () => {
      calls += 1;
      if (calls < 3) throw retriable;
      return 'offsets';
    });
    expect({ answer, calls }).toEqual({ answer: 'offsets', calls: 3 });
  });

  it('When the error is not retriable, then it is thrown at once', async () => {
    let calls = 0;
    const fatal = new Error('unknown topic');
    await expect(
      retryKafkaAdmin(async () => {
        calls += 1;
        throw fatal;
      }),
    ).rejects.toBe(fatal);
    expect(calls).toBe(1);
  });

  it('When every attempt fails retriably, then the last error is thrown after the bound', async () => {
    let calls = 0;
    await expect(
      retryKafkaAdmin(
        async () => {
          calls += 1;
          throw retriable;
        },
        { attempts: 2 },
      ),
    ).rejects.toBe(retriable);
    expect(calls).toBe(2);
  });
});
