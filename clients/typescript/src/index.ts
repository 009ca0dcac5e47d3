export {
  BertIgClient,
  bearerAuth,
  toExplainRequest,
  toExplainUnaryRequest,
  type BertIgClientOptions,
  type CallOptions,
  type ExplainEvent,
  type ExplainOptions,
  type PredictOptions,
} from "./client.js";
export { defaultRetry, retryUnavailable, type RetryOptions } from "./retry.js";
export { ValidationError, toClientError, type FieldViolation } from "./errors.js";
export {
  Baseline,
  IntegrationMethod,
  LongText,
  type ExplainProgress,
  type ExplainResult,
  type ExplainWindow,
  type Faithfulness,
  type FaithfulnessPoint,
  type TargetAttributions,
  type ModelInfo,
  type Prediction,
  type PredictResponse,
  type TokenAttribution,
} from "./gen/bertig/v1/explainer_pb.js";
export { ConnectError, Code } from "@connectrpc/connect";
