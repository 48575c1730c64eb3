/*
 * proto.c: names of the channel message types, for logs.
 */
#include "config.h"

#include "proto.h"

const char *
msg_type_str(unsigned t)
{
	switch (t) {
	case MSG_ACCOUNT_SET:
		return "ACCOUNT_SET";
	case MSG_ACCOUNT_HEALTH:
		return "ACCOUNT_HEALTH";
	case MSG_SHUTDOWN:
		return "SHUTDOWN";
	case MSG_READY:
		return "READY";
	case MSG_ACCOUNT_FAILED:
		return "ACCOUNT_FAILED";
	case MSG_TOKEN_REJECTED:
		return "TOKEN_REJECTED";
	case MSG_STATS:
		return "STATS";
	default:
		return "UNKNOWN";
	}
}
