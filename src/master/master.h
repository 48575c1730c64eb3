/*
 * master.h: what the master's files share: the listeners, the worker
 * slot table, the control socket and the loop's entry points.  Worker
 * code never includes this header.
 */
#ifndef AICLIENT_MASTER_H
#define AICLIENT_MASTER_H

#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf.h"
#include "msg.h"

#define MAX_LISTENERS	16

struct listener {
	int	 fd;
	char	 name[80];	/* "127.0.0.1:3000", "[::1]:3000" */
};

/* One worker process as the master sees it (nginx ngx_processes[]). */
struct wslot {
	pid_t		 pid;		/* 0: slot free */
	int		 fd;		/* channel */
	uint32_t	 generation;
	int		 ready;		/* sent MSG_READY */
	int		 exiting;	/* sent MSG_SHUTDOWN */
	int64_t		 started;	/* mono ms */
	struct msgin	 in;
	struct msgq	 out;
};

/* The running daemon: configuration, listeners, workers. */
struct master {
	struct conf		*conf;
	const char		*conf_path;	/* as given with -f */
	struct conf_override	*ov;		/* command-line keys, kept for reload */
	size_t			 nov;
	int			 foreground;
	int			 verbose;	/* -v count */

	struct listener		 l[MAX_LISTENERS];
	size_t			 nl;
	char			*bound_host;	/* HOST the listeners were made for */
	long long		 bound_port;

	struct wslot		*w;		/* SB_SLOTS entries */
	uint32_t		 generation;
	int			 reloading;	/* waiting for READY of the new generation */
	int64_t			 reload_deadline;
	int			 reload_client;	/* control fd waiting, or -1 */

	int			 shutting_down;
	int64_t			 shutdown_deadline;

	int			 respawn_failures;	/* consecutive early deaths */
	int64_t			 respawn_at;		/* mono ms; 0 none pending */
	int			 grow_step;		/* Apache's idle spawn rate */
	int			 idle_ticks;		/* seconds with spare idle workers */
	int64_t			 next_tick;

	int			 ctl_fd;	/* listening control socket */
	char			*ctl_path;
	char			*pid_path;
	uid_t			 run_uid;	/* workers' identity */
	gid_t			 run_gid;
	int			 drop_privs;
	int			 notified;	/* systemd told READY=1 */
	int			 exit_status;	/* 1 after a fatal worker failure */
};

extern struct master *M;

/* signal.c */
extern volatile sig_atomic_t sig_hup, sig_term, sig_chld, sig_usr1;
int	 signal_setup(void);	/* returns the self-pipe read end */
void	 signal_drain(void);
void	 signal_worker_defaults(void);

/* listen.c */
int	 listeners_open(const char *host, long long port, struct listener *,
	    size_t *n, char *err, size_t errlen);
void	 listeners_close(struct listener *, size_t n);
void	 listeners_stop(struct listener *, size_t n);
int	 listeners_queue(const struct listener *, size_t n);

/* supervisor.c */
void	 sup_init(void);
int	 sup_spawn(uint32_t generation);
void	 sup_reap(void);
void	 sup_tick(void);
void	 sup_dispatch(struct wslot *);
void	 sup_flush(struct wslot *);
void	 sup_shutdown_workers(uint32_t generation_below, int all);
int	 sup_count(uint32_t generation, int ready_only);
void	 sup_loop(void);
int	 sup_reload(char *err, size_t errlen);
void	 sup_finish_reload(int ok, const char *err);

/* control.c */
int	 control_open(const char *path, char *err, size_t errlen);
void	 control_close(void);
void	 control_accept(void);
int	 control_pollfds(struct pollfd *, int max);
void	 control_handle(struct pollfd *, int n);
void	 control_reply(int fd, const char *json);

/* runtime.c */
void	 runtime_prepare(struct conf *, struct conf *old);
void	 runtime_release(struct conf *);

/* main.c */
void	 sd_notify_msg(const char *);
int	 master_set_user(const struct conf *, char *err, size_t errlen);

/* worker entry (src/worker/worker.c) */
void	 worker_main(const struct conf *, const struct listener *, size_t nl,
	    int chan, int slot, uint32_t generation) __attribute__((noreturn));

#endif
