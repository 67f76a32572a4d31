import { EVENTS, type RequestReceivedV1 } from '@privacy-relay/shared/events';
import type { EventPublisher } from '@privacy-relay/shared/kafka';
import type { ReceivedRequestPublisher } from '../../application/ports';

export class KafkaReceivedRequestPublisher implements ReceivedRequestPublisher {
  constructor(private readonly publisher: EventPublisher) {}

  publishReceived(event: RequestReceivedV1): Promise<void> {
    return this.publisher.publish(EVENTS.requestReceivedV1, event);
  }
}
