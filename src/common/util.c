/*
 * util.c: clocks, secrets, random ids, base64, hashing and atomic file
 * replacement.  Nothing here logs: errors go back to the caller.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "util.h"

int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
iso8601_utc(int64_t ms, char *out, size_t outlen)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int64_t
iso8601_parse(const char *s)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0, off = 0;
	int64_t ms = 0, scale = 100;
	const char *p;

	if (s == NULL || sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3)
		return -1;
	p = s + n;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (sscanf(p, "%2d:%2d:%2d%n", &h, &mi, &sec, &n) != 3)
			return -1;
		p += n;
		if (*p == '.') {
			for (p++; isdigit((unsigned char)*p); p++) {
				ms += (*p - '0') * scale;
				scale /= 10;
			}
		}
		if (*p == 'Z' || *p == 'z')
			p++;
		else if (*p == '+' || *p == '-') {
			int oh = 0, om = 0, sign = *p == '-' ? -1 : 1;

			if (sscanf(p + 1, "%2d:%2d", &oh, &om) < 1)
				return -1;
			off = sign * (oh * 60 + om);
			p += strlen(p);
		}
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60)
		return -1;
	return ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
	    sec - off * 60) * 1000) + ms;
}

int
ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	const unsigned char *x = a, *y = b;
	unsigned char diff = 0;
	size_t i;

	if (alen != blen) {
		/* still walk a so timing depends on the attempt only */
		for (i = 0; i < alen; i++)
			diff |= x[i];
		return 0;
	}
	for (i = 0; i < alen; i++)
		diff |= x[i] ^ y[i];
	return diff == 0;
}

void
secret_mask(const char *secret, char *out, size_t outlen)
{
	size_t n = secret ? strlen(secret) : 0;

	if (n < 8)
		snprintf(out, outlen, "****");
	else
		snprintf(out, outlen, "%.4s****", secret);
}

