/*
 * supervisor.c: the master's worker table and its poll loop.
 *
 * Workers live in slots (nginx's ngx_processes[]): pid, channel, the
 * generation they were started for.  The loop polls the signal
 * self-pipe, the control socket and its clients, and every worker
 * channel; once a second it sizes the pool (Apache prefork's
 * perform_idle_server_maintenance): respawn up to WORKERS, grow toward
 * MAX_WORKERS while no worker is idle, shrink back when some stay idle.
 *
 * A reload starts a new generation and retires the old one only when
 * every new worker has said READY; SIGTERM stops accepting, lets
 * workers finish for SHUTDOWN_GRACE_SECONDS, then kills what is left.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "accounts.h"
#include "log.h"
#include "master.h"
#include "mhttp.h"
#include "proto.h"
#include "scoreboard.h"
#include "util.h"
#include "xalloc.h"

#define EARLY_DEATH_MS	10000	/* a worker dying sooner counts as failing */
#define RESPAWN_MAX_MS	30000
#define RELOAD_WAIT_MS	30000
#define SHRINK_AFTER	10	/* seconds with too many idle workers */
#define GROW_MAX_STEP	32
#define SAMPLE_MS	100	/* idle workers are counted this often */
#define GROW_WAIT_MS	20	/* a longer wait in the accept queue grows the pool */

struct master *M;

/* Kept while a reload is in progress, to roll back to. */
static struct conf	*prev_conf;
static struct listener	 prev_l[MAX_LISTENERS];
static size_t		 prev_nl;
static uint32_t		 reload_spawned;

void
sup_init(void)
{
	M->w = xcalloc(SB_SLOTS, sizeof(*M->w));
	M->reload_client = -1;
}

static int
slot_free(int i)
{
	return M->w[i].pid == 0 &&
	    atomic_load(&sb->w[i].state) == SB_FREE;
}

static void
drop_privileges(void)
{
	if (!M->drop_privs || geteuid() != 0)
		return;
	if (setgroups(1, &M->run_gid) == -1 || setgid(M->run_gid) == -1 ||
	    setuid(M->run_uid) == -1) {
		log_warn("cannot drop privileges to uid %u",
		    (unsigned)M->run_uid);
		_exit(WORKER_EXIT_FATAL);
	}
	if (M->run_uid != 0 && setuid(0) != -1) {
		log_warnx("privileges could be regained; refusing to run");
		_exit(WORKER_EXIT_FATAL);
	}
}

/* Fork one worker of the given generation; -1 when none could start. */
int
sup_spawn(uint32_t gen)
{
	int sv[2], i, j;
	pid_t pid;
	struct sb_worker *sw;

	for (i = 0; i < SB_SLOTS; i++)
		if (slot_free(i))
			break;
	if (i == SB_SLOTS) {
		log_warnx("no free worker slot");
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("socketpair");
		return -1;
	}
	sw = &sb->w[i];
	atomic_store(&sw->state, SB_STARTING);
	atomic_store(&sw->generation, gen);
	atomic_store(&sw->requests, 0);
	atomic_store(&sw->connections, 0);
	atomic_store(&sw->stop, 0);
	atomic_store(&sw->started_ms, wall_ms());
	atomic_store(&sw->since_ms, wall_ms());
	sw->route[0] = '\0';

	pid = fork();
	if (pid == -1) {
		log_warn("fork");
		atomic_store(&sw->state, SB_FREE);
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		random_fork();
		close(sv[0]);
		/* listeners the new configuration dropped are not ours */
		for (j = 0; j < (int)prev_nl; j++)
			if (prev_l[j].fd != -1)
				close(prev_l[j].fd);
		for (j = 0; j < SB_SLOTS; j++) {
			if (M->w[j].pid != 0 && M->w[j].fd != -1)
				close(M->w[j].fd);
		}
		control_close();
		accounts_child_handover();
		conf_scrub_master_secrets(M->conf);
		conf_scrub_master_secrets(prev_conf);
		signal_worker_defaults();
		drop_privileges();
		atomic_store(&sw->pid, (int32_t)getpid());
		worker_main(M->conf, M->l, M->nl, sv[1], i, gen);
	}
	close(sv[1]);
	fd_nonblock(sv[0], 1);
	M->w[i].pid = pid;
	M->w[i].fd = sv[0];
	M->w[i].generation = gen;
	M->w[i].ready = 0;
	M->w[i].exiting = 0;
	M->w[i].started = mono_ms();
	msgin_init(&M->w[i].in);
	msgq_init(&M->w[i].out, 64 * 1024 * 1024);
	atomic_store(&sw->pid, (int32_t)pid);
	log_debug("worker %d started: pid %ld, generation %u", i, (long)pid,
	    gen);
	return 0;
}

