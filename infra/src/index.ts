export type {
  LocalKafka,
  LocalStack,
  StackEndpoints,
  StackPorts,
  StackService,
  StackVersions,
  StartLocalStackOptions,
} from './local-stack';
export { prepareLocalStack, startLocalKafka, startLocalStack } from './local-stack';
export { cacheRoot } from './cache';
export { FERRETDB_VERSION, mongoPing } from './ferretdb-server';
export { KAFKA_VERSION, kafkaAnswers } from './kafka-server';
export { sesAnswers, sesLocalVersion } from './ses-server';
export type { ServerHealth, StackState } from './stack-state';
export { checkStack, readStackState, stopFromState } from './stack-state';
export type { ContainerStack } from './container-stack';
export { dockerAnswers, startContainerStack } from './container-stack';
export type { StartTestStackOptions, TestStack, TestStackSource } from './test-stack';
export { startTestStack } from './test-stack';
