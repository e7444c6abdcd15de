/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_TAP_CMD_H
#define TINYVMM_TAP_CMD_H

/*
 * tinyvmm tap create NAME [--queues N] [--user USER] [--group GROUP] [--address CIDR]
 * tinyvmm tap delete NAME
 * tinyvmm tap show NAME
 * @argv[0] is "tap". Returns the process exit code.
 */
int tap_command(int argc, char **argv);

#endif