static void
slot_clear(int i)
{
	struct wslot *w = &M->w[i];

	if (w->fd != -1)
		close(w->fd);
	msgin_free(&w->in);
	msgq_free(&w->out);
	memset(w, 0, sizeof(*w));
	w->fd = -1;
	sb_set_state(i, SB_FREE);
	atomic_store(&sb->w[i].pid, 0);
}

/* Number of live workers of a generation (0: all generations). */
int
sup_count(uint32_t gen, int ready_only)
{
	int i, n = 0;

	for (i = 0; i < SB_SLOTS; i++) {
		if (M->w[i].pid == 0 || M->w[i].exiting)
			continue;
		if (gen != 0 && M->w[i].generation != gen)
			continue;
		if (ready_only && !M->w[i].ready)
			continue;
		n++;
	}
	return n;
}

static int
count_alive(void)
{
	int i, n = 0;

	for (i = 0; i < SB_SLOTS; i++)
		if (M->w[i].pid != 0)
			n++;
	return n;
}

static void
send_shutdown(int i)
{
	struct msg_out m;

	if (M->w[i].pid == 0 || M->w[i].exiting)
		return;
	M->w[i].exiting = 1;
	atomic_store(&sb->w[i].stop, 1);
	if (M->w[i].fd == -1) {
		kill(M->w[i].pid, SIGTERM);
		return;
	}
	msg_create(&m, MSG_SHUTDOWN, 0);
	if (msg_close(&m) == 0 && msgq_put(&M->w[i].out, &m) == 0)
		sup_flush(&M->w[i]);
	else
		kill(M->w[i].pid, SIGTERM);
}

/* Retire every worker older than gen, or all of them. */
void
sup_shutdown_workers(uint32_t gen_below, int all)
{
	int i;

	for (i = 0; i < SB_SLOTS; i++) {
		if (M->w[i].pid == 0)
			continue;
		if (all || M->w[i].generation < gen_below)
			send_shutdown(i);
	}
}

static const char *
exit_str(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)%s",
		    WTERMSIG(status), strsignal(WTERMSIG(status)),
		    WCOREDUMP(status) ? ", core dumped" : "");
	else
		snprintf(buf, len, "stopped (status %d)", status);
	return buf;
}

void
sup_reap(void)
{
	char why[96];
	int status, i, fatal_exit, early, expected;
	pid_t pid;
	int64_t now = mono_ms(), delay;

	for (;;) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid <= 0)
			break;
		for (i = 0; i < SB_SLOTS; i++)
			if (M->w[i].pid == pid)
				break;
		if (i == SB_SLOTS)
			continue;
		expected = M->w[i].exiting || M->shutting_down ||
		    (WIFEXITED(status) && WEXITSTATUS(status) == 0);
		fatal_exit = WIFEXITED(status) &&
		    WEXITSTATUS(status) == WORKER_EXIT_FATAL;
		/* dying young (or before READY) counts as failing; being
		 * killed by someone else does not */
		early = (!M->w[i].ready || now - M->w[i].started <
		    EARLY_DEATH_MS) && !(WIFSIGNALED(status) &&
		    (WTERMSIG(status) == SIGKILL || WTERMSIG(status) == SIGTERM));
		if (expected)
			log_debug("worker %d (pid %ld) %s", i, (long)pid,
			    exit_str(status, why, sizeof(why)));
		else
			log_warnx("worker %d (pid %ld) %s", i, (long)pid,
			    exit_str(status, why, sizeof(why)));
		if (fatal_exit && M->reloading &&
		    M->w[i].generation == M->generation) {
			slot_clear(i);
			sup_finish_reload(0, "a worker of the new "
			    "configuration failed to start (see the log)");
			continue;
		}
		if (fatal_exit && !M->shutting_down) {
			log_errorx("worker failed with a fatal error; not "
			    "respawning");
			if (M->w[i].generation == M->generation &&
			    sup_count(M->generation, 0) <= 1) {
				log_errorx("no workers left; shutting down");
				M->exit_status = 1;
				M->shutting_down = 1;
				M->shutdown_deadline = now;
			}
		}
		if (!expected && !fatal_exit &&
		    M->w[i].generation == M->generation) {
			/* back off only when workers keep dying young */
			M->respawn_failures = early ?
			    M->respawn_failures + 1 : 0;
			delay = M->respawn_failures <= 1 ? 0 :
			    1000LL << (M->respawn_failures > 7 ? 5 :
			    M->respawn_failures - 2);
			if (delay > RESPAWN_MAX_MS)
				delay = RESPAWN_MAX_MS;
			M->respawn_at = now + delay;
			if (delay > 0)
				log_warnx("workers keep dying: respawning in "
				    "%lld ms", (long long)delay);
		}
		slot_clear(i);
	}
}

