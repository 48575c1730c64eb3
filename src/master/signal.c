/*
 * signal.c: the master's signal handlers only set a flag and write one
 * byte to a self-pipe (ntpd sighdlr, nginx ngx_signal_handler), so the
 * poll loop wakes up and does the work outside the handler.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "master.h"
#include "util.h"

volatile sig_atomic_t sig_hup, sig_term, sig_chld, sig_usr1;
static int selfpipe[2] = { -1, -1 };

static void
sighandler(int sig)
{
	int saved = errno;
	char c = 0;

	switch (sig) {
	case SIGHUP:
		sig_hup = 1;
		break;
	case SIGTERM:
	case SIGINT:
		sig_term = 1;
		break;
	case SIGCHLD:
		sig_chld = 1;
		break;
	case SIGUSR1:
		sig_usr1 = 1;
		break;
	}
	if (selfpipe[1] != -1 && write(selfpipe[1], &c, 1) == -1) {
		/* pipe full: a wake-up is already pending */
	}
	errno = saved;
}

int
signal_setup(void)
{
	struct sigaction sa;

	if (pipe2(selfpipe, O_NONBLOCK | O_CLOEXEC) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = sighandler;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0;
	sigaction(SIGPIPE, &sa, NULL);
	return selfpipe[0];
}

void
signal_drain(void)
{
	char b[64];

	while (read(selfpipe[0], b, sizeof(b)) > 0)
		;
}

/* In a new worker: the master's handlers and self-pipe are not ours. */
void
signal_worker_defaults(void)
{
	struct sigaction sa;

	if (selfpipe[0] != -1)
		close(selfpipe[0]);
	if (selfpipe[1] != -1)
		close(selfpipe[1]);
	selfpipe[0] = selfpipe[1] = -1;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGINT, &sa, NULL);	/* the master coordinates */
	sigaction(SIGPIPE, &sa, NULL);
}
