// The client library's public surface: GatewayClient, its errors and the close-code words.
export { RECONNECT, reconnectDelay, STARTUP_RETRY, startupRetryDelay } from "./backoff.js";
export {
  CLIENT_PROTOCOL,
  type ClientStatus,
  connectParams,
  type EventListener,
  GatewayClient,
  type GatewayClientOptions,
  type RequestOptions,
  SESSION_SCOPED_EVENTS,
} from "./client.js";
export { CLIENT_CLOSE, describeClose } from "./close-codes.js";
export { isStartupRefusal } from "./connect.js";
export {
  ClientError,
  type ClientErrorKind,
  type ConnectStage,
  describeErrno,
  RequestError,
} from "./errors.js";