/* Write what is queued for a worker and tell it so in the scoreboard: a
 * busy worker looks at its channel only when its mail count moved. */
void
sup_flush(struct wslot *w)
{
	if (msgq_flush(&w->out, w->fd) == -1)
		return;
	atomic_fetch_add(&sb->w[w - M->w].mail, 1);
}

/*
 * One pass over the generation's workers: how many are idle (waiting in
 * accept, or starting), and how many have waited at least
 * KA_YIELD_IDLE_MS for the next request on a kept-alive connection.
 */
static int
count_idle(uint32_t gen, int *held)
{
	int64_t now = wall_ms();
	int i, n = 0, h = 0;
	uint32_t st;

	for (i = 0; i < SB_SLOTS; i++) {
		if (M->w[i].pid == 0 || M->w[i].exiting ||
		    M->w[i].generation != gen)
			continue;
		st = atomic_load(&sb->w[i].state);
		if (st == SB_IDLE || st == SB_STARTING)
			n++;
		else if (st == SB_KEEPALIVE && now -
		    atomic_load(&sb->w[i].since_ms) >= KA_YIELD_IDLE_MS)
			h++;
	}
	if (held != NULL)
		*held = h;
	return n;
}

static void
retire_one_idle(uint32_t gen)
{
	int i;

	for (i = SB_SLOTS - 1; i >= 0; i--) {
		if (M->w[i].pid == 0 || M->w[i].exiting ||
		    M->w[i].generation != gen)
			continue;
		if (atomic_load(&sb->w[i].state) == SB_IDLE) {
			log_debug("retiring idle worker %d", i);
			send_shutdown(i);
			return;
		}
	}
}

/*
 * Size the pool (Apache prefork's perform_idle_server_maintenance).
 * Every SAMPLE_MS the idle workers, the workers holding an idle
 * keep-alive connection and the accept queue are sampled; once a second
 * the samples decide.  The pool grows (1, 2, 4 ... workers a second up
 * to GROW_MAX_STEP, toward MAX_WORKERS) when no worker was idle all
 * second and either
 *  - clients wait in the accept queue and, at the rate requests were
 *    completed that second, the queue takes more than GROW_WAIT_MS to
 *    drain: workers are held by slow requests (long streams), or
 *  - all second some worker held an idle keep-alive connection, which a
 *    new client could only get by cutting it off.
 * A queue that drains fast means the workers are not held but busy on
 * the CPU: more processes would not serve more requests, they would
 * only make every request wait longer for a CPU.  Two or more idle all
 * the time for SHRINK_AFTER seconds, retire one idle worker a second,
 * down to WORKERS.  Respawning dead workers up to WORKERS is immediate
 * (or backed off when they keep dying young).
 */
