/**
 * The attach feature's model: what an attach is sent to. The attach itself, and the reboots or starts after it,
 * are a run carried out by the proxy (docs/product.md#step-7-activation); the browser only reviews and creates it.
 */

/** A selected instance as the attach flow receives it: selectable (Linux, unlocked), as it was when confirmed. */
export interface AttachTarget {
  InstanceId: string;
  InstanceName: string;
  Status: string;
  KeyPairName: string | undefined;
  ZoneId: string | undefined;
  /** The key pair the proxy says awaits a reboot or start on this instance (docs/product.md#step-9-pending-activation). */
  pendingKeyPairName?: string | undefined;
}
