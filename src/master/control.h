/*
 * control.h: hooks for control-socket commands beyond status and
 * reload (accounts, refresh, enable, disable), implemented by the
 * credential code.  A handler answers with control_reply(fd, json),
 * now or later; it returns -1 with err set for an unknown command or
 * a bad argument.
 */
#ifndef AICLIENT_CONTROL_H
#define AICLIENT_CONTROL_H

#include <stddef.h>

int	 control_command_ext(const char *cmd, const char *arg, int fd,
	    char *err, size_t errlen);
void	 control_reply(int fd, const char *json);

#endif
