/** Subcommands of the remote agent bundle (agent-entry.ts); kept apart, since the entry runs on import. */
export const REMOTE_AGENT_SUBCOMMANDS = ['udp-probe', 'tcp-session', 'tunnel', 'echo'] as const;
export type RemoteAgentSubcommand = (typeof REMOTE_AGENT_SUBCOMMANDS)[number];
