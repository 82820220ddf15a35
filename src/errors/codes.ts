/**
 * Stable error codes. A code names a failure class; it never changes meaning once published.
 * Suites and the reporter match on codes, never on message text.
 */
export type ErrorCode =
  | 'INVENTORY_INVALID'
  | 'INVENTORY_READ'
  | 'SECRET_UNRESOLVED'
  | 'CONNECTION'
  | 'AUTH'
  | 'HOST_KEY'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'COMMAND'
  | 'PROTOCOL'
  | 'FRAMING'
  | 'XDR'
  | 'LIBVIRT'
  | 'NETCONF_RPC'
  | 'CONFIG_REJECTED'
  | 'UNSUPPORTED'
  | 'UNKNOWN_KIND'
  | 'MIGRATION'
  | 'IP_CONFLICT'
  | 'PRECHECK'
  | 'LAB'
  | 'LAB_BUSY'
  | 'PROBE'
  | 'MEASUREMENT'
  | 'REPORT'
  | 'USAGE'
  | 'INTERNAL';
