/**
 * sshd_config lines every sshd of the lab carries, so that a lab device's SSH session runs what it is
 * asked and nothing of the controller's own login setup.
 *
 * Why: sshd runs every exec and subsystem (`netconf-subsystem` included) through the user's login
 * shell, `bash -c …`, and bash sources `~/.bashrc` when it finds itself started by sshd as a
 * top-level shell (SSH_CLIENT set, shell level below 2). An operator's root `.bashrc` that runs
 * `pyenv init`, nvm or conda then costs every session: on one controller 300–550 ms per NETCONF hello
 * and per exec, against 8–16 ms without it. With SHLVL=1 in the session's environment bash starts at
 * level 2 and reads no rc file; `sh` (dash) reads none for `-c` anyway. A real device has no such
 * file, so the lab is also closer to hardware this way.
 */
export const SSHD_SESSION_ENV_LINES: readonly string[] = ['SetEnv SHLVL=1'];