void
sup_tick(void)
{
	static int min_idle = -1, min_held = -1, qmax, nsamples;
	static int64_t next_sample, qsum, last_tick;
	static uint64_t last_done;
	int64_t now = mono_ms();
	uint64_t done;
	int n, idle, want, k, q, held, slow;

	if (M->shutting_down)
		return;
	n = sup_count(M->generation, 0);
	if (n < M->conf->workers && now >= M->respawn_at) {
		want = (int)M->conf->workers - n;
		for (k = 0; k < want; k++)
			if (sup_spawn(M->generation) == -1)
				break;
		n = sup_count(M->generation, 0);
	}
	if (now >= next_sample) {
		next_sample = now + SAMPLE_MS;
		idle = count_idle(M->generation, &held);
		if (min_idle == -1 || idle < min_idle)
			min_idle = idle;
		if (min_held == -1 || held < min_held)
			min_held = held;
		q = listeners_queue(M->l, M->nl);
		qsum += q;
		if (q > qmax)
			qmax = q;
		nsamples++;
	}
	if (now < M->next_tick)
		return;
	M->next_tick = now + 1000;
	if (M->reloading && now >= M->reload_deadline)
		sup_finish_reload(sup_count(M->generation, 1) > 0,
		    "the new workers did not become ready in time");
	idle = min_idle == -1 ? count_idle(M->generation, NULL) : min_idle;
	held = min_held == -1 ? 0 : min_held;
	/* the queue drains slower than GROW_WAIT_MS at the completion
	 * rate of the last tick: (qsum / nsamples) / (done / dt) > GROW_WAIT_MS,
	 * dt in ms */
	done = atomic_load(&sb->total_requests) - last_done;
	slow = qmax > 0 && (done == 0 || qsum * (now - last_tick) >
	    (int64_t)GROW_WAIT_MS * (int64_t)done * nsamples);
	last_done += done;
	last_tick = now;
	min_idle = min_held = -1;
	qsum = qmax = nsamples = 0;
	if (M->reloading)
		return;
	if (idle == 0 && (slow || held > 0) && n >= M->conf->workers &&
	    n < M->conf->max_workers) {
		want = M->grow_step;
		if (want > M->conf->max_workers - n)
			want = (int)(M->conf->max_workers - n);
		log_debug("%d of %d workers idle, %d holding idle connections%s:"
		    " starting %d more", idle, n, held,
		    slow ? ", clients waiting" : "", want);
		for (k = 0; k < want; k++)
			if (sup_spawn(M->generation) == -1)
				break;
		if (M->grow_step < GROW_MAX_STEP)
			M->grow_step *= 2;
	} else
		M->grow_step = 1;
	if (n > M->conf->workers && idle >= 2) {
		if (++M->idle_ticks >= SHRINK_AFTER)
			retire_one_idle(M->generation);
	} else
		M->idle_ticks = 0;
}

void
sup_dispatch(struct wslot *w)
{
	struct msg_in m;
	ssize_t r;
	int n;

	r = msgin_read(&w->in, w->fd);
	if (r == 0 || (r == -1 && errno != EAGAIN && errno != EINTR)) {
		/* the worker is gone or going; SIGCHLD does the rest */
		close(w->fd);
		w->fd = -1;
		return;
	}
	for (;;) {
		n = msgin_next(&w->in, &m);
		if (n == 0)
			break;
		if (n == -1) {
			log_warnx("worker pid %ld: corrupt channel; stopping it",
			    (long)w->pid);
			kill(w->pid, SIGKILL);
			close(w->fd);
			w->fd = -1;
			return;
		}
		switch (m.hdr.type) {
		case MSG_READY:
			(void)msg_get_u32(&m);
			if (msg_end(&m) == -1)
				fatalx("malformed %s from pid %ld",
				    msg_type_str(m.hdr.type), (long)w->pid);
			w->ready = 1;
			accounts_send_all(w);
			if (!M->notified && w->generation == M->generation &&
			    sup_count(M->generation, 1) >= M->conf->workers) {
				M->notified = 1;
				sd_notify_msg("READY=1");
			}
			if (M->reloading && w->generation == M->generation &&
			    (uint32_t)sup_count(M->generation, 1) >=
			    reload_spawned)
				sup_finish_reload(1, NULL);
			break;
		case MSG_STATS:
			break;
		case MSG_TOKEN_REJECTED:
		case MSG_ACCOUNT_FAILED:
			accounts_worker_msg(w, &m);
			break;
		default:
			log_warnx("worker pid %ld: unexpected message %s",
			    (long)w->pid, msg_type_str(m.hdr.type));
			break;
		}
	}
}

/* ---- reload ---------------------------------------------------------- */

static int
same_listeners(const struct conf *a, const char *host, long long port)
{
	return port == a->server_port && host != NULL && a->host != NULL &&
	    strcmp(host, a->host) == 0;
}

