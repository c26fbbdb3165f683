/**
 * The request signer for ECS, shared by the proxy (which signs) and the simulated ECS (which verifies):
 * V3 (`ACS3-HMAC-SHA256`, docs/ecs-notes.md#signature-v3) and V1 (`HMAC-SHA1`, docs/ecs-notes.md#signature-v1).
 * Pure functions of the request, the credentials, the time and the nonce (docs/conventions.md#pure-signer).
 */
export { canonicalQueryString, formatAcsDate, hashPayload, percentEncode } from './canonical';
export type { Credentials } from './credentials';
export { V1_COMMON_PARAMS, signV1, signatureV1, stringToSignV1, type SignV1Input, type SignedV1 } from './v1';
export {
  EMPTY_BODY_SHA256,
  V3_ALGORITHM,
  authorizationV3,
  canonicalRequestV3,
  signV3,
  signatureV3,
  stringToSignV3,
  type CanonicalRequestV3Input,
  type SignV3Input,
  type SignedV3,
} from './v3';
