/*
 * pass.c -- passphrase input.
 *
 * The terminal is put into no-echo mode and always restored, also when a
 * signal arrives while the user types: the handlers only note the signal,
 * read() returns EINTR, the terminal is restored, then the signal is
 * re-raised with its original disposition (as readpassphrase(3) does).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "geosnap/keys.h"
#include "geosnap/util.h"
#include "read/pass.h"

static volatile sig_atomic_t got_signal;

static const int trapped[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU};
#define NTRAPPED (sizeof(trapped) / sizeof(trapped[0]))

static void
on_signal(int sig)
{
	got_signal = sig;
}

/* gs_pass_free(p): wipe and free (NULL accepted). */
void
gs_pass_free(char *p)
{
	if (p != NULL)
		sodium_free(p); /* sodium_free wipes */
}

static char *
secure_buf(void)
{
	char *p;

	if ((p = sodium_malloc(GS_PASS_MAX + 2)) == NULL) {
		gs_warnp("cannot allocate secure memory for the passphrase");
		return NULL;
	}
	sodium_memzero(p, GS_PASS_MAX + 2);
	return p;
}

/* First line of the passphrase file; NULL (warned). */
static char *
from_file(const char *path, size_t *ret_len)
{
	size_t len = 0, n;
	ssize_t r;
	char *p, *nl;
	int fd;

	if ((fd = gs_keyfile_open(path)) < 0)
		return NULL;
	if ((p = secure_buf()) == NULL)
		goto err0;
	while (len < GS_PASS_MAX + 1) {
		r = read(fd, p + len, GS_PASS_MAX + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			gs_warnp("%s: read", path);
			goto err1;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (memchr(p, '\n', len) != NULL)
			break;
	}
	nl = memchr(p, '\n', len);
	n = nl != NULL ? (size_t)(nl - p) : len;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (n > GS_PASS_MAX) {
		gs_warn("%s: passphrase longer than %d bytes", path, GS_PASS_MAX);
		goto err1;
	}
	if (memchr(p, '\0', n) != NULL) {
		gs_warn("%s: passphrase contains a NUL byte", path);
		goto err1;
	}
	sodium_memzero(p + n, GS_PASS_MAX + 2 - n);
	if (n == 0) {
		gs_warn("%s: empty passphrase", path);
		goto err1;
	}
	close(fd);
	*ret_len = n;
	return p;

err1:
	gs_pass_free(p);
err0:
	close(fd);
	return NULL;
}

/*
 * Prompt on the terminal fd and read one line with echo off into p.
 * Returns the length, -1 on error (warned), -2 when too long (warned).
 */
static ssize_t
tty_line(int fd, const char *prompt, char *p)
{
	struct sigaction sa, old[NTRAPPED];
	struct termios t, saved;
	size_t len = 0, i;
	ssize_t rc = -1, r;
	char ch;
	int echo_off = 0, too_long = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	got_signal = 0;
	for (i = 0; i < NTRAPPED; i++)
		sigaction(trapped[i], &sa, &old[i]);
	if (tcgetattr(fd, &saved) == 0) {
		t = saved;
		t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		if (tcsetattr(fd, TCSAFLUSH, &t) == 0)
			echo_off = 1;
	}
	if (write(fd, prompt, strlen(prompt)) < 0)
		goto restore;
	for (;;) {
		r = read(fd, &ch, 1);
		if (r < 0 && errno == EINTR && !got_signal)
			continue;
		if (r < 0) {
			if (!got_signal)
				gs_warnp("/dev/tty: read");
			goto restore;
		}
		if (r == 0 || ch == '\n' || ch == '\r')
			break;
		if (len < GS_PASS_MAX)
			p[len++] = ch;
		else
			too_long = 1;
	}
	ch = 0;
	rc = too_long ? -2 : (ssize_t)len;
	if (too_long)
		gs_warn("passphrase longer than %d bytes", GS_PASS_MAX);
restore:
	if (echo_off)
		tcsetattr(fd, TCSAFLUSH, &saved);
	if (write(fd, "\n", 1) < 0) {
		/* nothing useful to do */
	}
	for (i = 0; i < NTRAPPED; i++)
		sigaction(trapped[i], &old[i], NULL);
	if (got_signal)
		raise(got_signal);
	return rc;
}

/*
 * gs_pass_get(prompt, confirm, ret_len): the passphrase in sodium_malloc'd
 * memory, NUL-terminated, its length in *ret_len.  See pass.h.
 */
char *
gs_pass_get(const char *prompt, int confirm, size_t *ret_len)
{
	const char *file = getenv("GEOSNAP_PASSPHRASE_FILE");
	char *p, *q;
	ssize_t n, m;
	int fd;

	if (file != NULL && *file != '\0')
		return from_file(file, ret_len);
	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		gs_warn("no passphrase: set GEOSNAP_PASSPHRASE_FILE or run on a terminal");
		return NULL;
	}
	if ((p = secure_buf()) == NULL)
		goto err0;
	if ((n = tty_line(fd, prompt, p)) < 0)
		goto err1;
	if (n == 0) {
		gs_warn("empty passphrase");
		goto err1;
	}
	if (confirm) {
		if ((q = secure_buf()) == NULL)
			goto err1;
		m = tty_line(fd, "Repeat the passphrase: ", q);
		if (m != n || sodium_memcmp(p, q, (size_t)n) != 0) {
			if (m >= 0)
				gs_warn("the passphrases differ");
			gs_pass_free(q);
			goto err1;
		}
		gs_pass_free(q);
	}
	close(fd);
	*ret_len = (size_t)n;
	return p;

err1:
	gs_pass_free(p);
err0:
	close(fd);
	return NULL;
}