int
hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void
sha256_hex(const void *s, size_t len, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	static const char hex[] = "0123456789abcdef";
	size_t i;

	SHA256(s, len, md);
	for (i = 0; i < sizeof(md); i++) {
		out[i * 2] = hex[md[i] >> 4];
		out[i * 2 + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

void
hash_id(const void *s, size_t len, char out[13])
{
	char full[65];

	sha256_hex(s, len, full);
	memcpy(out, full, 12);
	out[12] = '\0';
}

/*
 * Random bytes from the kernel's CSPRNG, drawn 4 KiB at a time so that
 * the ids made on the request path cost no system call.  A process
 * started by fork must call random_fork() first: the buffer it inherits
 * is the parent's.
 */
static unsigned char	rnd_pool[4096];
static size_t		rnd_left;

static void
rnd_fill(void *p, size_t n)
{
	unsigned char *c = p;
	ssize_t r;

	while (n > 0) {
		r = getrandom(c, n, 0);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			abort();
		}
		c += r;
		n -= (size_t)r;
	}
}

void
random_fork(void)
{
	explicit_bzero(rnd_pool, sizeof(rnd_pool));
	rnd_left = 0;
}

void
random_bytes(void *p, size_t n)
{
	unsigned char *c = p;
	size_t k;

	if (n > sizeof(rnd_pool) / 2) {
		rnd_fill(p, n);
		return;
	}
	while (n > 0) {
		if (rnd_left == 0) {
			rnd_fill(rnd_pool, sizeof(rnd_pool));
			rnd_left = sizeof(rnd_pool);
		}
		k = n < rnd_left ? n : rnd_left;
		memcpy(c, rnd_pool + sizeof(rnd_pool) - rnd_left, k);
		/* used bytes are not kept around */
		explicit_bzero(rnd_pool + sizeof(rnd_pool) - rnd_left, k);
		rnd_left -= k;
		c += k;
		n -= k;
	}
}

uint32_t
random_u32(void)
{
	uint32_t v;

	random_bytes(&v, sizeof(v));
	return v;
}

void
uuid_v4(char *out)
{
	unsigned char b[16];

	random_bytes(b, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
	    b[10], b[11], b[12], b[13], b[14], b[15]);
}

void
random_alnum(char *out, size_t n)
{
	static const char set[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char b[64];
	size_t i, j;

	for (i = 0; i < n; i += sizeof(b)) {
		random_bytes(b, sizeof(b));
		for (j = 0; j < sizeof(b) && i + j < n; j++)
			out[i + j] = set[b[j] % 62];
	}
	out[n] = '\0';
}

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
base64_encode(const void *in, size_t len, size_t *outlen)
{
	const unsigned char *p = in;
	size_t i, o = 0, n = 4 * ((len + 2) / 3);
	char *out;
	uint32_t v;

	out = malloc(n + 1);
	if (out == NULL)
		return NULL;
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = b64chars[v >> 18];
		out[o++] = b64chars[(v >> 12) & 63];
		out[o++] = b64chars[(v >> 6) & 63];
		out[o++] = b64chars[v & 63];
	}
	if (i < len) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		out[o++] = b64chars[v >> 18];
		out[o++] = b64chars[(v >> 12) & 63];
		out[o++] = i + 1 < len ? b64chars[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	if (outlen != NULL)
		*outlen = o;
	return out;
}

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

unsigned char *
base64_decode(const char *in, size_t len, size_t *outlen)
{
	unsigned char *out;
	uint32_t acc = 0;
	size_t i, o = 0;
	int bits = 0, v, pad = 0;

	out = malloc(len / 4 * 3 + 4);
	if (out == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		unsigned char c = in[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
		    c == '\f' || c == '\v')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad > 0)
			goto bad;	/* data after padding */
		v = b64val(c);
		if (v < 0)
			goto bad;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (acc >> bits) & 0xff;
		}
	}
	if (bits >= 6 || pad > 2)
		goto bad;
	out[o] = '\0';
	if (outlen != NULL)
		*outlen = o;
	return out;
bad:
	free(out);
	return NULL;
}

int
parse_int(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
file_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode, int keep_owner, char *errbuf, size_t errlen)
{
	char tmp[PATH_MAX], dirbuf[PATH_MAX];
	const char *p = data;
	struct stat st;
	int fd = -1, dfd, have_st;
	ssize_t w;
	size_t off = 0;

	have_st = keep_owner && stat(path, &st) == 0;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path,
	    (long)getpid()) >= sizeof(tmp)) {
		snprintf(errbuf, errlen, "path too long");
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    mode);
	if (fd == -1) {
		snprintf(errbuf, errlen, "create %s: %s", tmp, strerror(errno));
		return -1;
	}
	while (off < len) {
		w = write(fd, p + off, len - off);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			snprintf(errbuf, errlen, "write %s: %s", tmp,
			    strerror(errno));
			goto fail;
		}
		off += w;
	}
	if (fchmod(fd, mode) == -1) {
		snprintf(errbuf, errlen, "chmod %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (have_st && (st.st_uid != geteuid() || st.st_gid != getegid()) &&
	    fchown(fd, st.st_uid, st.st_gid) == -1) {
		snprintf(errbuf, errlen, "chown %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (fsync(fd) == -1) {
		snprintf(errbuf, errlen, "fsync %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (close(fd) == -1) {
		fd = -1;
		snprintf(errbuf, errlen, "close %s: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		snprintf(errbuf, errlen, "rename %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	strlcpy(dirbuf, path, sizeof(dirbuf));
	dfd = open(dirname(dirbuf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
fail:
	if (fd != -1)
		close(fd);
	unlink(tmp);
	return -1;
}

char *
file_read_all(const char *path, size_t max, size_t *lenp)
{
	struct stat st;
	char *data = NULL;
	size_t len = 0, cap;
	ssize_t r;
	int fd, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return NULL;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto fail;
	}
	cap = (size_t)st.st_size + 1;
	if (cap > max + 1) {
		errno = EFBIG;
		goto fail;
	}
	data = malloc(cap);
	if (data == NULL)
		goto fail;
	for (;;) {
		if (len + 1 >= cap) {
			char *n;

			if (cap > max) {
				errno = EFBIG;
				goto fail;
			}
			cap *= 2;
			n = realloc(data, cap);
			if (n == NULL)
				goto fail;
			data = n;
		}
		r = read(fd, data + len, cap - len - 1);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (r == 0)
			break;
		len += r;
	}
	close(fd);
	data[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return data;
fail:
	saved = errno;
	free(data);
	close(fd);
	errno = saved;
	return NULL;
}

int
fd_nonblock(int fd, int on)
{
	int fl;

	fl = fcntl(fd, F_GETFL);
	if (fl == -1)
		return -1;
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, fl);
}

int
fd_cloexec(int fd)
{
	int fl;

	fl = fcntl(fd, F_GETFD);
	if (fl == -1)
		return -1;
	return fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

const char *
home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h != NULL && *h != '\0')
		return h;
	pw = getpwuid(getuid());
	return pw ? pw->pw_dir : "/";
}

char *
path_resolve(const char *p, const char *base)
{
	char *out;
	int r;

	if (p[0] == '~' && (p[1] == '/' || p[1] == '\0'))
		r = asprintf(&out, "%s%s", home_dir(), p + 1);
	else if (p[0] == '/' || base == NULL)
		r = asprintf(&out, "%s", p);
	else
		r = asprintf(&out, "%s/%s", base, p);
	if (r == -1)
		abort();
	return out;
}

char *
url_region(const char *tmpl, const char *region)
{
	const char *p = strstr(tmpl, "{{region}}");
	char *out;

	if (region == NULL)
		region = "us-east-1";
	if (p == NULL)
		return strdup(tmpl);
	if (asprintf(&out, "%.*s%s%s", (int)(p - tmpl), tmpl, region,
	    p + 10) == -1)
		return NULL;
	return out;
}

int
addr_is_loopback(const char *host)
{
	if (host == NULL)
		return 0;
	if (strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 ||
	    strcmp(host, "[::1]") == 0 || strcmp(host, "ip6-localhost") == 0)
		return 1;
	return strncmp(host, "127.", 4) == 0;
}
