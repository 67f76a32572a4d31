import { EVENTS, type RequestVerifiedV1 } from '@privacy-relay/shared/events';
import type { EventPublisher } from '@privacy-relay/shared/kafka';
import type { VerifiedRequestPublisher } from '../../application/ports';

export class KafkaVerifiedRequestPublisher implements VerifiedRequestPublisher {
  constructor(private readonly publisher: EventPublisher) {}

  publishVerified(event: RequestVerifiedV1): Promise<void> {
    return this.publisher.publish(EVENTS.requestVerifiedV1, event);
  }
}