int
sup_reload(char *err, size_t errlen)
{
	struct conf_diags d;
	struct conf *nc;
	struct listener nl[MAX_LISTENERS];
	char e2[256];
	size_t nnl = 0, i;
	enum log_level lv;
	int k, new_listeners = 0;

	if (M->reloading) {
		snprintf(err, errlen, "a reload is already in progress");
		return -1;
	}
	if (M->shutting_down) {
		snprintf(err, errlen, "the daemon is shutting down");
		return -1;
	}
	conf_diags_init(&d);
	nc = conf_load(M->conf_path, M->ov, M->nov, 1, &d);
	conf_diags_log(&d);
	if (nc == NULL) {
		size_t off = 0;

		err[0] = '\0';
		for (i = 0; i < d.n && off + 1 < errlen; i++) {
			if (!d.v[i].error)
				continue;
			off += snprintf(err + off, errlen - off, "%s%s",
			    off ? "; " : "", d.v[i].text);
		}
		conf_diags_free(&d);
		return -1;
	}
	conf_diags_free(&d);
	if (master_set_user(nc, err, errlen) == -1) {
		conf_free(nc);	/* the old identity stays */
		return -1;
	}
	if (!same_listeners(nc, M->bound_host, M->bound_port)) {
		if (listeners_open(nc->host, nc->server_port, nl, &nnl, err,
		    errlen) == -1) {
			conf_free(nc);
			master_set_user(M->conf, e2, sizeof(e2));
			return -1;
		}
		new_listeners = 1;
	}
	if (nc->control_socket && M->ctl_path &&
	    strcmp(nc->control_socket, M->ctl_path) != 0)
		log_warnx("CONTROL_SOCKET changed: takes effect at restart");
	if (nc->pid_file && M->pid_path && strcmp(nc->pid_file, M->pid_path))
		log_warnx("PID_FILE changed: takes effect at restart");

	runtime_prepare(nc, M->conf);
	prev_conf = M->conf;
	M->conf = nc;
	if (new_listeners) {
		memcpy(prev_l, M->l, sizeof(prev_l));
		prev_nl = M->nl;
		memcpy(M->l, nl, sizeof(nl));
		M->nl = nnl;
	} else
		prev_nl = 0;
	accounts_load(nc);
	if (!M->foreground && ((nc->log_file == NULL) !=
	    (prev_conf->log_file == NULL) || (nc->log_file != NULL &&
	    strcmp(nc->log_file, prev_conf->log_file) != 0))) {
		log_info("LOG_FILE changed to %s", nc->log_file ?
		    nc->log_file : "syslog");
		log_init(nc->log_file ? LOG_DEST_FILE : LOG_DEST_SYSLOG,
		    nc->log_file, log_getlevel());
	}
	if (nc->log_level && log_parselevel(nc->log_level, &lv) == 0) {
		int v = (int)lv - M->verbose;

		log_setlevel(v < 0 ? LOG_LVL_DEBUG : (enum log_level)v);
	}
	M->generation++;
	atomic_store(&sb->generation, M->generation);
	M->reloading = 1;
	M->reload_deadline = mono_ms() + RELOAD_WAIT_MS;
	reload_spawned = 0;
	for (k = 0; k < nc->workers; k++)
		if (sup_spawn(M->generation) == 0)
			reload_spawned++;
	if (reload_spawned == 0) {
		sup_finish_reload(0, "cannot start workers");
		snprintf(err, errlen, "cannot start workers");
		return -1;
	}
	log_info("reloading: generation %u, %u workers", M->generation,
	    reload_spawned);
	return 0;
}

/*
 * The new generation is ready (ok) or failed: retire the old workers,
 * or stop the new ones and go back to the old configuration.
 */
void
sup_finish_reload(int ok, const char *err)
{
	char json[1024];
	int i;

	if (!M->reloading)
		return;
	M->reloading = 0;
	if (ok) {
		sup_shutdown_workers(M->generation, 0);
		if (prev_nl > 0) {
			listeners_stop(prev_l, prev_nl);
			free(M->bound_host);
			M->bound_host = xstrdup(M->conf->host);
			M->bound_port = M->conf->server_port;
		}
		runtime_release(prev_conf);
		conf_free(prev_conf);
		prev_conf = NULL;
		prev_nl = 0;
		log_info("reload done: generation %u serving", M->generation);
		snprintf(json, sizeof(json), "{\"ok\":true,\"generation\":%u}",
		    M->generation);
	} else {
		for (i = 0; i < SB_SLOTS; i++)
			if (M->w[i].pid != 0 &&
			    M->w[i].generation == M->generation)
				send_shutdown(i);
		if (prev_nl > 0) {
			listeners_close(M->l, M->nl);
			memcpy(M->l, prev_l, sizeof(prev_l));
			M->nl = prev_nl;
		}
		/* descriptors taken over from the old configuration go back */
		if (prev_conf->prompt_log_fd == -1) {
			prev_conf->prompt_log_fd = M->conf->prompt_log_fd;
			M->conf->prompt_log_fd = -1;
		}
		if (prev_conf->fetch_prompt_fd == -1) {
			prev_conf->fetch_prompt_fd = M->conf->fetch_prompt_fd;
			M->conf->fetch_prompt_fd = -1;
		}
		runtime_release(M->conf);
		conf_free(M->conf);
		M->conf = prev_conf;
		prev_conf = NULL;
		prev_nl = 0;
		M->generation--;
		atomic_store(&sb->generation, M->generation);
		log_warnx("reload failed: %s; still serving generation %u",
		    err, M->generation);
		{
			json_object *o = json_object_new_object();

			json_object_object_add(o, "ok",
			    json_object_new_boolean(0));
			json_object_object_add(o, "error",
			    json_object_new_string(err));
			snprintf(json, sizeof(json), "%s",
			    json_object_to_json_string_ext(o,
			    JSON_C_TO_STRING_PLAIN));
			json_object_put(o);
		}
	}
	if (M->reload_client != -1) {
		control_reply(M->reload_client, json);
		M->reload_client = -1;
	}
}

