/** What a request is signed with: an AccessKey pair, and for temporary credentials the STS token. */
export interface Credentials {
  accessKeyId: string;
  accessKeySecret: string;
  /** STS token; signed as `x-acs-security-token` (V3) or sent as `SecurityToken` (V1), docs/ecs-notes.md#signer-notes. */
  securityToken?: string | undefined;
}
