export { PayloadType, SparkplugDataType, sparkplugDescriptor } from './schema';
export {
  decodeSparkplugPayload,
  encodeSparkplugPayload,
  type DatatypeResolver,
  type SkippedMetric,
  type SparkplugMetric,
  type SparkplugPayload,
  type SparkplugValue,
} from './codec';
export { SPARKPLUG_NAMESPACE, nodeCommandTopic, parseSparkplugTopic, type SparkplugMessageType, type SparkplugTopic } from './topic';
export { SparkplugSession, type SparkplugResult, type SparkplugSessionOptions } from './session';