/* ---- the loop -------------------------------------------------------- */

static void
begin_shutdown(void)
{
	if (M->shutting_down)
		return;
	log_info("shutting down: waiting up to %lld s for requests in flight",
	    M->conf->shutdown_grace_seconds);
	M->shutting_down = 1;
	M->shutdown_deadline = mono_ms() +
	    M->conf->shutdown_grace_seconds * 1000;
	if (M->reloading)
		sup_finish_reload(0, "shutting down");
	listeners_stop(M->l, M->nl);
	sup_shutdown_workers(0, 1);
}

void
sup_loop(void)
{
	struct pollfd pfd[SB_SLOTS + 64];
	int slot_of[SB_SLOTS + 64];
	int n, i, nctl, timeout, r, sp;
	int64_t now;

	sp = signal_setup();
	if (sp == -1)
		fatal("signal_setup");
	for (;;) {
		n = 0;
		pfd[n].fd = sp;
		pfd[n].events = POLLIN;
		slot_of[n++] = -1;
		nctl = control_pollfds(pfd + n, 64 - 2);
		for (i = 0; i < nctl; i++)
			slot_of[n + i] = -2;
		n += nctl;
		for (i = 0; i < SB_SLOTS; i++) {
			if (M->w[i].pid == 0 || M->w[i].fd == -1)
				continue;
			pfd[n].fd = M->w[i].fd;
			pfd[n].events = POLLIN;
			if (msgq_pending(&M->w[i].out))
				pfd[n].events |= POLLOUT;
			slot_of[n++] = i;
		}
		now = mono_ms();
		timeout = M->next_tick > now ? (int)(M->next_tick - now) : 0;
		if (timeout > SAMPLE_MS)
			timeout = SAMPLE_MS;
		if (M->respawn_at > now && M->respawn_at - now < timeout)
			timeout = (int)(M->respawn_at - now);
		if (M->shutting_down) {
			if (count_alive() == 0)
				break;
			if (now >= M->shutdown_deadline) {
				log_warnx("grace period over: killing %d "
				    "workers", count_alive());
				for (i = 0; i < SB_SLOTS; i++)
					if (M->w[i].pid != 0)
						kill(M->w[i].pid, SIGKILL);
				M->shutdown_deadline = now + 60000;
			}
			if (M->shutdown_deadline - now < timeout)
				timeout = (int)(M->shutdown_deadline - now);
		}
		if (timeout < 0)
			timeout = 0;
		r = mhttp_poll(pfd, n, timeout);
		if (r == -1 && errno != EINTR)
			fatal("poll");
		if (pfd[0].revents & POLLIN)
			signal_drain();
		if (sig_chld) {
			sig_chld = 0;
			sup_reap();
		}
		if (sig_term) {
			sig_term = 0;
			begin_shutdown();
		}
		if (sig_usr1) {
			sig_usr1 = 0;
			if (log_reopen() == -1)
				log_warn("reopening the log file");
			else
				log_info("log file reopened");
		}
		if (sig_hup) {
			char err[1024];

			sig_hup = 0;
			log_info("SIGHUP: reloading the configuration");
			if (sup_reload(err, sizeof(err)) == -1)
				log_warnx("reload refused: %s", err);
		}
		if (r > 0) {
			control_handle(pfd + 1, nctl);
			for (i = 1 + nctl; i < n; i++) {
				struct wslot *w;

				if (pfd[i].revents == 0)
					continue;
				w = &M->w[slot_of[i]];
				if (w->pid == 0 || w->fd != pfd[i].fd)
					continue;
				if (pfd[i].revents & POLLOUT)
					sup_flush(w);
				if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
					sup_dispatch(w);
			}
		}
		accounts_tick();
		sup_tick();
	}
}
